"""Every move of the rule book, one endpoint each: the same checks and workflow functions as the board.

Each takes the batch version the caller saw (`version` in the body, or `If-Match`): a batch that changed
since answers 409 `stale` with who changed it and its state now; a move the rule book does not allow from
where the batch is answers 409 `refused`; one the caller's roles do not allow, 403 `forbidden`.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from ninja import Router, Schema

from accounts.calendars import localise_digits

from .. import workflow
from ..models import Batch
from ..params import clean_text
from ..rules import MOVES
from .common import batch_for, batch_json, seen_batch
from .errors import ApiError
from .types import Count, Id, Text

router = Router(tags=["moves"])
Status = Batch.Status
MAX_ASSIGNEES = 100
MAX_CHOSEN = 100_000


class VersionIn(Schema):
    version: Count | None = None


class AssignIn(VersionIn):
    assignees: list[Id]
    count: Count | None = None
    image_ids: list[Id] | None = None


class AssigneeIn(VersionIn):
    assignee: Id


class CommentIn(VersionIn):
    comment: Text


class ReopenIn(VersionIn):
    assignee: Id
    comment: Text


class MergeIn(VersionIn):
    other: Id
    other_version: Count
    name: Text | None = None


class ReorderIn(VersionIn):
    before: Id | None = None
    after: Id | None = None


def _users(ids: list[int]) -> list:
    if len(ids) > MAX_ASSIGNEES:
        raise ApiError(
            400, "invalid", _("Choose at most %(n)s annotators.") % {"n": localise_digits(str(MAX_ASSIGNEES))}
        )
    found = {user.pk: user for user in get_user_model().objects.filter(pk__in=ids)}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise ApiError(400, "invalid", _("No such user: %(ids)s.") % {"ids": ", ".join(map(str, missing))})
    return [found[pk] for pk in ids]


def _start(request, project_pk, pk, version, action: str):
    batch, member = seen_batch(request, project_pk, pk, version)
    MOVES[action].require(member, batch)
    return batch, member


def _answer(request, batch: Batch, project_pk: int):
    fresh, member = batch_for(request, project_pk, batch.pk)
    return batch_json(fresh, member)


@router.post("/{int:project_pk}/batches/{int:pk}/assign", summary="Assign: all images, a count or chosen ones")
def assign(request, project_pk: int, pk: int, payload: AssignIn):
    batch, member = _start(request, project_pk, pk, payload.version, "assign")
    if payload.image_ids is not None and len(payload.image_ids) > MAX_CHOSEN:
        raise ApiError(400, "invalid", _("Choose at most %(n)s images.") % {"n": localise_digits(str(MAX_CHOSEN))})
    users = _users(payload.assignees)
    result = workflow.assign(
        actor=request.user,
        batch=batch,
        assignees=users,
        count=payload.count,
        image_ids=payload.image_ids,
        project=member.project,
    )
    return {
        "assigned": [batch_json(part, member) for part in result.assigned],
        "remainder": batch_json(result.remainder, member) if result.remainder else None,
    }


@router.post("/{int:project_pk}/batches/{int:pk}/reassign", summary="Reassign to another annotator")
def reassign(request, project_pk: int, pk: int, payload: AssigneeIn):
    batch, member = _start(request, project_pk, pk, payload.version, "reassign")
    (user,) = _users([payload.assignee])
    workflow.reassign(actor=request.user, batch=batch, assignee=user, project=member.project)
    return _answer(request, batch, project_pk)


@router.post("/{int:project_pk}/batches/{int:pk}/submit", summary="Submit for review (or to Dataset)")
def submit(request, project_pk: int, pk: int, payload: VersionIn | None = None):
    batch, member = _start(request, project_pk, pk, payload.version if payload else None, "submit")
    workflow.submit(actor=request.user, batch=batch, project=member.project)
    return _answer(request, batch, project_pk)


@router.post("/{int:project_pk}/batches/{int:pk}/approve", summary="Approve into Dataset")
def approve(request, project_pk: int, pk: int, payload: VersionIn | None = None):
    batch, member = _start(request, project_pk, pk, payload.version if payload else None, "approve")
    workflow.approve(actor=request.user, batch=batch, project=member.project)
    return _answer(request, batch, project_pk)


@router.post("/{int:project_pk}/batches/{int:pk}/reject", summary="Reject with a comment")
def reject(request, project_pk: int, pk: int, payload: CommentIn):
    batch, member = _start(request, project_pk, pk, payload.version, "reject")
    comment = clean_text(payload.comment, max_length=None, multiline=True)
    workflow.reject(actor=request.user, batch=batch, comment=comment, project=member.project)
    return _answer(request, batch, project_pk)


@router.post("/{int:project_pk}/batches/{int:pk}/reopen", summary="Reopen for fixes (annotations stay)")
def reopen(request, project_pk: int, pk: int, payload: ReopenIn):
    batch, member = _start(request, project_pk, pk, payload.version, "reopen")
    (user,) = _users([payload.assignee])
    comment = clean_text(payload.comment, max_length=None, multiline=True)
    workflow.reopen(actor=request.user, batch=batch, assignee=user, comment=comment, project=member.project)
    return _answer(request, batch, project_pk)


@router.post("/{int:project_pk}/batches/{int:pk}/reset", summary="Reset to Unassigned (removes annotations)")
def reset(request, project_pk: int, pk: int, payload: VersionIn | None = None):
    batch, member = _start(request, project_pk, pk, payload.version if payload else None, "reset")
    result = workflow.delete_batch(actor=request.user, batch=batch, project=member.project)
    return {**_answer(request, batch, project_pk), "annotations_removed": result.annotations}


@router.post("/{int:project_pk}/batches/{int:pk}/delete", summary="Delete an Unassigned batch for good")
def delete(request, project_pk: int, pk: int, payload: VersionIn | None = None):
    batch, member = _start(request, project_pk, pk, payload.version if payload else None, "delete")
    result = workflow.delete_batch(actor=request.user, batch=batch, project=member.project)
    return {"deleted": True, "name": result.batch_name, "images": result.images}


@router.post("/{int:project_pk}/batches/{int:pk}/merge", summary="Merge another Unassigned batch into this one")
def merge(request, project_pk: int, pk: int, payload: MergeIn):
    batch, member = _start(request, project_pk, pk, payload.version, "merge")
    other, _member = seen_batch(request, project_pk, payload.other, payload.other_version)
    name = clean_text(payload.name, max_length=None) if payload.name is not None else None
    merged = workflow.merge(actor=request.user, batches=[batch, other], name=name, project=member.project)
    return _answer(request, merged, project_pk)


@router.post("/{int:project_pk}/batches/{int:pk}/reorder", summary="Move within its column")
def reorder(request, project_pk: int, pk: int, payload: ReorderIn):
    batch, member = _start(request, project_pk, pk, payload.version, "reorder")
    before = Batch(pk=payload.before) if payload.before else None
    after = Batch(pk=payload.after) if payload.after else None
    workflow.reorder(actor=request.user, batch=batch, before=before, after=after, project=member.project)
    return _answer(request, batch, project_pk)


@router.post("/{int:project_pk}/batches/{int:pk}/undo", summary="Undo your last move (within seconds)")
def undo(request, project_pk: int, pk: int, payload: VersionIn | None = None):
    batch, member = seen_batch(request, project_pk, pk, payload.version if payload else None)
    workflow.undo(actor=request.user, batch=batch, project=member.project)
    return _answer(request, batch, project_pk)


# --- rework (#19): take back, restore, relabel -------------------------------------------------------------


class TakeBackIn(VersionIn):
    scope: Text = "untouched"  # "untouched" (no box, no mark, no flag) or "not_done" (every image not done)
    expected: Count  # how many images the caller expects to move: a save since then refuses the move


class RelabelIn(VersionIn):
    assignee: Id
    comment: Text | None = None


@router.post(
    "/{int:project_pk}/batches/{int:pk}/takeback",
    summary="Take back the images nobody started into a new Unassigned batch",
)
def takeback(request, project_pk: int, pk: int, payload: TakeBackIn):
    batch, member = _start(request, project_pk, pk, payload.version, "takeback")
    new = workflow.take_back(
        actor=request.user, batch=batch, scope=payload.scope, expected=payload.expected, project=member.project
    )
    return {**_answer(request, batch, project_pk), "taken_back": _answer(request, new, project_pk)}


@router.post("/{int:project_pk}/batches/{int:pk}/restore", summary="Undo a reset: back where it was, every box")
def restore(request, project_pk: int, pk: int, payload: VersionIn | None = None):
    batch, member = _start(request, project_pk, pk, payload.version if payload else None, "restore")
    workflow.restore(actor=request.user, batch=batch, project=member.project)
    return _answer(request, batch, project_pk)


@router.post(
    "/{int:project_pk}/batches/{int:pk}/relabel",
    summary="Send back for a new pass with the current boxes as suggestions",
)
def relabel(request, project_pk: int, pk: int, payload: RelabelIn):
    batch, member = _start(request, project_pk, pk, payload.version, "relabel")
    (user,) = _users([payload.assignee])
    comment = clean_text(payload.comment or "", max_length=None, multiline=True)
    workflow.relabel(actor=request.user, batch=batch, assignee=user, comment=comment, project=member.project)
    return _answer(request, batch, project_pk)
