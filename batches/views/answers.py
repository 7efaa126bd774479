"""How every move view answers: the fresh board columns (htmx) or a redirect (a plain form), a dialog, a refusal.

htmx 2 does not swap 4xx answers, so a refused or stale move answers 200 with the fresh columns and a
`showMessage` event; without htmx every answer is a redirect with a Django message. Decided once, here.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_htmx.http import trigger_client_event

from .. import workflow
from ..errors import WorkflowError
from ..models import Batch, Project
from ..params import parse_id
from ..rules import Membership, visible_batches
from .board import BoardFilter, board_state, build_columns, prepare_cards
from .board_live import live_answer, parse_shown_board

Status = Batch.Status
IMAGES_PER_PAGE = 60
EVENTS_SHOWN = 200


@dataclass(frozen=True)
class SeenMove:
    """A move request: who asks (their membership), the batch as they saw it, and what they sent."""

    membership: Membership
    batch: Batch
    data: object  # the request's QueryDict
    # The board's fingerprint before the move, when the page sent the one it had (see answer_moved).
    token_before: str | None = None

    @property
    def project(self) -> Project:
        return self.membership.project

    @property
    def submitted(self) -> bool:
        """The dialog's own form was sent (a drag or a menu item only opens the dialog)."""
        return self.data.get("dialog") == "1" or self.data.get("confirmed") == "yes"


def seen_batch(membership: Membership, pk: int, data) -> Batch:
    """The batch as the person saw it: the stored row with their version and column (the CAS guard).

    A batch they may not see answers like a deleted one."""
    batch = visible_batches(membership).filter(pk=pk).select_related("assignee").first()
    if batch is None:
        raise WorkflowError(
            _("That batch is no longer on the board: someone deleted it or merged it into another batch."),
            kind=WorkflowError.STALE,
        )
    version, seen_status = data.get("version", ""), data.get("from", "")
    if parse_id(version) is None or seen_status not in Status.values:
        raise WorkflowError(
            _("This request did not say which version of the batch you saw; reload the board and try again."),
            kind=WorkflowError.INVALID,
            batch=batch,
        )
    if parse_id(version) != batch.version or seen_status != batch.status:
        raise workflow.stale_error(batch)
    batch.project = membership.project
    return batch


def safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return ""


def board_url(project: Project, request) -> str:
    url = reverse("board", args=[project.pk])
    query = BoardFilter.from_data(request.POST or request.GET).querystring
    return f"{url}?{query}" if query else url


def _columns_answer(request, membership: Membership, statuses, hand_token: bool, moved: list[int] | None = None):
    """The board after a move: what changed (the page said which cards it shows), else whole columns,
    with the board's fingerprint when `hand_token` (the page was current before the move). `moved`: the
    batches the move was about (None: a refusal, whose card the page may show where it never went)."""
    board_filter = BoardFilter.from_data(request.POST or request.GET)
    shown = parse_shown_board(request.POST)
    state = board_state(membership, board_filter)
    if shown is not None:
        # The page said which cards it shows: answer with what changed (board_live.py), and as that
        # makes the page current, with the board's fingerprint taken before it was read.
        # Only the columns changed since the page's token are read (the move's own, and any other that
        # changed since the page's last poll) and the column the page shows the moved card in (a drag
        # moves it there before the server answers). A refused move changed nothing on the server, but
        # its card may sit where it was dropped: every column is compared.
        page_token = request.POST.get("token") if moved is not None else None
        return live_answer(
            request, membership, board_filter, shown, state, close_dialog=True, page_token=page_token, moved=moved
        )
    context = {
        "project": membership.project,
        "membership": membership,
        "filter": board_filter,
        "columns": build_columns(membership, board_filter, statuses=statuses, state=state),
        "oob": True,
        "token": state.token if hand_token else None,
        "close_dialog": True,
    }
    return render(request, "batches/board.html#columns_oob", context)


def undo_offer(project: Project, batch: Batch) -> dict:
    """What a toast's Undo button posts: the batch as it is after the move (workflow.undo checks it)."""
    return {
        "url": reverse("batch_undo", args=[project.pk, batch.pk]),
        "version": batch.version,
        "from": batch.status,
        "label": _("Undo"),
        "seconds": workflow.UNDO_SECONDS,
    }


def answer_moved(
    request, move: SeenMove, message: str, columns: set[str], *, gone: bool = False, undo: Batch | None = None
):
    """A finished move: the columns it changed (htmx), or back where the person came from. With `undo`
    (the batch after a move that can be taken back) the toast offers Undo for a few seconds."""
    if not request.htmx:
        if message:
            messages.success(request, message)
        target = safe_next(request)
        if gone or not target:
            target = board_url(move.project, request)
        return redirect(target)
    # Only hand out the new fingerprint if the page was current before this move; otherwise the next
    # poll brings the columns this answer did not re-render.
    current = bool(move.token_before) and request.POST.get("token") == move.token_before
    response = _columns_answer(request, move.membership, list(columns), hand_token=current, moved=[move.batch.pk])
    if message:
        detail = {"text": message, "level": "success"}
        if undo is not None:
            detail["undo"] = undo_offer(move.project, undo)
        trigger_client_event(response, "showMessage", detail)
    card = "" if gone else f"card-{move.batch.pk}"
    trigger_client_event(response, "boardMoved", {"card": card, "columns": sorted(columns)}, after="settle")
    return response


def answer_refusal(request, membership: Membership, error: WorkflowError):
    """A move that did not happen: the fresh board (the card snaps back) and the reason, never a 4xx."""
    stale = error.kind == WorkflowError.STALE
    if not request.htmx:
        messages.add_message(request, messages.WARNING if stale else messages.ERROR, error.message)
        return redirect(board_url(membership.project, request))
    response = _columns_answer(request, membership, None, hand_token=True)
    trigger_client_event(response, "showMessage", {"text": error.message, "level": "warning" if stale else "error"})
    return response


def answer_dialog(request, move: SeenMove, action: str, form=None, **extra):
    """A move that needs input or a confirmation: its dialog (htmx), or its panel on the batch page."""
    batch = move.batch
    dialog = {
        "action": action,
        "form": form,
        "next": safe_next(request),
        "url": reverse(f"batch_{action}", args=[move.project.pk, batch.pk]),
        "modal": bool(request.htmx),
        **extra,
    }
    if request.htmx:
        context = {"project": move.project, "membership": move.membership, "batch": batch, "dialog": dialog}
        return render(request, "batches/board.html#dialog_oob", context)
    if request.method == "GET" or (form is not None and form.is_bound):
        # The batch page shows the move as a panel: asked for without JavaScript, or sent back with mistakes.
        if not dialog["next"] and request.method == "GET":
            dialog["next"] = request.path
        return render_batch_page(request, move.membership, batch, dialog=dialog)
    query = {"move": action, "version": batch.version, "from": batch.status}
    if safe_next(request):
        query["next"] = safe_next(request)
    url = reverse("batch_detail", args=[move.project.pk, batch.pk])
    return redirect(f"{url}?{urlencode(query)}#move")


def render_batch_page(request, membership: Membership, batch: Batch, dialog: dict | None = None):
    """The batch page: its images (paginated thumbnails), its history, where it came from, its moves."""
    project = membership.project
    card = prepare_cards([batch], membership)[0]
    visible = visible_batches(membership)
    images = batch.images.order_by("id").only("id", "batch_id", "original_name", "state", "thumbnail", "review_flag")
    page = Paginator(images, IMAGES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "project": project,
        "membership": membership,
        "batch": batch,
        "card": card,
        "page": page,
        "events": batch.events.select_related("actor")[:EVENTS_SHOWN],
        # Where it came from and what it was split into: only the batches this person may see.
        "source": visible.filter(pk=batch.split_from_id).only("id", "name").first() if batch.split_from_id else None,
        "parts": visible.filter(split_from=batch).order_by("id").only("id", "name", "project_id", "status"),
        "dialog": dialog,
        "next": reverse("batch_detail", args=[project.pk, batch.pk]),
        # The upload reports stay reachable from the batch (managers only: uploads are theirs).
        "uploads": batch.upload_sessions.only("id", "project_id", "name", "status", "failed")
        if membership.manages
        else [],
    }
    return render(request, "batches/batch_detail.html", context)
