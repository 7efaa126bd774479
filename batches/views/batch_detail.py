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

from ..access import get_batch_for
from ..models import Batch
from ..rules import Membership
from ..workflow import WorkflowError
from .board import prepare_cards
from .moves import dialog_context, open_dialog, seen_batch

IMAGES_PER_PAGE = 60
EVENTS_SHOWN = 200


def render_batch_page(request, membership: Membership, batch: Batch, move: dict | None = None):
    project = membership.project
    card = prepare_cards([batch], membership)[0]
    images = batch.images.order_by("id").only("id", "batch_id", "original_name", "state", "thumbnail", "review_flag")
    page = Paginator(images, IMAGES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "project": project,
        "membership": membership,
        "batch": batch,
        "card": card,
        "page": page,
        "events": batch.events.select_related("actor")[:EVENTS_SHOWN],
        "parts": batch.split_batches.order_by("id").only("id", "name", "project_id", "status"),
        "move": move,
        "next": reverse("batch_detail", args=[project.pk, batch.pk]),
    }
    return render(request, "batches/batch_detail.html", context)


@require_GET
@login_required
def batch_detail(request, project_pk: int, pk: int):
    batch, membership = get_batch_for(request.user, project_pk, pk)
    project = batch.project
    move = None
    action = request.GET.get("move")
    if action:
        try:
            seen = seen_batch(membership, pk, request.GET)
            dialog = open_dialog(request, membership, seen, action)
            move = dialog_context(request, project, seen, dialog, modal=False, next_url=request.path)
        except WorkflowError as error:
            messages.add_message(
                request, messages.WARNING if error.kind == WorkflowError.STALE else messages.ERROR, error.message
            )
    return render_batch_page(request, membership, batch, move)
