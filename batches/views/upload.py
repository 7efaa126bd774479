"""Upload page and dialog (managers): many files, a folder or .zip archives → one new batch.

The files stream to temporary files on disk (never held in memory), a file over the size limit is
dropped while it arrives, and everything else goes through batches.ingest. The same view answers
the plain multipart form (full page) and upload.js / htmx (the `upload_area` partial).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.files.uploadhandler import SkipFile, TemporaryFileUploadHandler
from django.http import HttpResponseNotAllowed
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from accounts.calendars import localise_digits

from ..access import get_project_for
from ..ingest.limits import Limits, human_bytes
from ..ingest.pipeline import IngestReport, Source, ingest
from ..params import MAX_TEXT, clean_text
from ..reasons import size
from ..rules import Membership
from ..workflow import WorkflowError

FIELD = "files"


class LimitedUploadHandler(TemporaryFileUploadHandler):
    """Every file to a temporary file, and a file over its limit dropped while it streams in.

    `arrivals` keeps the order files came in: None for a file that was received, (name, reason)
    for one that was dropped, so the report lists everything in the order it was sent.
    """

    def __init__(self, request, limits: Limits):
        super().__init__(request)
        self.limits = limits
        self.limit = limits.file_bytes
        self.arrivals: list[tuple[str, str] | None] = []

    def new_file(self, field_name, file_name, *args, **kwargs):
        super().new_file(field_name, file_name, *args, **kwargs)
        archive = file_name.lower().endswith(".zip")
        self.limit = self.limits.request_bytes if archive else self.limits.file_bytes
        if field_name == FIELD:
            self.arrivals.append(None)

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            if self.field_name == FIELD:
                self.arrivals[-1] = (self.file_name, f"file too large: over {human_bytes(self.limit)}")
            raise SkipFile()
        return super().receive_data_chunk(raw_data, start)


@csrf_exempt  # checked by _receive, once the upload handlers are in place
@login_required
def upload(request, project_pk: int):
    membership = get_project_for(request.user, project_pk, perm="manage_project")
    if request.method == "GET":
        return _render(request, membership)
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    limits = Limits.from_settings()
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limits.request_bytes:
        message = _("This upload is %(size)s; one upload takes at most %(limit)s. Upload the files in parts.") % {
            "size": size(length),
            "limit": size(limits.request_bytes),
        }
        return _render(request, membership, error=message, status=413)
    handler = LimitedUploadHandler(request, limits)
    request.upload_handlers = [handler]
    try:
        return _receive(request, membership, handler)
    except TooManyFilesSent:
        message = _(
            "Too many files in one upload: at most %(n)s. Put them in a .zip archive or upload them in parts."
        ) % {"n": localise_digits(str(limits.files))}
    except (RequestDataTooBig, TooManyFieldsSent, MultiPartParserError):
        message = _("The upload could not be read (it was interrupted or malformed); nothing was added. Try again.")
    return _render(request, membership, error=message, status=400)


@csrf_protect
def _receive(request, membership: Membership, handler: LimitedUploadHandler):
    received = iter(request.FILES.getlist(FIELD))
    sources = []
    for arrival in handler.arrivals:
        if arrival is not None:
            sources.append(Source(arrival[0], refused=arrival[1]))
        elif (upload := next(received, None)) is not None:
            sources.append(Source.from_upload(upload))
    try:
        report = ingest(
            actor=request.user,
            project=membership.project,
            membership=membership,
            sources=sources,
            # Names are stored: invisible characters go (a NUL was a 500 on PostgreSQL); a name too
            # long is refused by ingest, a folder name (only a default) is cut to fit.
            name=clean_text(request.POST.get("name"), max_length=MAX_TEXT),
            default_name=clean_text(request.POST.get("folder"), max_length=200),
        )
    except WorkflowError as exc:
        return _render(request, membership, error=exc.message, status=400)
    return _render(request, membership, report=report)


def _render(request, membership: Membership, *, report: IngestReport | None = None, error: str = "", status: int = 200):
    limits = Limits.from_settings()
    context = {
        "project": membership.project,
        "membership": membership,
        "report": report,
        "kept": report.kept if report else [],
        "refused": report.refused if report else [],
        "kept_notes": bool(report) and any(outcome.note for outcome in report.kept),
        "error": error,
        "limits": limits,
        "max_file": size(limits.file_bytes),
        "max_request": size(limits.request_bytes),
        "chunk_files": settings.UPLOAD_CHUNK_FILES,
        "chunk_bytes": settings.UPLOAD_CHUNK_BYTES,
        "part_bytes": settings.UPLOAD_PART_BYTES,
    }
    if request.htmx:
        # htmx 2 and upload.js swap only what they are given: answer 200 and let the page say what went wrong.
        return render(request, "batches/upload.html#upload_area", context)
    return render(request, "batches/upload.html", context, status=status)
