"""The export page: managers choose a format and batches, and download the Dataset column as a zip."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_required
from django.core.handlers.asgi import ASGIRequest
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from ..access import get_project_for
from ..export import Export, ExportError, dataset_batches, prepare_export
from ..export.core import ClosingStream
from ..export.forms import ExportForm

HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@login_required
@require_http_methods(["GET", "POST"])
def export(request, project_pk: int):
    membership = get_project_for(request.user, project_pk, "manage_project")
    project = membership.project
    batches = list(dataset_batches(project))
    form = ExportForm(request.POST if request.method == "POST" else None, batches=batches)
    if batches and form.is_bound and form.is_valid():
        try:
            return _zip_response(request, prepare_export(project, form.options()))
        except ExportError as error:
            form.add_error(None, error.message)
    classes = list(project.label_classes.order_by("pk"))
    context = {
        "project": project,
        "membership": membership,
        "form": form,
        "batches": batches,
        "chosen": form.chosen_batch_ids(),
        "image_total": sum(batch.image_count for batch in batches),
        "classes": classes,
        # Colours go into a <style> block: only well-formed ones.
        "swatches": [(c.pk, c.colour) for c in classes if HEX_COLOUR.fullmatch(c.colour)],
        "split_fields": [form["train"], form["val"], form["test"], form["seed"]],
    }
    return render(request, "batches/export.html", context)


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
