"""The batch page: its images (paginated thumbnails), its history, where it came from, and its moves.

Without JavaScript it is also where a move's dialog lives: ?move=assign shows the assign form here.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_safe

from ..access import get_batch_for
from ..errors import WorkflowError
from ..rules import MOVES
from .answers import SeenMove, render_batch_page, seen_batch
from .moves import MOVE_VIEWS, dialog_action


@require_safe
@login_required
def batch_detail(request, project_pk: int, pk: int):
    batch, membership = get_batch_for(request.user, project_pk, pk)
    action = request.GET.get("move")
    if action:
        try:
            seen = seen_batch(membership, pk, request.GET)
            action = dialog_action(seen, action)
            MOVES[action].require(membership, seen)
            return MOVE_VIEWS[action](request, SeenMove(membership, seen, request.GET))
        except WorkflowError as error:
            level = messages.WARNING if error.kind == WorkflowError.STALE else messages.ERROR
            messages.add_message(request, level, error.message)
    return render_batch_page(request, membership, batch)
