"""Upload sessions over HTTP (managers): what upload.js talks to, plus the report page.

start → known (which hashes the session has: resume) → files (one chunk, a few at once) → finish;
cancel at any time. Each answers JSON; the report page is HTML and stays reachable from the batch page.
"""

from __future__ import annotations

import io
import json
from dataclasses import replace

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from ..access import get_project_for, get_upload_session_for
from ..ingest.limits import Limits, human_bytes
from ..models import UploadFile, UploadSession
from ..params import parse_id
from ..reasons import translated
from ..uploads import archives, frames, sessions
from ..workflow import WorkflowError
from .upload import FIELD

SHA_LENGTH = 64
KNOWN_PAGE = 1000  # hashes asked about per request
REPORT_ROWS = 500  # refused files listed on the report page


def _error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _is_sha(value) -> bool:
    return isinstance(value, str) and len(value) == SHA_LENGTH and all(c in "0123456789abcdef" for c in value)


def session_json(session: UploadSession) -> dict:
    project_pk, pk = session.project_id, session.pk
    refused = []
    if not session.is_open:
        failed = UploadFile.objects.filter(session=session, state=UploadFile.State.FAILED)
        refused = [
            {"name": name, "reason": translated(reason)}
            for name, reason in failed.values_list("original_name", "reason")[:REPORT_ROWS]
        ]
    return {
        "session": pk,
        "name": session.name,
        "refused": refused,
        "status": session.status,
        "expected": session.expected,
        "received": session.received,
        "processed": session.processed,
        "failed": session.failed,
        "batch": session.batch_id,
        "urls": {
            "known": reverse("upload_session_known", args=[project_pk, pk]),
            "files": reverse("upload_session_files", args=[project_pk, pk]),
            "parts": reverse("upload_session_parts", args=[project_pk, pk]),
            "finish": reverse("upload_session_finish", args=[project_pk, pk]),
            "cancel": reverse("upload_session_cancel", args=[project_pk, pk]),
            "status": reverse("upload_session_status", args=[project_pk, pk]),
            "report": reverse("upload_report", args=[project_pk, pk]),
        },
    }


@login_required
@require_POST
def upload_session_start(request, project_pk: int):
    project = get_project_for(request.user, project_pk, perm="manage_project").project
    expected = parse_id(request.POST.get("expected"))
    if expected is None or expected > 10_000_000:
        return _error(_("Say how many files this upload has (a whole number)."))
    fingerprint = request.POST.get("fingerprint", "")
    if fingerprint and not _is_sha(fingerprint):
        return _error(_("The file list's fingerprint is not valid."))
    found = sessions.find_resumable(actor=request.user, project=project, fingerprint=fingerprint)
    if found is not None:
        return JsonResponse({**session_json(found), "resumed": True})
    try:
        session = sessions.start_session(
            actor=request.user,
            project=project,
            name=request.POST.get("name", ""),
            expected=expected,
            fingerprint=fingerprint,
        )
    except WorkflowError as exc:
        return _error(exc.message)
    return JsonResponse({**session_json(session), "resumed": False}, status=201)


@login_required
@require_POST
def upload_session_known(request, project_pk: int, pk: int):
    session, _membership = get_upload_session_for(request.user, project_pk, pk)
    try:
        hashes = json.loads(request.body or b"[]")
    except (ValueError, RequestDataTooBig):
        return _error(_("Send the hashes as a JSON list."))
    if not isinstance(hashes, list) or len(hashes) > KNOWN_PAGE or not all(_is_sha(h) for h in hashes):
        return _error(_("Send at most %(n)s SHA-256 hashes (hex) as a JSON list.") % {"n": KNOWN_PAGE})
    return JsonResponse({"known": sessions.known_hashes(session, hashes)})


class ChunkUploadHandler(FileUploadHandler):
    """A chunk's files kept in memory (a chunk is at most UPLOAD_CHUNK_MB, checked before parsing):
    no temporary file written and read back per image, and nothing on the machine's disk between
    requests. A file over its limit is dropped while it streams in, as LimitedUploadHandler does.
    """

    def __init__(self, request, limits: Limits, chunk_bytes: int):
        super().__init__(request)
        self.limits = limits
        self.room = chunk_bytes
        self.pieces: list[bytes] = []
        self.arrivals: list[tuple[str, str] | None] = []

    def new_file(self, field_name, file_name, *args, **kwargs):
        super().new_file(field_name, file_name, *args, **kwargs)
        self.pieces = []
        if field_name == FIELD:
            self.arrivals.append(None)

    def receive_data_chunk(self, raw_data, start):
        self.room -= len(raw_data)
        if start + len(raw_data) > self.limits.file_bytes or self.room < 0:
            if self.field_name == FIELD:
                self.arrivals[-1] = (
                    self.file_name,
                    f"file too large: over {human_bytes(self.limits.file_bytes)}",
                )
            self.pieces = []
            raise SkipFile()
        self.pieces.append(raw_data)
        return None

    def file_complete(self, file_size):
        data = b"".join(self.pieces)
        self.pieces = []
        return InMemoryUploadedFile(
            io.BytesIO(data), self.field_name, self.file_name, self.content_type, file_size, self.charset
        )


@csrf_exempt  # checked by _receive_chunk (once the upload handlers are in place) or _receive_framed
@login_required
@require_POST
def upload_session_files(request, project_pk: int, pk: int):
    session, _membership = get_upload_session_for(request.user, project_pk, pk)
    limits = Limits.from_settings()
    chunk_bytes = settings.UPLOAD_CHUNK_BYTES
    length = parse_id(request.META.get("CONTENT_LENGTH")) or 0
    if length > chunk_bytes:
        return _error(
            _("One request takes at most %(size)s; send fewer files at once.") % {"size": human_bytes(chunk_bytes)}, 413
        )
    if frames.is_framed(request):
        return _receive_framed(request, session, limits, length)
    handler = ChunkUploadHandler(request, limits, chunk_bytes)
    request.upload_handlers = [handler]
    try:
        return _receive_chunk(request, session, handler)
    except TooManyFilesSent:
        return _error(_("Too many files in one request."), 413)
    except (RequestDataTooBig, TooManyFieldsSent, MultiPartParserError):
        return _error(_("The request could not be read (it was interrupted or malformed); send it again."))


@csrf_protect
def _receive_chunk(request, session: UploadSession, handler: ChunkUploadHandler):
    if (
        len(handler.arrivals) > settings.UPLOAD_CHUNK_FILES
        or len(request.FILES.getlist(FIELD)) > settings.UPLOAD_CHUNK_FILES
    ):
        return _error(_("One request takes at most %(n)s files.") % {"n": settings.UPLOAD_CHUNK_FILES}, 413)
    arrivals = sessions.arrivals_of(handler.arrivals, request.FILES.getlist(FIELD))
    # The browser's own names keep the folder path (webkitRelativePath), sent beside each file.
    paths = request.POST.getlist("path")
    for arrival, path in zip(arrivals, paths, strict=False):
        if path:
            arrival.name = path
    return _checked_and_stored(request, session, arrivals)


@csrf_protect
def _receive_framed(request, session: UploadSession, limits: Limits, length: int):
    """A chunk in upload.js's own format (batches/uploads/frames.py): the files read straight off the request."""
    try:
        arrivals = frames.read_chunk(
            request, length, limits, max_files=settings.UPLOAD_CHUNK_FILES, max_bytes=settings.UPLOAD_CHUNK_BYTES
        )
    except frames.FrameError as exc:
        return _error(exc.message, exc.status)
    return _checked_and_stored(request, session, arrivals)


def _checked_and_stored(request, session: UploadSession, arrivals: list[sessions.Arrival]):
    try:
        outcomes = sessions.receive_chunk(actor=request.user, session=session, arrivals=arrivals)
    except WorkflowError as exc:
        return _error(exc.message, 409)
    return JsonResponse({"files": [outcome.as_json() for outcome in outcomes]})


PART_FIELD = "part"


@csrf_exempt  # checked by _receive_part, once the upload handler is in place
@login_required
@require_http_methods(["GET", "POST"])
def upload_session_parts(request, project_pk: int, pk: int):
    """GET ?archive=<key>: the indexes of the parts the session has (resume); POST: one part of a .zip."""
    session, _membership = get_upload_session_for(request.user, project_pk, pk)
    if request.method == "GET":
        archive = request.GET.get("archive", "")
        if not _is_sha(archive):
            return _error(_("Say which archive (its key, 64 hex characters)."))
        return JsonResponse({"have": archives.parts_received(session, archive), "part_bytes": archives.part_bytes()})
    part_bytes = archives.part_bytes()
    room = part_bytes + 64 * 1024  # the part and its few fields
    length = parse_id(request.META.get("CONTENT_LENGTH")) or 0
    if length > room:
        return _error(_("A part holds at most %(size)s.") % {"size": human_bytes(part_bytes)}, 413)
    handler = ChunkUploadHandler(request, replace(Limits.from_settings(), file_bytes=part_bytes), room)
    request.upload_handlers = [handler]
    try:
        return _receive_part(request, session)
    except TooManyFilesSent:
        return _error(_("Too many files in one request."), 413)
    except (RequestDataTooBig, TooManyFieldsSent, MultiPartParserError):
        return _error(_("The request could not be read (it was interrupted or malformed); send it again."))


@csrf_protect
def _receive_part(request, session: UploadSession):
    uploads = request.FILES.getlist(PART_FIELD)
    archive, sha = request.POST.get("archive", ""), request.POST.get("sha256", "")
    size, count, index = (parse_id(request.POST.get(field)) for field in ("size", "count", "index"))
    if len(uploads) != 1 or not _is_sha(archive) or not _is_sha(sha) or None in (size, count, index):
        return _error(_("Send one part with its archive, index, count, size and SHA-256."))
    upload = uploads[0]
    upload.seek(0)
    data = upload.read()
    upload.close()
    try:
        status = archives.receive_part(
            actor=request.user, session=session, archive=archive, name=request.POST.get("name", "") or "archive.zip",
            size=size, count=count, index=index, sha256=sha, data=data,
        )  # fmt: skip
    except archives.PartRefused as exc:
        return _error(str(exc), 409 if session.status != UploadSession.Status.RECEIVING else 400)
    except WorkflowError as exc:
        return _error(exc.message, 409)
    return JsonResponse({"index": index, "status": status})


@login_required
@require_POST
def upload_session_finish(request, project_pk: int, pk: int):
    session, _membership = get_upload_session_for(request.user, project_pk, pk)
    try:
        session = archives.finish(actor=request.user, session=session)
    except WorkflowError as exc:
        return _error(exc.message, 409)
    return JsonResponse(session_json(session))


@login_required
@require_POST
def upload_session_cancel(request, project_pk: int, pk: int):
    session, _membership = get_upload_session_for(request.user, project_pk, pk)
    cancelled = sessions.cancel(actor=request.user, session=session)
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({**session_json(session), "cancelled": cancelled})
    return redirect("upload_report", session.project_id, session.pk)


@login_required
@require_safe
def upload_session_status(request, project_pk: int, pk: int):
    session, _membership = get_upload_session_for(request.user, project_pk, pk)
    return JsonResponse(session_json(session))


@login_required
@require_safe
def upload_report(request, project_pk: int, pk: int):
    session, membership = get_upload_session_for(request.user, project_pk, pk)
    refused = UploadFile.objects.filter(session=session, state=UploadFile.State.FAILED).only("original_name", "reason")
    context = {
        "project": session.project,
        "membership": membership,
        "session": session,
        "refused": refused[:REPORT_ROWS],
        "refused_more": max(session.failed - REPORT_ROWS, 0),
        "waiting": UploadFile.objects.filter(session=session, state=UploadFile.State.RECEIVED).count(),
    }
    return render(request, "batches/upload_report.html", context)
