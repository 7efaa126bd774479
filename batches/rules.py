"""The rule book: every move of spec/WORKFLOW.md, where it starts, where it goes, and who may make it.

One row per move. workflow.py, the board's menus, the dialogs, the drag router, the workspaces and the
admin all ask this table (`Move.refusal`, `moves_for`, `drag_move`, `may_annotate`, `may_review`);
none of them decides on its own. tests/batches/test_rules.py walks every (roles × column × move) cell
and checks that the menu, the dialog, the drag endpoint and the workflow give the same answer.

Adding a move: one row here, one function in workflow.py, one view in views/moves.py and its dialog.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.access import Membership
from accounts.calendars import isolate, localise_digits

from .errors import WorkflowError
from .models import Batch, BatchQuerySet, may_see_batch

Status = Batch.Status
__all__ = ["MOVES", "Membership", "Move", "delete_move", "drag_move", "may_annotate", "may_review", "moves_for"]


def sees(membership: Membership, batch: Batch) -> bool:
    """Whether this person sees the batch at all (the project's annotator visibility setting)."""
    return may_see_batch(membership.user, membership.perms, membership.project, batch)


def visible_batches(membership: Membership) -> BatchQuerySet:
    """The project's batches this person sees: every batch list starts here."""
    return Batch.objects.visible_to(membership.user, membership.perms, membership.project)


Rule = Callable[[Membership, Batch], str | None]


def _managers(reason) -> Rule:
    def rule(membership: Membership, batch: Batch) -> str | None:
        return None if membership.manages else str(reason)

    return rule


def _assignee_or_manager(membership: Membership, batch: Batch) -> str | None:
    if membership.manages or (membership.annotates and membership.holds(batch)):
        return None
    return _("Only the batch's assignee or a manager can submit it.")


def _reviewers(reason) -> Rule:
    def rule(membership: Membership, batch: Batch) -> str | None:
        return None if membership.reviews else str(reason)

    return rule


def _reviewer_not_annotator(membership: Membership, batch: Batch) -> str | None:
    if not membership.reviews:
        return _("Only a reviewer of this project can approve a batch.")
    if membership.holds(batch) and not membership.project.allow_self_review:
        return self_review_refusal(batch)
    return None


def self_review_refusal(batch: Batch) -> str:
    return _("You annotated “%(name)s”, so someone else must approve it (this project does not allow self-review).") % {
        "name": isolate(batch.name)
    }


def _anyone_who_may_move_it(membership: Membership, batch: Batch) -> str | None:
    """Whoever may make some move of the batch from its column may also change its place in that column."""
    if any(move.permits(membership, batch) is None for move in MOVES.values() if move.action != "reorder"):
        return None
    return _("You may not move batches in %(column)s: only someone who can work on “%(name)s” can.") % {
        "column": batch.get_status_display(),
        "name": isolate(batch.name),
    }


def processing_refusal(batch: Batch) -> WorkflowError:
    """No move on a batch an upload is still filling (its images are not all there yet): wait, then move."""
    message = _(
        "“%(name)s” is still processing its upload (%(ready)s of %(total)s images ready); "
        "it can be moved once every image is in."
    ) % {
        "name": isolate(batch.name),
        "ready": localise_digits(str(batch.image_count)),
        "total": localise_digits(str(batch.processing_total)),
    }
    return WorkflowError(message, kind=WorkflowError.REFUSED, batch=batch)


# --- rework (#19): restore a reset, take back images not started --------------------------------------


def _restorable(membership: Membership, batch: Batch) -> str | None:
    if not membership.manages:
        return _("Only a manager of this project can restore a batch.")
    if not batch.restorable():
        return _("“%(name)s” has no reset to undo: it was not reset, it changed since, or the snapshot expired.") % {
            "name": isolate(batch.name)
        }
    return None


def _restore_target(batch: Batch) -> str:
    snapshot = getattr(batch, "reset_snapshot", None) if batch.pk else None
    return snapshot.from_status if snapshot is not None else Status.ANNOTATING


# --- end rework


def _submit_target(batch: Batch) -> str:
    return Status.REVIEW if batch.project.review_required else Status.DATASET


def _same_column(batch: Batch) -> str:
    return batch.status


@dataclass(frozen=True)
class Move:
    """One row of the rule book."""

    action: str
    label: str  # the move's name in sentences ("Approve is only possible from Review")
    sources: tuple[str, ...]
    # Every column the move can land in (empty: the batch is gone). With more than one, `pick`
    # chooses for the batch at hand (submit: Review or Dataset by the project's review setting).
    targets: tuple[str, ...]
    rule: Rule
    pick: Callable[[Batch], str] | None = None
    drag: bool = False  # a drop from a source column onto its target column means this move
    dialog: bool = False  # needs input or a confirmation first
    danger: bool = False  # loses data: the dialog and menu say so
    menu: bool = True  # offered in the card menus and on the batch page
    menu_labels: tuple[tuple[str, str], ...] = ()  # (target, label) when the menu names the target

    def target_for(self, batch: Batch) -> str | None:
        if self.pick is not None:
            return self.pick(batch)
        return self.targets[0] if self.targets else None

    def menu_label(self, batch: Batch) -> str:
        return str(dict(self.menu_labels).get(self.target_for(batch), self.label))

    def permits(self, membership: Membership, batch: Batch) -> str | None:
        """Why this person may not make this move on this batch, or None when they may."""
        if not membership.is_member:
            return _("You are not a member of this project.")
        return self.rule(membership, batch)

    def refusal(self, membership: Membership, batch: Batch) -> WorkflowError | None:
        """The error this move meets on this batch now (who may, then from where), or None."""
        reason = self.permits(membership, batch)
        if reason is not None:
            return WorkflowError(reason, kind=WorkflowError.FORBIDDEN, batch=batch)
        if batch.status not in self.sources:
            where = _(" or ").join(str(Status(s).label) for s in self.sources)
            message = _("%(move)s is only possible from %(columns)s; “%(name)s” is in %(column)s.") % {
                "move": self.label,
                "columns": where,
                "name": isolate(batch.name),
                "column": batch.get_status_display(),
            }
            return WorkflowError(message, kind=WorkflowError.REFUSED, batch=batch)
        if batch.is_processing and self.action != "reorder":
            return processing_refusal(batch)
        return None

    def require(self, membership: Membership, batch: Batch) -> None:
        error = self.refusal(membership, batch)
        if error is not None:
            raise error


ALL = tuple(Status.values)

MOVES: dict[str, Move] = {
    move.action: move
    for move in [
        Move(
            "assign",
            gettext_lazy("Assign"),
            (Status.UNASSIGNED,),
            (Status.ANNOTATING,),
            _managers(gettext_lazy("Only a manager of this project can assign a batch.")),
            drag=True,
            dialog=True,
        ),
        Move(
            "reassign",
            gettext_lazy("Reassign"),
            (Status.ANNOTATING,),
            (Status.ANNOTATING,),
            _managers(gettext_lazy("Only a manager of this project can reassign a batch.")),
            dialog=True,
        ),
        Move(
            "submit",
            gettext_lazy("Submit"),
            (Status.ANNOTATING,),
            (Status.REVIEW, Status.DATASET),
            _assignee_or_manager,
            pick=_submit_target,
            drag=True,
            menu_labels=(
                (Status.REVIEW, gettext_lazy("Submit for review")),
                (Status.DATASET, gettext_lazy("Submit to Dataset")),
            ),
        ),
        Move(
            "approve",
            gettext_lazy("Approve"),
            (Status.REVIEW,),
            (Status.DATASET,),
            _reviewer_not_annotator,
            drag=True,
        ),
        Move(
            "reject",
            gettext_lazy("Reject"),
            (Status.REVIEW,),
            (Status.ANNOTATING,),
            _reviewers(gettext_lazy("Only a reviewer of this project can reject a batch.")),
            drag=True,
            dialog=True,
        ),
        Move(
            "reopen",
            gettext_lazy("Reopen for fixes"),
            (Status.REVIEW, Status.DATASET),
            (Status.ANNOTATING,),
            _managers(gettext_lazy("Only a manager of this project can reopen a batch for fixes.")),
            dialog=True,
        ),
        Move(
            "reset",
            gettext_lazy("Reset to Unassigned"),
            (Status.ANNOTATING, Status.REVIEW, Status.DATASET),
            (Status.UNASSIGNED,),
            _managers(gettext_lazy("Only a manager of this project can reset a batch.")),
            drag=True,
            dialog=True,
            danger=True,
        ),
        Move(
            "delete",
            gettext_lazy("Delete for good"),
            (Status.UNASSIGNED,),
            (),
            _managers(gettext_lazy("Only a manager of this project can delete a batch.")),
            dialog=True,
            danger=True,
        ),
        Move(
            "merge",
            gettext_lazy("Merge"),
            (Status.UNASSIGNED,),
            (Status.UNASSIGNED,),
            _managers(gettext_lazy("Only a manager of this project can merge a batch.")),
            dialog=True,
            menu_labels=((Status.UNASSIGNED, gettext_lazy("Merge with another")),),
        ),
        # --- rework (#19)
        Move(
            "takeback",
            gettext_lazy("Take back images not started"),
            (Status.ANNOTATING,),
            (Status.ANNOTATING,),
            _managers(gettext_lazy("Only a manager of this project can take images back.")),
            dialog=True,
        ),
        Move(
            "relabel",
            gettext_lazy("Relabel from these boxes"),
            (Status.REVIEW, Status.DATASET),
            (Status.ANNOTATING,),
            _managers(gettext_lazy("Only a manager of this project can send a batch back to relabel.")),
            dialog=True,
        ),
        Move(
            "restore",
            gettext_lazy("Restore from reset"),
            (Status.UNASSIGNED,),
            (Status.ANNOTATING, Status.REVIEW, Status.DATASET),
            _restorable,
            pick=_restore_target,
            dialog=True,
        ),
        # --- end rework
        Move(
            "reorder",
            gettext_lazy("Move within its column"),
            ALL,
            ALL,
            _anyone_who_may_move_it,
            pick=_same_column,
            drag=True,
            menu=False,
        ),
    ]
}


# --- questions the rest of the project asks ----------------------------------------------------------


def moves_for(membership: Membership, batch: Batch) -> list[Move]:
    """The menu moves this person may make on this batch now, in table order."""
    return [
        move
        for move in MOVES.values()
        if move.menu
        and batch.status in move.sources
        and move.permits(membership, batch) is None
        and not (batch.is_processing and move.action != "reorder")
    ]


def delete_move(batch: Batch) -> Move:
    """One "Delete" on a card (the seed's "delete twice"): a reset outside Unassigned, for good inside it."""
    return MOVES["delete" if batch.status == Status.UNASSIGNED else "reset"]


def drag_move(batch: Batch, to: str) -> Move | None:
    """The move a drop of this batch onto column `to` means, or None when no move does that."""
    for move in MOVES.values():
        if move.drag and batch.status in move.sources and move.target_for(batch) == to:
            return move
    return None


def drag_move_elsewhere(batch: Batch, to: str) -> Move | None:
    """A move that could reach `to` from here, but not for this batch (submit to Dataset in a reviewing project)."""
    for move in MOVES.values():
        lands_elsewhere = to in move.targets and to not in move.sources and move.target_for(batch) != to
        if move.drag and batch.status in move.sources and lands_elsewhere:
            return move
    return None


def may_annotate(membership: Membership, batch: Batch) -> bool:
    """Whoever may submit a batch may work on its images (the assignee, or a manager)."""
    return MOVES["submit"].permits(membership, batch) is None


def may_review(membership: Membership, batch: Batch) -> bool:
    """Whoever may reject a batch may walk through it, flag its images and decide."""
    return MOVES["reject"].permits(membership, batch) is None
