"""One endpoint for every move on the board: drags (from, to), the card menus and the dialogs.

A drop or a menu item posts here; moves that need input or a confirmation answer with a dialog first.
htmx 2 does not swap 4xx answers, so refusals answer 200 with the fresh columns and a `showMessage`
event; without htmx every answer is a redirect with a Django message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from accounts.roles import users_with_role

from .. import workflow
from ..access import get_project_for
from ..forms import AssignForm, MergeForm, ReassignForm, RejectForm
from ..models import Annotation, Batch, Project
from ..params import parse_id
from ..rules import MOVES, Membership, delete_move, drag_move, drag_move_elsewhere
from ..workflow import WorkflowError
from .board import BoardFilter, board_token, build_columns

Status = Batch.Status
DIALOG_ACTIONS = ("assign", "reassign", "reject", "reset", "delete", "merge")
MERGE_CHOICES = 200
DRAG_HINTS = {
    (Status.UNASSIGNED, Status.REVIEW): "assign it first: drag it to Annotating",
    (Status.UNASSIGNED, Status.DATASET): "assign it first: drag it to Annotating",
    (Status.DATASET, Status.ANNOTATING): "to relabel it, reset it to Unassigned first",
    (Status.DATASET, Status.REVIEW): "to relabel it, reset it to Unassigned first",
}


@dataclass
class Outcome:
    """What a finished move tells the person, and which columns it changed."""

    message: str
    columns: set[str]
    batch_pk: int | None = None
    gone: bool = False
    level: str = "success"


@dataclass
class Dialog:
    """A move that needs input or a confirmation before it happens."""

    action: str
    form: object = None
    extra: dict = field(default_factory=dict)


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def assign_consequence(total: int, names: list[str], count: int | None) -> str:
    """The sentence the assign dialog shows (static/js/board.js says the same while one types)."""
    if not names:
        return "Choose at least one annotator."
    n = total if count is None else count
    if not 1 <= n <= total:
        return f"Choose between 1 and {total} images."
    if n < len(names):
        return f"{plural(n, 'image')} cannot be split among {len(names)} annotators."
    if len(names) == 1:
        text = f"{plural(n, 'image')} to {names[0]}"
    else:
        base, extra = divmod(n, len(names))
        shares = ", ".join(f"{name} ({base + (1 if i < extra else 0)})" for i, name in enumerate(names))
        text = f"{plural(n, 'image')} split among {shares}"
    rest = total - n
    if rest:
        return f"{text}; the other {rest} stay in Unassigned as a new batch."
    return f"{text}."


# --- reading the request --------------------------------------------------------------------------


def seen_batch(membership: Membership, pk: int, data) -> Batch:
    """The batch as the person saw it: the stored row with their version and column (the CAS guard).

    A batch they may not see answers like a deleted one."""
    batch = membership.visible_batches().filter(pk=pk).select_related("assignee").first()
    if batch is None:
        raise WorkflowError(
            "That batch is no longer on the board: someone deleted it or merged it into another batch.",
            kind=WorkflowError.STALE,
        )
    version, seen_status = data.get("version", ""), data.get("from", "")
    if parse_id(version) is None or seen_status not in Status.values:
        raise WorkflowError(
            "This request did not say which version of the batch you saw; reload the board and try again.",
            kind=WorkflowError.INVALID,
            batch=batch,
        )
    if parse_id(version) != batch.version or seen_status != batch.status:
        raise workflow.stale_error(batch)
    return batch


def action_from(data, batch: Batch, project: Project) -> str:
    """The move a post asks for: named by a menu or dialog, or meant by a drag from one column to another."""
    action = data.get("action", "")
    if action:
        if action not in MOVES or action == "reorder":
            raise WorkflowError(f"“{action}” is not a move of this board.", kind=WorkflowError.INVALID, batch=batch)
        return action
    target = data.get("to", "")
    if target not in Status.values:
        raise WorkflowError("That is not a column of this board.", kind=WorkflowError.INVALID, batch=batch)
    source_label, target_label = Status(batch.status).label, Status(target).label
    move = drag_move(batch, target)
    elsewhere = drag_move_elsewhere(batch, target) if move is None else None
    if elsewhere is not None:
        goes_to = elsewhere.target_for(batch)
        if target != goes_to:
            hint = "this project reviews every batch" if project.review_required else "this project needs no review"
            raise WorkflowError(
                f"“{batch.name}” cannot go to {target_label}: {hint}, so drag it to {Status(goes_to).label}.",
                kind=WorkflowError.REFUSED,
                batch=batch,
            )
    if move is None:
        hint = DRAG_HINTS.get((batch.status, target))
        raise WorkflowError(
            f"“{batch.name}” cannot move from {source_label} to {target_label}" + (f": {hint}." if hint else "."),
            kind=WorkflowError.REFUSED,
            batch=batch,
        )
    return move.action


def check_may(membership: Membership, batch: Batch, action: str) -> None:
    """Before showing a dialog: would the move be allowed at all? (The workflow checks again on submit.)"""
    MOVES[action].require(membership, batch)


def safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return ""


# --- the moves ------------------------------------------------------------------------------------


def annotators_of(project: Project):
    return users_with_role(project, "annotator").order_by("username")


def do_assign(request, membership: Membership, batch: Batch, data) -> Outcome | Dialog:
    project = membership.project
    form = AssignForm(data, batch=batch, annotators=annotators_of(project))
    if data is None or not form.is_valid():
        return Dialog("assign", form)
    users = sorted(form.cleaned_data["assignees"], key=lambda u: u.username)
    result = workflow.assign(
        actor=request.user, batch=batch, assignees=users, count=form.cleaned_data["count"], project=project
    )
    total = sum(b.image_count for b in result.assigned) + (result.remainder.image_count if result.remainder else 0)
    message = f"“{batch.name}”: " + assign_consequence(
        total, [u.username for u in users], sum(b.image_count for b in result.assigned)
    )
    if result.remainder:
        message = message.replace("as a new batch", f"as “{result.remainder.name}”")
    return Outcome(message, {Status.UNASSIGNED, Status.ANNOTATING}, batch.pk)


def do_reassign(request, membership: Membership, batch: Batch, data) -> Outcome | Dialog:
    project = membership.project
    form = ReassignForm(data, annotators=annotators_of(project).exclude(pk=batch.assignee_id))
    if data is None or not form.is_valid():
        return Dialog("reassign", form)
    user = form.cleaned_data["assignee"]
    workflow.reassign(actor=request.user, batch=batch, assignee=user, project=project)
    return Outcome(f"“{batch.name}” is now assigned to {user.username}.", {Status.ANNOTATING}, batch.pk)


def do_submit(request, membership: Membership, batch: Batch, data) -> Outcome:
    project = membership.project
    fresh = workflow.submit(actor=request.user, batch=batch, project=project)
    return Outcome(
        f"“{batch.name}” submitted: it is in {fresh.get_status_display()} now.",
        {Status.ANNOTATING, fresh.status},
        batch.pk,
    )


def do_approve(request, membership: Membership, batch: Batch, data) -> Outcome:
    project = membership.project
    workflow.approve(actor=request.user, batch=batch, project=project)
    return Outcome(f"“{batch.name}” approved: it is in Dataset now.", {Status.REVIEW, Status.DATASET}, batch.pk)


def do_reject(request, membership: Membership, batch: Batch, data) -> Outcome | Dialog:
    project = membership.project
    form = RejectForm(data)
    if data is None or not form.is_valid():
        return Dialog("reject", form)
    workflow.reject(actor=request.user, batch=batch, comment=form.cleaned_data["comment"], project=project)
    who = batch.assignee.username if batch.assignee else "its annotator"
    return Outcome(
        f"“{batch.name}” went back to {who} with your comment.", {Status.REVIEW, Status.ANNOTATING}, batch.pk
    )


def do_delete(request, membership: Membership, batch: Batch, data) -> Outcome | Dialog:
    project = membership.project
    action = "delete" if batch.status == Status.UNASSIGNED else "reset"
    if data is None or data.get("confirmed") != "yes":
        return Dialog(action)
    if data.get("action") not in ("", None, action):
        raise WorkflowError(
            "That confirmation was for another column; nothing was done. Look at the card again.",
            kind=WorkflowError.STALE,
            batch=batch,
        )
    source = batch.status
    result = workflow.delete_batch(actor=request.user, batch=batch, project=project)
    if result.reset:
        return Outcome(
            f"“{result.batch_name}” is back in Unassigned; {plural(result.annotations, 'annotation')} removed.",
            {source, Status.UNASSIGNED},
            batch.pk,
        )
    return Outcome(
        f"“{result.batch_name}” and its {plural(result.images, 'image')} were deleted for good.",
        {Status.UNASSIGNED},
        gone=True,
    )


def merge_candidates(project: Project, batch: Batch):
    return (
        Batch.objects.filter(project=project, status=Status.UNASSIGNED).exclude(pk=batch.pk).order_by("position", "-id")
    )


def do_merge(request, membership: Membership, batch: Batch, data) -> Outcome | Dialog:
    project = membership.project
    form = MergeForm(data, candidates=merge_candidates(project, batch))
    if data is None or not form.is_valid():
        return Dialog("merge", form)
    other = form.cleaned_data["other"]
    merged = workflow.merge(actor=request.user, batches=[batch, other], name=form.cleaned_data["name"], project=project)
    return Outcome(
        f"“{other.name}” merged into “{merged.name}”: {plural(merged.image_count, 'image')}.",
        {Status.UNASSIGNED},
        batch.pk,
    )


def do_reorder(request, membership: Membership, batch: Batch, data) -> Outcome:
    project = membership.project

    def neighbour(name: str) -> Batch | None:
        value = data.get(name, "")
        pk = parse_id(value)
        return Batch(pk=pk) if pk is not None else None

    workflow.reorder(
        actor=request.user, batch=batch, before=neighbour("before"), after=neighbour("after"), project=project
    )
    return Outcome("", {batch.status}, batch.pk)


HANDLERS = {
    "assign": do_assign,
    "reassign": do_reassign,
    "submit": do_submit,
    "approve": do_approve,
    "reject": do_reject,
    "reset": do_delete,
    "delete": do_delete,
    "merge": do_merge,
    "reorder": do_reorder,
}


def open_dialog(request, membership: Membership, batch: Batch, action: str) -> Dialog:
    """The empty dialog of a move, once it is clear the person may make it."""
    if action not in DIALOG_ACTIONS:
        raise WorkflowError(f"“{action}” is not a move with a dialog.", kind=WorkflowError.INVALID, batch=batch)
    if action in ("reset", "delete"):
        # One "Delete" on a card: a reset outside Unassigned, for good inside it (the seed's "delete twice").
        action = delete_move(batch).action
    check_may(membership, batch, action)
    return HANDLERS[action](request, membership, batch, None)


# --- answering ------------------------------------------------------------------------------------


def dialog_context(request, project: Project, batch: Batch, dialog: Dialog, *, modal: bool, next_url: str = "") -> dict:
    form = dialog.form
    context = {
        "project": project,
        "batch": batch,
        "action": dialog.action,
        "form": form,
        "modal": modal,
        "next": safe_next(request) or next_url,
        "move": MOVES[dialog.action],
    }
    if dialog.action == "assign":
        chosen = form.data.getlist("assignees") if form.is_bound else []
        annotators = list(form.fields["assignees"].queryset)
        names = [u.username for u in annotators if str(u.pk) in chosen]
        count = form.cleaned_data.get("count") if form.is_bound and hasattr(form, "cleaned_data") else None
        context.update(
            annotators=annotators,
            chosen=chosen,
            scope=form.data.get("scope", "all") if form.is_bound else "all",
            count_value=form.data.get("count", "") if form.is_bound else "",
            consequence=assign_consequence(batch.image_count, names, count),
        )
    elif dialog.action == "reassign":
        context["annotators"] = list(form.fields["assignee"].queryset)
    elif dialog.action in ("reset", "delete"):
        context["annotations"] = Annotation.objects.filter(image__batch=batch).count()
    elif dialog.action == "merge":
        candidates = list(form.fields["other"].queryset[: MERGE_CHOICES + 1])
        context.update(candidates=candidates[:MERGE_CHOICES], more_candidates=len(candidates) > MERGE_CHOICES)
    return context


def message_level(error: WorkflowError) -> str:
    return "warning" if error.kind == WorkflowError.STALE else "error"


def answer_refusal(request, membership: Membership, error: WorkflowError):
    """A move that did not happen: the fresh board (the card snaps back) and the reason, never a 4xx."""
    if not request.htmx:
        messages.add_message(
            request, messages.WARNING if error.kind == WorkflowError.STALE else messages.ERROR, error.message
        )
        return redirect(board_url(membership.project, request))
    project = membership.project
    board_filter = BoardFilter.from_data(request.POST or request.GET)
    columns = build_columns(membership, board_filter)
    context = {
        "project": project,
        "membership": membership,
        "filter": board_filter,
        "columns": columns,
        "oob": True,
        "token": board_token(membership),
        "close_dialog": True,
    }
    response = render(request, "batches/board.html#columns_oob", context)
    trigger_client_event(response, "showMessage", {"text": error.message, "level": message_level(error)})
    return response


def answer_outcome(request, membership: Membership, outcome: Outcome, token_before: str | None):
    project = membership.project
    if not request.htmx:
        if outcome.message:
            messages.success(request, outcome.message)
        target = safe_next(request)
        if outcome.gone or not target:
            target = board_url(project, request)
        return redirect(target)
    board_filter = BoardFilter.from_data(request.POST)
    columns = build_columns(membership, board_filter, statuses=list(outcome.columns))
    # Only hand out the new fingerprint if the page was current before this move; otherwise the next
    # poll brings the columns this answer did not re-render.
    token = board_token(membership) if token_before and request.POST.get("token") == token_before else None
    context = {
        "project": project,
        "membership": membership,
        "filter": board_filter,
        "columns": columns,
        "oob": True,
        "token": token,
        "close_dialog": True,
    }
    response = render(request, "batches/board.html#columns_oob", context)
    if outcome.message:
        trigger_client_event(response, "showMessage", {"text": outcome.message, "level": outcome.level})
    trigger_client_event(
        response,
        "boardMoved",
        {"card": f"card-{outcome.batch_pk}" if outcome.batch_pk else "", "columns": sorted(outcome.columns)},
        after="settle",
    )
    return response


def answer_dialog(request, membership: Membership, batch: Batch, dialog: Dialog):
    project = membership.project
    if request.htmx:
        context = dialog_context(request, project, batch, dialog, modal=True)
        return render(request, "batches/board.html#dialog_oob", context)
    if dialog.form is not None and dialog.form.is_bound:
        # A plain form with mistakes: the batch page shows the move again, with the errors.
        from .batch_detail import render_batch_page

        move = dialog_context(request, project, batch, dialog, modal=False)
        return render_batch_page(request, membership, batch, move=move)
    query = {"move": dialog.action, "version": batch.version, "from": batch.status}
    if safe_next(request):
        query["next"] = safe_next(request)
    url = reverse("batch_detail", args=[project.pk, batch.pk])
    return redirect(f"{url}?{urlencode(query)}#move")


def board_url(project: Project, request) -> str:
    url = reverse("board", args=[project.pk])
    query = BoardFilter.from_data(request.POST or request.GET).querystring
    return f"{url}?{query}" if query else url


# --- views ----------------------------------------------------------------------------------------


@require_POST
@login_required
def batch_move(request, project_pk: int, pk: int):
    membership = get_project_for(request.user, project_pk)
    project = membership.project
    data = request.POST
    token_before = board_token(membership) if request.htmx and data.get("token") else None
    try:
        batch = seen_batch(membership, pk, data)
        action = action_from(data, batch, project)
        from_dialog = data.get("dialog") == "1" or data.get("confirmed") == "yes"
        if action in DIALOG_ACTIONS:
            # Never show (or re-show) a dialog to someone who may not make the move.
            check_may(membership, batch, action)
        result = HANDLERS[action](
            request, membership, batch, data if from_dialog or action not in DIALOG_ACTIONS else None
        )
    except WorkflowError as error:
        return answer_refusal(request, membership, error)
    if isinstance(result, Dialog):
        return answer_dialog(request, membership, batch, result)
    return answer_outcome(request, membership, result, token_before)


@require_GET
@login_required
def batch_move_dialog(request, project_pk: int, pk: int, action: str):
    """The dialog a menu item opens (htmx); without JavaScript the batch page shows the same form."""
    membership = get_project_for(request.user, project_pk)
    try:
        batch = seen_batch(membership, pk, request.GET)
        dialog = open_dialog(request, membership, batch, action)
    except WorkflowError as error:
        return answer_refusal(request, membership, error)
    return answer_dialog(request, membership, batch, dialog)
