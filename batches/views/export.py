"""The export page: managers choose a format and batches, and download the Dataset column as a zip."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.handlers.asgi import ASGIRequest
from django.db.models import Count, Sum
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from ..access import get_project_for
from ..export import Export, ExportError, dataset_batches, prepare_export
from ..export.core import ClosingStream
from ..export.forms import ExportForm
from ..export.jobs import exports_as_job, start_export_job
from ..models import ExportJob
from ..params import parse_id
from .media import serve_download

# How many of a project's recent export jobs the page lists.
RECENT_EXPORTS = 10

HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@login_required
@require_http_methods(["GET", "POST"])
def export(request, project_pk: int):
    membership = get_project_for(request.user, project_pk, "manage_project")
    project = membership.project
    if request.htmx and request.method == "GET" and request.GET.get("choose") == "1":
        # The list of batches, asked for when the person opens it (the page itself never lists them).
        batches = list(dataset_batches(project))
        context = {"project": project, "batches": batches, "chosen": {batch.pk for batch in batches}}
        return render(request, "batches/export.html#batch_table", context)
    jobs = list(ExportJob.objects.filter(project=project).select_related("requested_by")[:RECENT_EXPORTS])
    polling = any(job.in_progress for job in jobs)
    if request.htmx and request.method == "GET":
        # The list polls itself while a job runs; the answer that shows none running stops the polling.
        ready_now = not polling and any(job.status == ExportJob.Status.DONE for job in jobs[:1])
        context = {"project": project, "jobs": jobs, "polling": polling, "ready_now": ready_now}
        return render(request, "batches/export.html#jobs", context)
    column = dataset_batches(project).order_by().aggregate(batches=Count("pk"), images=Sum("image_count"))
    data = request.POST if request.method == "POST" else None
    choosing = ExportForm.chooses(data) or request.GET.get("choose") == "1"
    # Only someone choosing batches needs them listed (the page) or known (the form's choices).
    batches = list(dataset_batches(project)) if choosing else []
    form = ExportForm(data, batches=batches)
    if column["batches"] and form.is_bound and form.is_valid():
        options = form.options()
        if options.batch_ids is None:
            chosen = column["images"] or 0
        else:
            wanted = set(options.batch_ids)
            chosen = sum(batch.image_count for batch in batches if batch.pk in wanted)
        try:
            if exports_as_job(options, chosen):
                start_export_job(actor=request.user, project=project, options=options)
                messages.success(request, _("The export is being made. This page says when it is ready to download."))
                return redirect("export", project.pk)
            return _zip_response(request, prepare_export(project, options))
        except ExportError as error:
            form.add_error(None, error.message)
    classes = list(project.label_classes.order_by("pk"))
    context = {
        "project": project,
        "membership": membership,
        "form": form,
        "column": column,
        "choosing": choosing,
        "batches": batches,
        "chosen": form.chosen_batch_ids(),
        "classes": classes,
        # Colours go into a <style> block: only well-formed ones.
        "swatches": [(c.pk, c.colour) for c in classes if HEX_COLOUR.fullmatch(c.colour)],
        "split_fields": [form["train"], form["val"], form["test"], form["seed"]],
        "jobs": jobs,
        "polling": polling,
        "stream_max_images": settings.EXPORT_STREAM_MAX_IMAGES,
    }
    return render(request, "batches/export.html", context)


@login_required
@require_safe
def export_download(request, project_pk: int, pk: int):
    """A finished export's zip, for the project's managers only (a non-member gets 404)."""
    membership = get_project_for(request.user, project_pk, "manage_project")
    job_pk = parse_id(pk)
    job = ExportJob.objects.filter(pk=job_pk, project=membership.project).first() if job_pk else None
    if job is None or job.status != ExportJob.Status.DONE or not job.file:
        raise Http404(_("No such export, or it is not ready (any more)."))
    return serve_download(job.file, job.download_name or "export.zip")


def _zip_response(request, export: Export) -> StreamingHttpResponse:
    stream = export.stream()
    # Django's ASGI handler would first collect a synchronous stream into a list: the whole archive.
    content = _pieces_for_asgi(stream) if isinstance(request, ASGIRequest) else stream
    response = StreamingHttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "no-store"
    # Let a proxy pass the pieces on as they come instead of buffering the whole archive.
    response["X-Accel-Buffering"] = "no"
    return response


async def _pieces_for_asgi(stream: ClosingStream) -> AsyncIterator[bytes]:
    """The same pieces, one at a time, each made in Django's sync thread (where the ORM may run).

    The stream is closed in that thread too (its database connection lives there), also when the
    client goes away and the server cancels this generator.
    """
    next_piece = sync_to_async(next, thread_sensitive=True)
    try:
        while (piece := await next_piece(stream, None)) is not None:
            yield piece
    finally:
        await sync_to_async(stream.close, thread_sensitive=True)()
