"""Private media: image files and thumbnails go only to members of their project.

There is no public /media/ URL. A non-member (or a guessed id) gets 404, a visitor who is not
signed in goes to the login page. After the permission check the bytes come from the cheapest place:
- S3: a redirect to a short-lived presigned URL (settings.MEDIA_URL_EXPIRE_SECONDS), so the bucket
  sends the file and no worker streams it; the URL asks the bucket for the right type.
- Local disk with MEDIA_X_ACCEL_REDIRECT set (e.g. "/protected-media/"): nginx sends the file from an
  `internal` location aliased to MEDIA_ROOT.
- Otherwise this view streams it.

Every answer says exactly what it is (the type comes from the stored name, which ingest chose from
the file's bytes, never from the uploaded name), forbids sniffing, and carries a CSP that lets
nothing run even if someone opens the file as a page.
"""

from pathlib import PurePosixPath
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe
from storages.backends.s3 import S3Storage

from ..access import get_image_for

# The only kinds of file ingest stores (see batches.ingest.check.STORED_EXT) and thumbnails.
CONTENT_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".bmp": "image/bmp",
    ".gif": "image/gif",
}
LOCKED_DOWN = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def content_type_for(name: str) -> str:
    return CONTENT_TYPES.get(PurePosixPath(name).suffix.lower(), "application/octet-stream")


def _presigned_redirect(storage, name: str, content_type: str, disposition: str = "inline") -> HttpResponse:
    expire = settings.MEDIA_URL_EXPIRE_SECONDS
    url = storage.url(
        name,
        parameters={"ResponseContentType": content_type, "ResponseContentDisposition": disposition},
        expire=expire,
    )
    response = HttpResponseRedirect(url)
    # The browser may reuse the redirect while the URL it points to is still valid.
    response["Cache-Control"] = f"private, max-age={expire // 2}"
    return response


def serve_file(field_file):
    """The stored file as the answer (a presigned redirect on S3, X-Accel-Redirect behind nginx), for the
    pages and the API alike; 404 when there is none."""
    if not field_file:
        raise Http404("No such file.")
    content_type = content_type_for(field_file.name)
    if isinstance(field_file.storage, S3Storage):
        return _presigned_redirect(field_file.storage, field_file.name, content_type)
    accel = getattr(settings, "MEDIA_X_ACCEL_REDIRECT", "")
    if accel:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = accel.rstrip("/") + "/" + quote(field_file.name)
    else:
        try:
            handle = field_file.storage.open(field_file.name, "rb")
        except OSError:  # FileNotFoundError too; django-storages turns S3's 404 into one
            raise Http404("The stored file is missing.") from None
        response = FileResponse(handle, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = LOCKED_DOWN
    # Private to the signed-in member; stored names are never reused, so a day of caching is safe.
    response["Cache-Control"] = "private, max-age=86400"
    response["Content-Disposition"] = "inline"
    return response


@require_safe
@login_required
def image_file(request, pk: int):
    image, _ = get_image_for(request.user, pk)
    return serve_file(image.file)


@require_safe
@login_required
def image_thumbnail(request, pk: int):
    image, _ = get_image_for(request.user, pk)
    return serve_file(image.thumbnail)


def serve_download(name: str, filename: str, content_type: str = "application/zip") -> HttpResponse:
    """A stored file (an export's zip) as an attachment, once the caller has checked permission.

    As for images: S3 redirects to a presigned URL, local disk is sent by nginx (MEDIA_X_ACCEL_REDIRECT)
    or streamed by this process. Never cached: the file expires and its link with it.
    """
    stored = default_storage
    disposition = content_disposition_header(as_attachment=True, filename=filename)
    if isinstance(stored, S3Storage):
        response = _presigned_redirect(stored, name, content_type, disposition)
    elif accel := getattr(settings, "MEDIA_X_ACCEL_REDIRECT", ""):
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = accel.rstrip("/") + "/" + quote(name)
        response["Content-Disposition"] = disposition
    else:
        try:
            handle = stored.open(name, "rb")
        except OSError:
            raise Http404("The stored file is missing.") from None
        response = FileResponse(handle, content_type=content_type, as_attachment=True, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
