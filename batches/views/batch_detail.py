"""The batch page: its images (paginated thumbnails), its history, where it came from, and its moves.

Without JavaScript it is also where a move's dialog lives: ?move=assign shows the assign form here.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from ..access import get_batch_for, project_perms
from ..models import Batch, Project
from ..workflow import WorkflowError
from .board import prepare_cards
from .moves import dialog_context, open_dialog, seen_batch

IMAGES_PER_PAGE = 60
EVENTS_SHOWN = 200


def render_batch_page(request, project: Project, batch: Batch, move: dict | None = None):
    prepare_cards([batch], request.user, project)
    # Where it came from and what it was split into: only the batches this person may see.
    visible = Batch.objects.visible_to(request.user, project_perms(request.user, project), project)
    images = batch.images.order_by("id").only("id", "batch_id", "original_name", "state", "thumbnail", "review_flag")
    page = Paginator(images, IMAGES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "project": project,
        "batch": batch,
        "page": page,
        "events": batch.events.select_related("actor")[:EVENTS_SHOWN],
        "source": visible.filter(pk=batch.split_from_id).only("id", "name").first() if batch.split_from_id else None,
        "parts": visible.filter(split_from=batch).order_by("id").only("id", "name", "project_id", "status"),
        "move": move,
        "next": reverse("batch_detail", args=[project.pk, batch.pk]),
        # The upload reports stay reachable from the batch (managers only: uploads are theirs).
        "uploads": batch.upload_sessions.only("id", "project_id", "name", "status", "failed")
        if "manage_project" in project_perms(request.user, project)
        else [],
    }
    return render(request, "batches/batch_detail.html", context)


@require_GET
@login_required
def batch_detail(request, project_pk: int, pk: int):
    batch = get_batch_for(request.user, project_pk, pk)
    project = batch.project
    move = None
    action = request.GET.get("move")
    if action:
        try:
            seen = seen_batch(request.user, project, pk, request.GET)
            dialog = open_dialog(request, project, seen, action)
            move = dialog_context(request, project, seen, dialog, modal=False, next_url=request.path)
        except WorkflowError as error:
            messages.add_message(
                request, messages.WARNING if error.kind == WorkflowError.STALE else messages.ERROR, error.message
            )
    return render_batch_page(request, project, batch, move)
