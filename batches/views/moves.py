"""The board's moves: one view per move, and a small router for drags.

Each move view gets the batch as the person saw it and their membership (`move_view` fetches both and
asks the rule book first, so nobody is shown a dialog for a move they may not make), reads its input,
calls its one workflow function and answers through views/answers.py. A drag posts (from, to) to
`batch_move`, which finds the move in the rule book and hands over to that move's view.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.calendars import isolate, localise_digits
from accounts.roles import users_with_role

from .. import workflow
from ..access import get_project_for
from ..analytics import COLUMN_NAMES
from ..errors import WorkflowError
from ..forms import AssignForm, MergeForm, ReassignForm, RejectForm, ReopenForm
from ..models import Annotation, Batch, Image, Project, ResetSnapshot
from ..params import parse_id, parse_number
from ..rules import MOVES, Membership, delete_move, drag_move, drag_move_elsewhere
from .answers import SeenMove, answer_dialog, answer_moved, answer_refusal, seen_batch
from .board import activity_label, board_token
from .workspace import opened_count

Status = Batch.Status
MERGE_CHOICES = 200
DRAG_HINTS = {
    (Status.UNASSIGNED, Status.REVIEW): gettext_lazy("assign it first by dragging it to Annotating"),
    (Status.UNASSIGNED, Status.DATASET): gettext_lazy("assign it first by dragging it to Annotating"),
    (Status.DATASET, Status.ANNOTATING): gettext_lazy("to fix it, reopen it for fixes from its menu"),
    (Status.DATASET, Status.REVIEW): gettext_lazy("to fix it, reopen it for fixes from its menu"),
}

# Moves without input that still ask first in some cases (undone images, images the reviewer did not open).
ASKING_MOVES = ("submit", "approve")

MoveView = Callable[..., HttpResponse]
# Every move's view by action, filled by @move_view: the drag router and the batch page hand over to them.
MOVE_VIEWS: dict[str, MoveView] = {}


def answer_move(request, action: str, view: MoveView, membership: Membership, batch: Batch, token_before=None):
    """Ask the rule book, then let the move's view answer; any refusal shows the board as it is."""
    data = request.POST if request.method == "POST" else request.GET
    try:
        MOVES[action].require(membership, batch)
        return view(request, SeenMove(membership, batch, data, token_before))
    except WorkflowError as error:
        if _is_preview(request):
            return HttpResponse(status=204)
        return answer_refusal(request, membership, error)


def _is_preview(request) -> bool:
    """A dialog's live sentence (the assign dialog asks as its inputs change). One that arrives after the move
    was made, or refused, has nothing to say: it answers 204, not a refusal toast over the move's own answer."""
    return request.method == "GET" and request.GET.get("preview") == "1"


def _token_before(request, membership: Membership) -> str | None:
    """The board's fingerprint before the move, for an answer of whole columns (was the page current?). A page
    that says which cards it shows gets the columns changed since its own token instead: none is needed."""
    if not (request.htmx and request.POST.get("token")) or "cards" in request.POST:
        return None
    return board_token(membership)


def move_view(action: str, methods=("GET", "POST")):
    """Make `view(request, move: SeenMove)` the view of one move of the rule book, at its own URL."""

    def decorate(view: MoveView):
        MOVE_VIEWS[action] = view

        @wraps(view)
        @require_http_methods(list(methods))
        @login_required
        def wrapper(request, project_pk: int, pk: int):
            membership = get_project_for(request.user, project_pk)
            token_before = _token_before(request, membership) if request.method == "POST" else None
            try:
                batch = seen_batch(membership, pk, request.POST if request.method == "POST" else request.GET)
            except WorkflowError as error:
                if _is_preview(request):
                    return HttpResponse(status=204)
                return answer_refusal(request, membership, error)
            return answer_move(request, action, view, membership, batch, token_before)

        return wrapper

    return decorate


# --- assign ---------------------------------------------------------------------------------------


def annotators_of(project: Project) -> QuerySet:
    return users_with_role(project, "annotator").order_by("username")


def assign_consequence(total: int, names: list[str], count: int | None, rest_name: str = "") -> str:
    """What an assignment does, in one sentence: the dialog shows it (refreshed by htmx), the outcome says it."""
    if not names:
        return _("Choose at least one annotator.")
    n = total if count is None else count
    if not 1 <= n <= total:
        return localise_digits(_("Choose between 1 and %(total)d images.") % {"total": total})
    if n < len(names):
        return localise_digits(
            ngettext(
                "%(count)d image cannot be split among %(people)d annotators.",
                "%(count)d images cannot be split among %(people)d annotators.",
                n,
            )
            % {"count": n, "people": len(names)}
        )
    if len(names) == 1:
        to = isolate(names[0])
    else:
        base, extra = divmod(n, len(names))
        to = ", ".join(
            f"{isolate(name)} ({localise_digits(str(base + (1 if i < extra else 0)))})" for i, name in enumerate(names)
        )
    # The counts in the reader's digits; the names as they were typed.
    values = {
        "count": localise_digits(str(n)),
        "to": to,
        "rest": localise_digits(str(total - n)),
        "batch": f"“{isolate(rest_name)}”" if rest_name else _("a new batch"),
    }
    if len(names) == 1 and n == total:
        return ngettext("%(count)s image to %(to)s.", "%(count)s images to %(to)s.", n) % values
    if len(names) == 1:
        return (
            ngettext(
                "%(count)s image to %(to)s; the other %(rest)s stay in Unassigned as %(batch)s.",
                "%(count)s images to %(to)s; the other %(rest)s stay in Unassigned as %(batch)s.",
                n,
            )
            % values
        )
    if n == total:
        return _("%(count)s images split among %(to)s.") % values
    return _("%(count)s images split among %(to)s; the other %(rest)s stay in Unassigned as %(batch)s.") % values


def _assign_inputs(form: AssignForm, batch: Batch, scope: str = "all", grid: bool = True) -> dict:
    chosen = form.data.getlist("assignees") if form.is_bound else []
    annotators = list(form.fields["assignees"].queryset)
    names = [u.username for u in annotators if str(u.pk) in chosen]
    count = None
    scope = form.data.get("scope", "all") if form.is_bound else scope
    chosen_images = set(form.data.getlist("images")) if form.is_bound else set()
    if scope == "part":
        count = parse_number(form.data.get("count", ""))
        count = -1 if count is None else count  # "how many" left empty or not a number: not in range
    elif scope == "chosen":
        count = len(chosen_images) or -1  # the server checks the ids themselves on submit
    inputs = {
        "annotators": annotators,
        "chosen": chosen,
        "scope": scope,
        "count_value": form.data.get("count", "") if form.is_bound else "",
        "consequence": assign_consequence(batch.image_count, names, count),
    }
    if grid:
        # The images to choose from: the first MAX_CHOSEN of the batch, in upload order (one query).
        images = list(
            Image.objects.filter(batch_id=batch.pk)
            .order_by("pk")
            .only("pk", "original_name", "thumbnail")[: AssignForm.MAX_CHOSEN]
        )
        inputs |= {"images": images, "chosen_images": chosen_images, "more_images": batch.image_count > len(images)}
    return inputs


@move_view("assign")
def batch_assign(request, move: SeenMove):
    """Unassigned → Annotating: to one annotator or split among several, all images or the first N."""
    batch = move.batch
    preview = _is_preview(request)
    form = AssignForm(
        move.data if move.submitted or preview else None, batch=batch, annotators=annotators_of(move.project)
    )
    if preview:
        # The dialog asks again as the inputs change: the sentence is written here only.
        context = {"consequence": _assign_inputs(form, batch, grid=False)["consequence"], "batch": batch}
        return render(request, "batches/board.html#assign_consequence", context)
    if not (move.submitted and form.is_valid()):
        # The batch page's "choose images to assign" opens the dialog on the grid.
        scope = "chosen" if move.data.get("scope") == "chosen" else "all"
        return answer_dialog(request, move, "assign", form, **_assign_inputs(form, batch, scope))
    users = sorted(form.cleaned_data["assignees"], key=lambda u: u.username)
    result = workflow.assign(
        actor=request.user,
        batch=batch,
        assignees=users,
        count=form.cleaned_data["count"],
        image_ids=form.cleaned_data.get("images"),
        project=move.project,
    )
    assigned = sum(b.image_count for b in result.assigned)
    total = assigned + (result.remainder.image_count if result.remainder else 0)
    rest_name = result.remainder.name if result.remainder else ""
    sentence = assign_consequence(total, [u.username for u in users], assigned, rest_name)
    message = _("“%(batch)s”: %(sentence)s") % {"batch": isolate(batch.name), "sentence": sentence}
    # Only an assignment that did not split the batch can be taken back.
    whole = result.assigned[0] if len(result.assigned) == 1 and result.remainder is None else None
    return answer_moved(request, move, message, {Status.UNASSIGNED, Status.ANNOTATING}, undo=whole)


# --- reassign, submit, approve, reject ------------------------------------------------------------


@move_view("reassign")
def batch_reassign(request, move: SeenMove):
    """Annotating → Annotating with another annotator; annotations stay."""
    batch = move.batch
    form = ReassignForm(
        move.data if move.submitted else None, annotators=annotators_of(move.project).exclude(pk=batch.assignee_id)
    )
    if not (move.submitted and form.is_valid()):
        annotators = list(form.fields["assignee"].queryset)
        active = activity_label(batch, timezone.now())
        return answer_dialog(request, move, "reassign", form, annotators=annotators, active=active)
    user = form.cleaned_data["assignee"]
    workflow.reassign(actor=request.user, batch=batch, assignee=user, project=move.project)
    message = _("“%(batch)s” is now assigned to %(user)s.") % {
        "batch": isolate(batch.name),
        "user": isolate(user.username),
    }
    return answer_moved(request, move, message, {Status.ANNOTATING})


def submit_needs_asking(move: SeenMove) -> str:
    """Why a submit from the board asks first ("" when it need not): images not done yet, and with review
    off they would go straight into the Dataset, so that takes an explicit choice."""
    batch = move.batch
    undone = batch.image_count - batch.done_count
    if not undone:
        return ""
    if not move.submitted:
        return "ask"
    if not batch.project.review_required and move.data.get("undone_ok") != "yes":
        return "choose"
    return ""


@move_view("submit", methods=("POST",))
def batch_submit(request, move: SeenMove):
    """Annotating → Review (or Dataset): asks first when images are not done, like the workspace."""
    asking = submit_needs_asking(move)
    if asking:
        batch = move.batch
        return answer_dialog(
            request,
            move,
            "submit",
            undone=batch.image_count - batch.done_count,
            to_dataset=not batch.project.review_required,
            must_choose=asking == "choose",
            label=MOVES["submit"].menu_label(batch),
        )
    fresh = workflow.submit(actor=request.user, batch=move.batch, project=move.project)
    message = _("“%(batch)s” submitted: it is in %(column)s now.") % {
        "batch": isolate(move.batch.name),
        "column": fresh.get_status_display(),
    }
    return answer_moved(request, move, message, {Status.ANNOTATING, fresh.status}, undo=fresh)


@move_view("approve", methods=("POST",))
def batch_approve(request, move: SeenMove):
    """Review → Dataset: asks first when the reviewer has not opened every image in the review workspace."""
    batch = move.batch
    unopened = max(0, batch.image_count - opened_count(request.session, batch))
    if unopened and not move.submitted:
        return answer_dialog(request, move, "approve", unopened=unopened)
    fresh = workflow.approve(actor=request.user, batch=move.batch, project=move.project)
    message = _("“%(batch)s” approved: it is in Dataset now.") % {"batch": isolate(move.batch.name)}
    return answer_moved(request, move, message, {Status.REVIEW, Status.DATASET}, undo=fresh)


@move_view("reject")
def batch_reject(request, move: SeenMove):
    """Review → Annotating with a comment for the annotator."""
    batch = move.batch
    form = RejectForm(move.data if move.submitted else None)
    if not (move.submitted and form.is_valid()):
        return answer_dialog(request, move, "reject", form)
    fresh = workflow.reject(actor=request.user, batch=batch, comment=form.cleaned_data["comment"], project=move.project)
    who = isolate(batch.assignee.username) if batch.assignee else _("its annotator")
    message = _("“%(batch)s” went back to %(user)s with your comment.") % {"batch": isolate(batch.name), "user": who}
    return answer_moved(request, move, message, {Status.REVIEW, Status.ANNOTATING}, undo=fresh)


@move_view("reopen")
def batch_reopen(request, move: SeenMove):
    """Review or Dataset → Annotating, same or another annotator, with a comment; annotations stay."""
    batch = move.batch
    form = ReopenForm(move.data if move.submitted else None, annotators=annotators_of(move.project))
    if not (move.submitted and form.is_valid()):
        return answer_dialog(request, move, "reopen", form, annotators=list(form.fields["assignee"].queryset))
    user = form.cleaned_data["assignee"]
    source = batch.status
    workflow.reopen(
        actor=request.user, batch=batch, assignee=user, comment=form.cleaned_data["comment"], project=move.project
    )
    message = _("“%(batch)s” is back in Annotating with %(user)s; its annotations stay.") % {
        "batch": isolate(batch.name),
        "user": isolate(user.username),
    }
    return answer_moved(request, move, message, {source, Status.ANNOTATING})


# --- reset, delete, merge -------------------------------------------------------------------------


def _confirm_removal(request, move: SeenMove, action: str):
    """Reset and delete both ask first, with what will be lost in numbers (spec: "delete twice")."""
    annotations = Annotation.objects.filter(image__batch=move.batch).count()
    active = activity_label(move.batch, timezone.now())
    # rework (#19): the reset dialog says until when it can be restored.
    until = timezone.now() + timedelta(days=settings.RESET_SNAPSHOT_DAYS) if action == "reset" else None
    loses = action == "reset" and (annotations > 0 or workflow.reset_loses_work([move.batch]))
    return answer_dialog(
        request, move, action, annotations=annotations, loses=loses, active=active, restore_until=until
    )


@move_view("reset")
def batch_reset(request, move: SeenMove):
    """Annotating, Review or Dataset → Unassigned: every annotation of its images is removed."""
    if not move.submitted:
        return _confirm_removal(request, move, "reset")
    source = move.batch.status
    result = workflow.delete_batch(actor=request.user, batch=move.batch, project=move.project)
    message = ngettext(
        "“%(batch)s” is back in Unassigned; %(count)s annotation removed.",
        "“%(batch)s” is back in Unassigned; %(count)s annotations removed.",
        result.annotations,
    ) % {"batch": isolate(result.batch_name), "count": localise_digits(str(result.annotations))}
    return answer_moved(request, move, message, {source, Status.UNASSIGNED})


@move_view("delete")
def batch_delete(request, move: SeenMove):
    """Unassigned → gone: the batch, its images and their stored files."""
    if not move.submitted:
        return _confirm_removal(request, move, "delete")
    result = workflow.delete_batch(actor=request.user, batch=move.batch, project=move.project)
    message = ngettext(
        "“%(batch)s” and its %(count)s image were deleted for good.",
        "“%(batch)s” and its %(count)s images were deleted for good.",
        result.images,
    ) % {"batch": isolate(result.batch_name), "count": localise_digits(str(result.images))}
    return answer_moved(request, move, message, {Status.UNASSIGNED}, gone=True)


def merge_candidates(project: Project, batch: Batch) -> QuerySet:
    return (
        Batch.objects.filter(project=project, status=Status.UNASSIGNED).exclude(pk=batch.pk).order_by("position", "-id")
    )


@move_view("merge")
def batch_merge(request, move: SeenMove):
    """Unassigned + Unassigned → one Unassigned batch."""
    batch = move.batch
    form = MergeForm(move.data if move.submitted else None, candidates=merge_candidates(move.project, batch))
    if not (move.submitted and form.is_valid()):
        candidates = list(form.candidates[: MERGE_CHOICES + 1])
        return answer_dialog(
            request,
            move,
            "merge",
            form,
            # Each choice carries the version the person saw: a batch that changed since is refused as stale.
            candidates=[(MergeForm.choice(other), other) for other in candidates[:MERGE_CHOICES]],
            chosen_other=form.data.get("other", "") if form.is_bound else "",
            more_candidates=len(candidates) > MERGE_CHOICES,
        )
    other = form.cleaned_data["other"]
    merged = workflow.merge(
        actor=request.user, batches=[batch, other], name=form.cleaned_data["name"], project=move.project
    )
    message = ngettext(
        "“%(other)s” merged into “%(batch)s”: %(count)s image.",
        "“%(other)s” merged into “%(batch)s”: %(count)s images.",
        merged.image_count,
    ) % {"other": isolate(other.name), "batch": isolate(merged.name), "count": localise_digits(str(merged.image_count))}
    return answer_moved(request, move, message, {Status.UNASSIGNED})


# --- rework (#19): take back images not started, restore a reset ----------------------------------------


@move_view("takeback")
def batch_takeback(request, move: SeenMove):
    """Annotating → a new Unassigned batch of its images not started; the dialog shows the counts first."""
    batch = move.batch
    scope = move.data.get("scope", "untouched")
    if move.submitted and scope in workflow.TAKE_BACK_SCOPES:
        seen = parse_id(move.data.get(f"expected_{scope}", ""))
        rest = workflow.take_back(
            actor=request.user, batch=batch, scope=scope, expected=-1 if seen is None else seen, project=move.project
        )
        message = ngettext(
            "%(count)s image of “%(batch)s” went back to Unassigned as “%(rest)s”.",
            "%(count)s images of “%(batch)s” went back to Unassigned as “%(rest)s”.",
            rest.image_count,
        ) % {"count": localise_digits(str(rest.image_count)), "batch": isolate(batch.name), "rest": isolate(rest.name)}
        return answer_moved(request, move, message, {Status.ANNOTATING, Status.UNASSIGNED})
    untouched = workflow.take_back_images(batch, "untouched").count()
    not_done = workflow.take_back_images(batch, "not_done").count()
    if not_done == batch.image_count:
        untouched = not_done = 0  # nothing started at all: a reset is the move for that (the workflow refuses)
    return answer_dialog(
        request,
        move,
        "takeback",
        untouched=untouched,
        not_done=not_done,
        done=batch.image_count - untouched,
        scope=scope,
        cannot=not not_done,
        submit_label=_("Take back"),
    )


@move_view("relabel")
def batch_relabel(request, move: SeenMove):
    """Review or Dataset → Annotating, the current boxes kept as suggestions for a new pass."""
    batch = move.batch
    annotators = list(annotators_of(move.project))
    chosen = parse_id(move.data.get("assignee", "")) if move.submitted else batch.assignee_id
    assignee = next((person for person in annotators if person.pk == chosen), None)
    comment = move.data.get("comment", "") if move.submitted else ""
    if not (move.submitted and assignee is not None):
        boxes = Annotation.objects.filter(image__batch=batch).count()
        error = _("Choose the annotator who relabels it.") if move.submitted else ""
        return answer_dialog(
            request,
            move,
            "relabel",
            annotators=annotators,
            chosen=chosen,
            boxes=boxes,
            comment=comment,
            error=error,
            cannot=not annotators,
            submit_label=_("Send back to relabel"),
        )
    source = batch.status
    workflow.relabel(actor=request.user, batch=batch, assignee=assignee, comment=comment, project=move.project)
    message = _("“%(batch)s” is back in Annotating with %(user)s; its boxes are suggestions now.") % {
        "batch": isolate(batch.name),
        "user": isolate(assignee.username),
    }
    return answer_moved(request, move, message, {source, Status.ANNOTATING})


@move_view("restore")
def batch_restore(request, move: SeenMove):
    """Unassigned → where a reset took it from, with every box (while unchanged since and not expired)."""
    batch = move.batch
    if move.submitted:
        fresh = workflow.restore(actor=request.user, batch=batch, project=move.project)
        message = _("“%(batch)s” is restored: back in %(column)s with %(user)s and every box.") % {
            "batch": isolate(batch.name),
            "column": fresh.get_status_display(),
            "user": isolate(fresh.assignee.username),
        }
        return answer_moved(request, move, message, {Status.UNASSIGNED, fresh.status})
    snapshot = ResetSnapshot.objects.filter(batch=batch).select_related("assignee").first()
    if snapshot is None:
        raise WorkflowError(
            _("“%(name)s” has no reset to undo any more.") % {"name": isolate(batch.name)},
            kind=WorkflowError.REFUSED,
            batch=batch,
        )
    return answer_dialog(
        request,
        move,
        "restore",
        annotations=len(snapshot.data.get("boxes", [])),
        column=COLUMN_NAMES[snapshot.from_status],
        person=snapshot.assignee.username if snapshot.assignee else _("nobody"),
        until=batch.restore_until,
        submit_label=_("Restore"),
    )


# --- end rework


# --- within a column ------------------------------------------------------------------------------


def _reorder(request, move: SeenMove):
    def neighbour(name: str) -> Batch | None:
        pk = parse_id(move.data.get(name, ""))
        return Batch(pk=pk) if pk is not None else None

    workflow.reorder(
        actor=request.user, batch=move.batch, before=neighbour("before"), after=neighbour("after"), project=move.project
    )
    return answer_moved(request, move, "", {move.batch.status})


MOVE_VIEWS["reorder"] = _reorder


# --- the drag router ------------------------------------------------------------------------------


def routed_move(data, batch: Batch) -> str:
    """The move a post to the board's move endpoint means: named (a plain form), or a drag (from, to)."""
    action = data.get("action", "")
    if action:
        if action not in MOVE_VIEWS or not MOVES[action].menu:
            raise WorkflowError(
                _("“%(action)s” is not a move of this board.") % {"action": action},
                kind=WorkflowError.INVALID,
                batch=batch,
            )
        return action
    target = data.get("to", "")
    if target not in Status.values:
        raise WorkflowError(_("That is not a column of this board."), kind=WorkflowError.INVALID, batch=batch)
    move = drag_move(batch, target)
    if move is not None:
        return move.action
    source_label, target_label = Status(batch.status).label, Status(target).label
    elsewhere = drag_move_elsewhere(batch, target)
    if elsewhere is not None:
        goes_to = elsewhere.target_for(batch)
        reviews = batch.project.review_required
        hint = _("this project reviews every batch") if reviews else _("this project needs no review")
        raise WorkflowError(
            _("“%(batch)s” cannot go to %(to)s: %(hint)s, so drag it to %(goes_to)s.")
            % {"batch": isolate(batch.name), "to": target_label, "hint": hint, "goes_to": Status(goes_to).label},
            kind=WorkflowError.REFUSED,
            batch=batch,
        )
    hint = DRAG_HINTS.get((batch.status, target))
    values = {"batch": isolate(batch.name), "from": source_label, "to": target_label, "hint": hint}
    message = (
        _("“%(batch)s” cannot move from %(from)s to %(to)s: %(hint)s.")
        if hint
        else _("“%(batch)s” cannot move from %(from)s to %(to)s.")
    ) % values
    raise WorkflowError(message, kind=WorkflowError.REFUSED, batch=batch)


@require_POST
@login_required
def batch_move(request, project_pk: int, pk: int):
    """A drop on the board (from, to), or a plain form naming its move: hands over to that move's view."""
    membership = get_project_for(request.user, project_pk)
    token_before = _token_before(request, membership)
    try:
        batch = seen_batch(membership, pk, request.POST)
        action = routed_move(request.POST, batch)
    except WorkflowError as error:
        return answer_refusal(request, membership, error)
    return answer_move(request, action, MOVE_VIEWS[action], membership, batch, token_before)


def dialog_action(batch: Batch, action: str) -> str:
    """The move whose dialog a menu item or the batch page asks for."""
    if action in ("reset", "delete"):
        # One "Delete" on a card: a reset outside Unassigned, for good inside it (the seed's "delete twice").
        return delete_move(batch).action
    if action not in MOVES or not (MOVES[action].dialog or action in ASKING_MOVES):
        raise WorkflowError(
            _("“%(action)s” is not a move with a dialog.") % {"action": action},
            kind=WorkflowError.INVALID,
            batch=batch,
        )
    return action


@require_safe
@login_required
def batch_move_dialog(request, project_pk: int, pk: int, action: str):
    """The dialog a menu item opens (htmx); without JavaScript the batch page shows the same form."""
    membership = get_project_for(request.user, project_pk)
    try:
        batch = seen_batch(membership, pk, request.GET)
        action = dialog_action(batch, action)
    except WorkflowError as error:
        return answer_refusal(request, membership, error)
    return answer_move(request, action, MOVE_VIEWS[action], membership, batch)


# --- undo -----------------------------------------------------------------------------------------


@require_POST
@login_required
def batch_undo(request, project_pk: int, pk: int):
    """The toast's Undo: the inverse of the move just made (workflow.undo), refused if the batch changed."""
    membership = get_project_for(request.user, project_pk)
    token_before = _token_before(request, membership)
    try:
        batch = seen_batch(membership, pk, request.POST)
        source = batch.status
        fresh = workflow.undo(actor=request.user, batch=batch, project=membership.project)
    except WorkflowError as error:
        return answer_refusal(request, membership, error)
    message = _("Undone: “%(batch)s” is back in %(column)s.") % {
        "batch": isolate(fresh.name),
        "column": fresh.get_status_display(),
    }
    move = SeenMove(membership, batch, request.POST, token_before)
    return answer_moved(request, move, message, {source, fresh.status})
