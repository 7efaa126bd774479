"""Private media: image files and thumbnails go only to members of their project.

There is no public /media/ URL. With MEDIA_X_ACCEL_REDIRECT set (e.g. "/protected-media/"), the
permission check stays here and nginx sends the bytes from an `internal` location.
"""

import mimetypes

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.views.decorators.http import require_GET

from ..access import get_image_for


def _serve(field_file, content_type: str):
    if not field_file:
        raise Http404("No such file.")
    accel = getattr(settings, "MEDIA_X_ACCEL_REDIRECT", "")
    if accel:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = accel.rstrip("/") + "/" + field_file.name
    else:
        try:
            handle = field_file.storage.open(field_file.name, "rb")
        except (FileNotFoundError, OSError):
            raise Http404("The stored file is missing.") from None
        response = FileResponse(handle, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    # Private to the signed-in member; the name is content-addressed enough to cache for a day.
    response["Cache-Control"] = "private, max-age=86400"
    response["Content-Disposition"] = "inline"
    return response


@require_GET
@login_required
def image_file(request, pk: int):
    image = get_image_for(request.user, pk)
    content_type = mimetypes.guess_type(image.file.name)[0] or "application/octet-stream"
    return _serve(image.file, content_type)


@require_GET
@login_required
def image_thumbnail(request, pk: int):
    image = get_image_for(request.user, pk)
    return _serve(image.thumbnail, "image/jpeg")
