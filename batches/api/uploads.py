"""Upload sessions: start (or resume), ask which files it has, send files in chunks, finish, cancel, report.

The same functions as the upload page (batches/uploads/sessions.py); files go through the same limits,
checks and workers. Managers only.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from accounts.access import MANAGE
from accounts.calendars import localise_digits

from ..ingest.limits import Limits, human_bytes
from ..models import UploadFile, UploadSession
from ..params import clean_text, parse_id
from ..uploads import frames, sessions
from ..views.upload import FIELD
from .common import membership, upload_for
from .errors import ApiError
from .types import Count, Text

router = Router(tags=["uploads"])
KNOWN_PAGE = 1000
REPORT_ROWS = 500
MAX_EXPECTED = 10_000_000


class StartIn(Schema):
    expected: Count
    name: Text = ""
    fingerprint: Text = ""


class KnownIn(Schema):
    hashes: list[Text]


def _is_sha(value) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def upload_json(session: UploadSession) -> dict:
    refused = []
    if not session.is_open:
        failed = UploadFile.objects.filter(session=session, state=UploadFile.State.FAILED)
        refused = [
            {"name": name, "reason": reason}
            for name, reason in failed.values_list("original_name", "reason")[:REPORT_ROWS]
        ]
    args = [session.project_id, session.pk]
    return {
        "id": session.pk,
        "name": session.name,
        "status": session.status,
        "expected": session.expected,
        "received": session.received,
        "processed": session.processed,
        "failed": session.failed,
        "batch": session.batch_id,
        "refused": refused,
        "urls": {
            "self": reverse("api:upload_status", args=args),
            "known": reverse("api:upload_known", args=args),
            "files": reverse("api:upload_files", args=args),
            "finish": reverse("api:upload_finish", args=args),
            "cancel": reverse("api:upload_cancel", args=args),
        },
    }


@router.post("/{int:project_pk}/uploads", response={200: dict, 201: dict}, summary="Start (or resume) an upload")
def start(request, project_pk: int, payload: StartIn):
    project = membership(request, project_pk, MANAGE).project
    if payload.expected > MAX_EXPECTED:
        raise ApiError(400, "invalid", _("Say how many files this upload has (a whole number)."))
    fingerprint = payload.fingerprint
    if fingerprint and not _is_sha(fingerprint):
        raise ApiError(400, "invalid", _("The file list's fingerprint is not valid."))
    found = sessions.find_resumable(actor=request.user, project=project, fingerprint=fingerprint)
    if found is not None:
        return Status(200, {**upload_json(found), "resumed": True})
    session = sessions.start_session(
        actor=request.user,
        project=project,
        name=clean_text(payload.name, max_length=None),
        expected=payload.expected,
        fingerprint=fingerprint,
    )
    return Status(201, {**upload_json(session), "resumed": False})


@router.get("/{int:project_pk}/uploads/{int:pk}", url_name="upload_status", summary="An upload's state and report")
def status(request, project_pk: int, pk: int):
    session, _member = upload_for(request, project_pk, pk)
    return upload_json(session)


@router.post("/{int:project_pk}/uploads/{int:pk}/known", url_name="upload_known", summary="Which files it has")
def known(request, project_pk: int, pk: int, payload: KnownIn):
    session, _member = upload_for(request, project_pk, pk)
    hashes = payload.hashes
    if len(hashes) > KNOWN_PAGE or not all(_is_sha(h) for h in hashes):
        raise ApiError(
            400,
            "invalid",
            _("Send at most %(n)s SHA-256 hashes (hex) as a JSON list.") % {"n": localise_digits(str(KNOWN_PAGE))},
        )
    return {"known": sessions.known_hashes(session, hashes)}


@router.post(
    "/{int:project_pk}/uploads/{int:pk}/files",
    url_name="upload_files",
    summary="Send a chunk of files (multipart: `files`, and optionally `path` per file; or one framed body)",
    description=(
        "Either multipart/form-data, or (faster: no multipart parsing) a body of type "
        f"`{frames.CONTENT_TYPE}`: 4 bytes, the manifest's length M (unsigned, big-endian); M bytes, the "
        'manifest, a JSON list `[{"name": "street/0001.jpg", "size": 531288}, ...]`; then each file\'s bytes '
        "in the manifest's order. The request's length must be exactly that."
    ),
    openapi_extra={
        "requestBody": {
            "content": {
                frames.CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                            "path": {"type": "array", "items": {"type": "string"}},
                        },
                        "required": ["files"],
                    }
                },
            }
        }
    },
)
def files(request, project_pk: int, pk: int):
    session, _member = upload_for(request, project_pk, pk)
    chunk_bytes = settings.UPLOAD_CHUNK_BYTES
    if (parse_id(request.META.get("CONTENT_LENGTH")) or 0) > chunk_bytes:
        message = _("One request takes at most %(size)s; send fewer files at once.") % {
            "size": human_bytes(chunk_bytes)
        }
        raise ApiError(413, "invalid", message)
    if frames.is_framed(request):
        try:
            arrivals = frames.read_chunk(
                request,
                parse_id(request.META.get("CONTENT_LENGTH")) or 0,
                Limits.from_settings(),
                max_files=settings.UPLOAD_CHUNK_FILES,
                max_bytes=chunk_bytes,
            )
        except frames.FrameError as exc:
            raise ApiError(exc.status, "invalid", exc.message) from None
        outcomes = sessions.receive_chunk(actor=request.user, session=session, arrivals=arrivals)
        return {"files": [outcome.as_json() for outcome in outcomes]}
    handler = getattr(request, "_api_upload_handler", None)
    if handler is None:
        raise ApiError(400, "invalid", _("Send the files as multipart/form-data, in the field “files”."))
    try:
        received_files = request.FILES.getlist(FIELD)
        paths = request.POST.getlist("path")
    except TooManyFilesSent:
        raise ApiError(413, "invalid", _("Too many files in one request.")) from None
    except (RequestDataTooBig, TooManyFieldsSent, MultiPartParserError):
        raise ApiError(
            400, "invalid", _("The request could not be read (it was interrupted or malformed); send it again.")
        ) from None
    if len(handler.arrivals) > settings.UPLOAD_CHUNK_FILES or len(received_files) > settings.UPLOAD_CHUNK_FILES:
        raise ApiError(
            413,
            "invalid",
            _("One request takes at most %(n)s files.") % {"n": localise_digits(str(settings.UPLOAD_CHUNK_FILES))},
        )
    arrivals = sessions.arrivals_of(handler.arrivals, received_files)
    for arrival, path in zip(arrivals, paths, strict=False):
        if path:
            arrival.name = clean_text(path, max_length=1000)
    outcomes = sessions.receive_chunk(actor=request.user, session=session, arrivals=arrivals)
    return {"files": [outcome.as_json() for outcome in outcomes]}


@router.post("/{int:project_pk}/uploads/{int:pk}/finish", url_name="upload_finish", summary="Everything is sent")
def finish(request, project_pk: int, pk: int):
    session, _member = upload_for(request, project_pk, pk)
    return upload_json(sessions.finish(actor=request.user, session=session))


@router.post("/{int:project_pk}/uploads/{int:pk}/cancel", url_name="upload_cancel", summary="Cancel: nothing is kept")
def cancel(request, project_pk: int, pk: int):
    session, _member = upload_for(request, project_pk, pk)
    cancelled = sessions.cancel(actor=request.user, session=session)
    return {**upload_json(session), "cancelled": cancelled}
