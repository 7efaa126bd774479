"""Every move of spec/WORKFLOW.md, one function per row of its moves table.

Each move runs in one transaction: it re-reads and locks the batch, asks the rule book (rules.MOVES)
whether the actor may make the move from where the batch is, guards the write with a compare-and-set on the version the
caller saw (SQLite ignores FOR UPDATE; the WHERE clause is the guard that works everywhere), writes
exactly one BatchEvent and logs the move. Every refusal raises WorkflowError with a message a person
can read, and changes nothing. Nothing else in the project writes Batch.status.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.calendars import format_date, isolate, localise_digits
from accounts.roles import roles_of

from .errors import WorkflowError
from .models import Annotation, Batch, BatchEvent, Image, Project, ResetSnapshot, Suggestion, UploadFile
from .notifications import event_written
from .rules import MOVES, Membership, self_review_refusal
from .tasks import remove_image_files_later
from .webhooks import events as webhook_events

log = logging.getLogger("batches.workflow")

Status = Batch.Status
MAX_COMMENT = 2000


@dataclass
class AssignResult:
    assigned: list[Batch]
    remainder: Batch | None = None


@dataclass
class DeleteResult:
    batch_name: str
    reset: bool  # True: back to Unassigned; False: gone for good
    images: int
    annotations: int
    batch: Batch | None = None


# --- shared steps ---------------------------------------------------------------------------------


def membership_now(actor, project: Project) -> Membership:
    """The actor's membership, read afresh inside the move: a role taken away a moment ago counts."""
    return Membership.read(actor, project)


def _top_position() -> float:
    # Newest first in its column without reading the column: later moves get smaller positions.
    return -timezone.now().timestamp()


def _who_changed(batch_pk: int) -> str:
    return _describe(BatchEvent.objects.filter(batch_id=batch_pk).select_related("actor").first())


def _who_removed(batch: Batch) -> str:
    """Who deleted or merged away a batch that is gone, found by its id in the project's history."""
    events = BatchEvent.objects.filter(project_id=batch.project_id).select_related("actor")
    deleted = events.filter(action=BatchEvent.Action.DELETED, batch_ref=batch.pk).first()
    merges = events.filter(action=BatchEvent.Action.MERGED)
    if connection.features.supports_json_field_contains:
        merged = merges.filter(related__contains=[{"id": batch.pk}]).first()
    else:
        # SQLite has no JSON containment: the project's merges, newest first, matched by id in Python.
        merged = next((e for e in merges.iterator() if any(r.get("id") == batch.pk for r in e.related)), None)
    candidates = [event for event in (deleted, merged) if event is not None]
    return _describe(max(candidates, key=lambda event: (event.created_at, event.pk)) if candidates else None)


def _describe(event: BatchEvent | None) -> str:
    if event is None:
        return _("someone else")
    who = isolate(event.actor.username) if event.actor else _("someone")
    ago = timesince(event.created_at)
    when = _("just now") if ago.startswith(("0\xa0", "0 ", "۰")) else _("%(ago)s ago") % {"ago": ago}
    return _("%(who)s (%(action)s, %(when)s)") % {"who": who, "action": event.get_action_display(), "when": when}


def changed_under_workspace(batch: Batch) -> WorkflowError:
    """Why an open workspace may no longer save: who moved the batch, how, and when (not just "not allowed")."""
    event = BatchEvent.objects.filter(batch_id=batch.pk).select_related("actor").first()
    if event is None:
        return WorkflowError(
            _("Only the batch's assignee or a manager can annotate it."), kind=WorkflowError.FORBIDDEN, batch=batch
        )
    values = {
        "who": isolate(event.actor.username) if event.actor else _("someone"),
        "action": event.get_action_display(),
        "name": isolate(batch.name),
        "ago": timesince(event.created_at),
        "column": batch.get_status_display(),
        "assignee": isolate(batch.assignee.username) if batch.assignee else _("nobody"),
    }
    message = _(
        "%(who)s %(action)s “%(name)s” %(ago)s ago: it is in %(column)s now, assigned to %(assignee)s, "
        "so this change was not saved."
    )
    return WorkflowError(message % values, kind=WorkflowError.STALE, batch=batch)


def stale_error(fresh: Batch) -> WorkflowError:
    """The error for a batch that changed since the caller saw it, naming who changed it."""
    return WorkflowError(
        _("“%(name)s” has changed since you loaded it: last changed by %(who)s. It is now in %(column)s.")
        % {"name": isolate(fresh.name), "who": _who_changed(fresh.pk), "column": fresh.get_status_display()},
        kind=WorkflowError.STALE,
        batch=fresh,
    )


def _lock(actor, batch: Batch) -> tuple[Batch, Membership]:
    """Re-read and lock the batch; check membership, then that it is still as the caller saw it."""
    try:
        fresh = Batch.objects.select_for_update(of=("self",)).select_related("project").get(pk=batch.pk)
    except Batch.DoesNotExist:
        raise WorkflowError(
            _("“%(name)s” no longer exists: %(who)s removed it.")
            % {"name": isolate(batch.name), "who": _who_removed(batch)},
            kind=WorkflowError.STALE,
            batch=batch,
        ) from None
    membership = membership_now(actor, fresh.project)
    if not membership.is_member:
        raise WorkflowError(_("You are not a member of this project."), kind=WorkflowError.FORBIDDEN, batch=batch)
    # Staleness before the move's permission: whoever loses a race is told the batch changed, even when
    # the winning move (a reset, a reassign) also took away their right to act on it.
    if fresh.version != batch.version or fresh.status != batch.status:
        raise stale_error(fresh)
    return fresh, membership


def _begin(actor, batch: Batch, action: str) -> Batch:
    """Lock and check the batch (_lock), then ask the rule book whether this move may happen."""
    fresh, membership = _lock(actor, batch)
    MOVES[action].require(membership, fresh)
    return fresh


def _update(fresh: Batch, **changes) -> None:
    """Compare-and-set: write only if nobody changed the batch since it was read."""
    now = timezone.now()
    if "status" in changes and changes["status"] != fresh.status:
        changes.setdefault("status_changed_at", now)
    updated = Batch.objects.filter(pk=fresh.pk, status=fresh.status, version=fresh.version).update(
        version=F("version") + 1, updated_at=now, **changes
    )
    if updated != 1:
        raise WorkflowError(
            _("“%(name)s” was changed by someone else just now; nothing was done.") % {"name": isolate(fresh.name)},
            kind=WorkflowError.STALE,
            batch=fresh,
        )
    for name, value in changes.items():
        if not hasattr(value, "resolve_expression"):
            setattr(fresh, name, value)
    fresh.version += 1
    fresh.updated_at = now


def _event(
    actor,
    batch: Batch,
    action: str,
    *,
    from_status: str,
    images: int,
    to_status: str | None = None,
    related: Sequence[dict] = (),
    details: dict | None = None,
    note: str = "",
) -> None:
    """The move's one line of history, as data: the sentence people read is rendered from it."""
    event = BatchEvent.objects.create(
        project_id=batch.project_id,
        batch=batch,
        batch_ref=batch.pk,
        batch_name=batch.name,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=batch.status if to_status is None else to_status,
        image_count=images,
        related=list(related),
        details=details or {},
        note=note,
    )
    webhook_events.batch_event_recorded(event)  # webhooks: queued once the move commits
    event_written(event)  # issue 18: the people this move concerns are told once it commits
    note = event.summary
    log.info(
        "batch %s (%s) %s by %s: %s -> %s, %d images%s",
        batch.pk,
        batch.name,
        action,
        actor.username,
        from_status or "-",
        event.to_status or "-",
        images,
        f"; {note}" if note else "",
        extra={
            "batch_id": batch.pk,
            "batch_name": batch.name,
            "action": action,
            "actor": actor.username,
            "from_status": from_status,
            "to_status": event.to_status,
            "image_count": images,
            "note": note,
        },
    )


def _is_annotator(user, project: Project) -> bool:
    if user is None or not user.is_active:
        return False
    if user.is_superuser:
        # A superuser holds every permission, but works on batches only as a member with the annotator role.
        return "annotator" in roles_of(project, user)
    return membership_now(user, project).annotates


def _check_annotators(project: Project, users: Sequence) -> None:
    for user in users:
        if not _is_annotator(user, project):
            name = getattr(user, "username", None) or _("That user")
            raise WorkflowError(
                _("%(name)s is not an annotator of this project; add the annotator role on the Members page first.")
                % {"name": isolate(name)},
                kind=WorkflowError.INVALID,
            )


def _related(batch: Batch, **extra) -> dict:
    """Another batch a move involved, as its history keeps it (by id: it may be gone later)."""
    return {"id": batch.pk, "name": batch.name, "images": batch.image_count, **extra}


def _split_sizes(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _short(name: str, suffix: str) -> str:
    return f"{name[: 200 - len(suffix)]}{suffix}"


# "part" is written in the language (and digits) of whoever splits the batch; any one word is read back as it,
# and so are either digits with either decimal point ("2.1" or "۲٫۱").
PART_SUFFIX = re.compile(r"^(?P<base>.*) · [^\W\d_]+ (?P<number>[\d.\u066b]+)/\d+$")


def part_names(name: str, parts: int) -> list[str]:
    """The names of a batch split into `parts`: "X · part 1/3" … "X · part 3/3"; a part split again
    numbers its own parts below its number ("X · part 2.1/2"), never "X (rest) (rest)"."""
    if parts == 1:
        return [name]
    found = PART_SUFFIX.match(name)
    base, prefix = (found["base"], f"{found['number']}.") if found else (name, "")
    word = _("part")
    return [_short(base, localise_digits(f" · {word} {prefix}{k}/{parts}")) for k in range(1, parts + 1)]


def _default_upload_name() -> str:
    # The name is stored, so it is written once in the uploader's language, calendar and digits.
    return _("Upload %(when)s") % {"when": format_date(timezone.now(), with_time=True)}


def split_refusal(images: int, annotators: int) -> str:
    """The same sentence for the assign form and the move: too few images for the annotators chosen."""
    return ngettext(
        "%(images)s images cannot be split among %(count)s annotator.",
        "%(images)s images cannot be split among %(count)s annotators.",
        annotators,
    ) % {"images": localise_digits(str(images)), "count": localise_digits(str(annotators))}


def _ensure_same_project(batch: Batch, project: Project | None) -> None:
    if project is not None and batch.project_id != project.pk:
        raise WorkflowError(_("That batch belongs to another project."), kind=WorkflowError.INVALID, batch=batch)


# --- the moves ------------------------------------------------------------------------------------


def create_batch(*, actor, project: Project, name: str, images: Sequence[Image]) -> Batch:
    """(upload) → Unassigned: already-validated, already-stored images become one new batch."""
    name = (name or "").strip() or _default_upload_name()
    if len(name) > 200:
        raise WorkflowError(_("A batch name has at most 200 characters."), kind=WorkflowError.INVALID)
    if not images:
        raise WorkflowError(_("No images were kept, so no batch was created."), kind=WorkflowError.INVALID)
    if not membership_now(actor, project).manages:
        raise WorkflowError(_("Only a manager of this project can upload images."), kind=WorkflowError.FORBIDDEN)
    try:
        with transaction.atomic():
            batch = Batch.objects.create(project=project, name=name, image_count=len(images), position=_top_position())
            for image in images:
                image.project = project
                image.batch = batch
                image.state = Image.State.NEW
            Image.objects.bulk_create(images, batch_size=500)
            _event(actor, batch, BatchEvent.Action.CREATED, from_status="", images=len(images))
    except IntegrityError:
        raise WorkflowError(
            _("Some of these images are already in the project (same content); nothing was created."),
            kind=WorkflowError.INVALID,
        ) from None
    return batch


def open_upload_batch(*, actor, project: Project, name: str, expected: int) -> Batch:
    """(upload session) → Unassigned, empty and processing: the card shows at once and fills as images are ready."""
    name = (name or "").strip() or _default_upload_name()
    if len(name) > 200:
        raise WorkflowError(_("A batch name has at most 200 characters."), kind=WorkflowError.INVALID)
    if not membership_now(actor, project).manages:
        raise WorkflowError(_("Only a manager of this project can upload images."), kind=WorkflowError.FORBIDDEN)
    with transaction.atomic():
        batch = Batch.objects.create(
            project=project, name=name, image_count=0, processing_total=max(expected, 1), position=_top_position()
        )
        _event(actor, batch, BatchEvent.Action.CREATED, from_status="", images=0)
    return batch


def add_processed_image(*, batch_pk: int, image: Image) -> None:
    """A worker's image joins its processing batch (inside the caller's transaction); the board sees the change."""
    image.batch_id = batch_pk
    image.state = Image.State.NEW
    image.save(force_insert=True)
    Batch.objects.filter(pk=batch_pk).update(
        image_count=F("image_count") + 1, version=F("version") + 1, updated_at=timezone.now()
    )


def add_processed_images(*, batch_pk: int, images: list[Image]) -> None:
    """Several of a worker's images join their processing batch at once (inside the caller's transaction)."""
    for image in images:
        image.batch_id = batch_pk
        image.state = Image.State.NEW
    Image.objects.bulk_create(images)
    Batch.objects.filter(pk=batch_pk).update(
        image_count=F("image_count") + len(images), version=F("version") + 1, updated_at=timezone.now()
    )


def close_upload_batch(*, batch_pk: int, expected: int | None = None, cancelled: bool = False) -> None:
    """The upload is done (or its total is known now): the batch stops processing, or goes when it holds nothing."""
    with transaction.atomic():
        batch = Batch.objects.select_for_update().filter(pk=batch_pk).first()
        if batch is None:
            return
        if expected is not None:
            Batch.objects.filter(pk=batch_pk).update(processing_total=max(expected, 1), version=F("version") + 1)
            return
        if batch.image_count == 0 or cancelled:
            # The files leave on a worker once this commits (listed in the ledger first, as for any delete).
            remove_image_files_later(Image.objects.filter(batch=batch))
            batch.delete()
            return
        Batch.objects.filter(pk=batch_pk).update(
            processing_total=0, version=F("version") + 1, updated_at=timezone.now()
        )
        webhook_events.upload_finished(batch)  # webhooks: queued once this commits


def assign(
    *,
    actor,
    batch: Batch,
    assignees: Sequence,
    count: int | None = None,
    image_ids: Sequence[int] | None = None,
    project: Project | None = None,
) -> AssignResult:
    """Unassigned → Annotating, to one annotator or split evenly among several.

    With `count` (the first N images) or `image_ids` (chosen ones) only part is assigned; the rest
    becomes a new batch in Unassigned. Query count depends on the number of annotators, never on
    the number of images.
    """
    _ensure_same_project(batch, project)
    assignees = list(dict.fromkeys(assignees))
    if not assignees:
        raise WorkflowError(_("Choose at least one annotator."), kind=WorkflowError.INVALID, batch=batch)
    if count is not None and image_ids is not None:
        raise WorkflowError(_("Give a number of images or chosen images, not both."), kind=WorkflowError.INVALID)
    with transaction.atomic():
        fresh = _begin(actor, batch, "assign")
        _check_annotators(fresh.project, assignees)
        total = fresh.image_count
        images = Image.objects.filter(batch=fresh)
        chosen: list[int] | None = None
        if image_ids is not None:
            try:
                chosen = sorted({int(pk) for pk in image_ids})
            except (TypeError, ValueError):
                raise WorkflowError(_("The chosen images are not valid."), kind=WorkflowError.INVALID) from None
            if not chosen:
                raise WorkflowError(_("Choose at least one image."), kind=WorkflowError.INVALID, batch=fresh)
            found = images.filter(pk__in=chosen).count()
            if found != len(chosen):
                raise WorkflowError(
                    ngettext(
                        "%(count)s of the chosen images is not in “%(name)s”.",
                        "%(count)s of the chosen images are not in “%(name)s”.",
                        len(chosen) - found,
                    )
                    % {"count": localise_digits(str(len(chosen) - found)), "name": isolate(fresh.name)},
                    kind=WorkflowError.INVALID,
                    batch=fresh,
                )
            n = len(chosen)
        else:
            n = total if count is None else count
            if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= total:
                raise WorkflowError(
                    _("Choose between 1 and %(total)s images: “%(name)s” has %(total)s.")
                    % {"total": localise_digits(str(total)), "name": isolate(fresh.name)},
                    kind=WorkflowError.INVALID,
                    batch=fresh,
                )
        if n < len(assignees):
            raise WorkflowError(
                split_refusal(n, len(assignees)),
                kind=WorkflowError.INVALID,
                batch=fresh,
            )
        sizes = _split_sizes(n, len(assignees))
        rest = total - n
        names = part_names(fresh.name, len(assignees) + (1 if rest else 0))
        position = _top_position()
        _update(
            fresh,
            status=Status.ANNOTATING,
            assignee=assignees[0],
            image_count=sizes[0],
            position=position,
            name=names[0],
        )

        # Which images go where: ranges of ids for a count, slices of the sorted list for chosen images.
        ordered = images.order_by("pk").values_list("pk", flat=True)
        parts: list[Q] = []
        if chosen is not None:
            start = 0
            for size in sizes:
                parts.append(Q(pk__in=chosen[start : start + size]))
                start += size
            remainder_q = ~Q(pk__in=chosen)
        else:
            low = None
            end = 0
            for size in sizes:
                end += size
                high = ordered[end - 1] if (end < total) else None
                q = Q()
                if low is not None:
                    q &= Q(pk__gt=low)
                if high is not None:
                    q &= Q(pk__lte=high)
                parts.append(q)
                low = high
            remainder_q = Q(pk__gt=low) if low is not None else Q(pk__in=[])

        remainder = None
        if rest:
            remainder = Batch.objects.create(
                project=fresh.project,
                name=names[-1],
                split_from=fresh,
                image_count=rest,
                position=_top_position(),
            )
            Image.objects.filter(remainder_q, batch=fresh).update(batch=remainder)
        assigned = [fresh]
        for user, size, q, part_name in zip(assignees[1:], sizes[1:], parts[1:], names[1:], strict=False):
            part = Batch.objects.create(
                project=fresh.project,
                name=part_name,
                status=Status.ANNOTATING,
                assignee=user,
                split_from=fresh,
                image_count=size,
                position=position,
            )
            Image.objects.filter(q, batch=fresh).update(batch=part)
            assigned.append(part)

        split_off = [_related(b, assignee=b.assignee.username) for b in assigned[1:]]
        if remainder:
            split_off.append({**_related(remainder), "rest": True})
        _event(
            actor,
            fresh,
            BatchEvent.Action.ASSIGNED,
            from_status=Status.UNASSIGNED,
            images=n,
            related=split_off,
            details={"shares": [{"assignee": b.assignee.username, "images": b.image_count} for b in assigned]},
        )
    return AssignResult(assigned=assigned, remainder=remainder)


def reassign(*, actor, batch: Batch, assignee, project: Project | None = None) -> Batch:
    """Annotating → Annotating with another annotator; annotations stay."""
    _ensure_same_project(batch, project)
    with transaction.atomic():
        fresh = _begin(actor, batch, "reassign")
        _check_annotators(fresh.project, [assignee])
        if fresh.assignee_id == assignee.pk:
            raise WorkflowError(
                _("“%(name)s” is already assigned to %(assignee)s.")
                % {"name": isolate(fresh.name), "assignee": isolate(assignee.username)},
                kind=WorkflowError.INVALID,
                batch=fresh,
            )
        before = fresh.assignee.username if fresh.assignee else ""
        _update(fresh, assignee=assignee)
        _event(
            actor,
            fresh,
            BatchEvent.Action.REASSIGNED,
            from_status=Status.ANNOTATING,
            images=fresh.image_count,
            details={"from_assignee": before, "to_assignee": assignee.username},
        )
    return fresh


def submit(*, actor, batch: Batch, project: Project | None = None) -> Batch:
    """Annotating → Review (or → Dataset when the project needs no review)."""
    _ensure_same_project(batch, project)
    with transaction.atomic():
        fresh = _begin(actor, batch, "submit")
        target = MOVES["submit"].target_for(fresh)
        _update(fresh, status=target, position=_top_position())
        _event(
            actor,
            fresh,
            BatchEvent.Action.SUBMITTED,
            from_status=Status.ANNOTATING,
            images=fresh.image_count,
            details={"undone": fresh.image_count - fresh.done_count},
        )
    return fresh


def _drew_boxes_in(user, batch: Batch) -> bool:
    return Annotation.objects.filter(image__batch=batch, author=user).exists()


def approve(*, actor, batch: Batch, project: Project | None = None) -> Batch:
    """Review → Dataset. The review flags are cleared: once approved, nothing is left to fix."""
    _ensure_same_project(batch, project)
    with transaction.atomic():
        fresh = _begin(actor, batch, "approve")
        # The rule book refuses the assignee; boxes drawn by someone else (a manager helping) count too.
        if not fresh.project.allow_self_review and _drew_boxes_in(actor, fresh):
            raise WorkflowError(self_review_refusal(fresh), kind=WorkflowError.FORBIDDEN, batch=fresh)
        _update(fresh, status=Status.DATASET, position=_top_position())
        Image.objects.filter(batch=fresh, review_flag=True).update(review_flag=False, review_note="")
        _event(actor, fresh, BatchEvent.Action.APPROVED, from_status=Status.REVIEW, images=fresh.image_count)
    return fresh


def _comment(comment: str | None, batch: Batch, *, needed: str | None = None) -> str:
    """A move's comment, stripped: refused when empty and `needed` says why, or longer than MAX_COMMENT."""
    comment = (comment or "").strip()
    if not comment and needed:
        raise WorkflowError(needed, kind=WorkflowError.INVALID, batch=batch)
    if len(comment) > MAX_COMMENT:
        raise WorkflowError(
            localise_digits(_("Keep the comment under %(count)d characters.") % {"count": MAX_COMMENT}),
            kind=WorkflowError.INVALID,
            batch=batch,
        )
    return comment


def reject(*, actor, batch: Batch, comment: str, project: Project | None = None) -> Batch:
    """Review → Annotating with a comment for the annotator; same assignee, annotations stay."""
    _ensure_same_project(batch, project)
    comment = _comment(comment, batch, needed=_("Say what needs fixing: a rejection needs a comment."))
    with transaction.atomic():
        fresh = _begin(actor, batch, "reject")
        _update(
            fresh,
            status=Status.ANNOTATING,
            review_comment=comment,
            rejection_count=F("rejection_count") + 1,
            position=_top_position(),
        )
        fresh.rejection_count += 1
        # Every flagged image is to fix again, also one fixed after an earlier rejection and flagged still.
        Image.objects.filter(batch=fresh, review_flag=True, review_fixed=True).update(review_fixed=False)
        _event(
            actor,
            fresh,
            BatchEvent.Action.REJECTED,
            from_status=Status.REVIEW,
            images=fresh.image_count,
            note=comment,
        )
    return fresh


def reopen(*, actor, batch: Batch, assignee, comment: str, project: Project | None = None) -> Batch:
    """Review or Dataset → Annotating, to the same or another annotator, with a comment; annotations stay.

    The non-destructive way to fix a few boxes of an approved batch (a reset would remove every annotation).
    """
    _ensure_same_project(batch, project)
    comment = _comment(comment, batch, needed=_("Say what needs fixing: reopening needs a comment."))
    with transaction.atomic():
        fresh = _begin(actor, batch, "reopen")
        _check_annotators(fresh.project, [assignee])
        before = fresh.assignee.username if fresh.assignee else ""
        source = fresh.status
        _update(fresh, status=Status.ANNOTATING, assignee=assignee, review_comment=comment, position=_top_position())
        fresh.assignee = assignee
        _event(
            actor,
            fresh,
            BatchEvent.Action.REOPENED,
            from_status=source,
            images=fresh.image_count,
            details={"from_assignee": before, "to_assignee": assignee.username},
            note=comment,
        )
    return fresh


def delete_batch(*, actor, batch: Batch, project: Project | None = None) -> DeleteResult:
    """Outside Unassigned: reset to Unassigned, removing every annotation. In Unassigned: delete for good."""
    _ensure_same_project(batch, project)
    action = "delete" if batch.status == Status.UNASSIGNED else "reset"
    with transaction.atomic():
        fresh = _begin(actor, batch, action)
        if action == "reset":
            return _reset(actor, fresh)
        return _delete_for_good(actor, fresh)


def reset_loses_work(batches: Sequence[Batch]) -> bool:
    """Whether resetting `batches` removes anything people made: boxes, suggestions to accept, images marked
    done (a "no objects" image has no box) or review flags. The reset dialogs say "nothing is lost" only when
    it does not. (A rejection's comment stays in the batch's history.) At most three EXISTS queries, whatever
    the number of batches."""
    if any(batch.done_count for batch in batches):
        return True
    ids = [batch.pk for batch in batches]
    return (
        Annotation.objects.filter(image__batch__in=ids).exists()
        or Suggestion.objects.filter(image__batch__in=ids).exists()
        or Image.objects.filter(batch__in=ids, review_flag=True).exists()
    )


def _reset(actor, fresh: Batch) -> DeleteResult:
    source = fresh.status
    before = fresh.assignee_id  # told that the batch is no longer theirs (batches.notifications)
    snapshot = _snapshot(fresh)  # rework (#19): what the reset removes, kept for Restore
    _update(
        fresh,
        status=Status.UNASSIGNED,
        assignee=None,
        done_count=0,
        review_comment="",
        rejection_count=0,
        position=_top_position(),
        restore_until=snapshot.expires_at,
        restore_version=fresh.version + 1,  # the version this update leaves: any later change bumps it
    )
    # Single statements whatever the batch size: annotations have no dependants, so this is one DELETE.
    removed, _by_model = Annotation.objects.filter(image__batch=fresh).delete()
    Suggestion.objects.filter(image__batch=fresh).delete()  # rework (#19): relabelling from scratch
    Image.objects.filter(batch=fresh).filter(~Q(state=Image.State.NEW) | Q(review_flag=True)).update(
        state=Image.State.NEW, review_flag=False, review_note=""
    )
    _event(
        actor,
        fresh,
        BatchEvent.Action.RESET,
        from_status=source,
        images=fresh.image_count,
        details={
            "annotations": removed,
            "from_assignee_id": before,
            "restore_until": snapshot.expires_at.isoformat(),
        },
    )
    return DeleteResult(batch_name=fresh.name, reset=True, images=fresh.image_count, annotations=removed, batch=fresh)


def _delete_for_good(actor, fresh: Batch) -> DeleteResult:
    # The compare-and-set first; nothing is removed unless this caller still holds the batch as seen.
    _update(fresh)
    # Written before the row goes so it can name the batch; the delete sets its batch to NULL.
    _event(
        actor,
        fresh,
        BatchEvent.Action.DELETED,
        from_status=Status.UNASSIGNED,
        to_status="",
        images=fresh.image_count,
    )
    # One statement each whatever the batch size. Django's collector would load every image and delete
    # them 100 at a time, and a database-level cascade (models.DB_CASCADE) cannot be used here: Django
    # 6.1 allows it only if every relation in the chain is database-level, guardian's tables included
    # (docs/decisions/delete-without-the-collector.md). So the images go by one plain DELETE through
    # the public cursor API; annotations are removed first, so nothing refers to these rows.
    Annotation.objects.filter(image__batch=fresh).delete()
    # An uploaded file's row points at its image (SET_NULL, which the plain DELETE below does not apply).
    UploadFile.objects.filter(image__batch=fresh).update(image=None)
    Suggestion.objects.filter(image__batch=fresh).delete()  # rework (#19): they refer to the images too
    # Their files go on a worker once the rows are really gone: a rolled-back delete keeps its files.
    remove_image_files_later(Image.objects.filter(batch=fresh))
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(Image._meta.db_table)
        cursor.execute(f"DELETE FROM {table} WHERE batch_id = %s", [fresh.pk])
    Batch.objects.filter(pk=fresh.pk).delete()
    return DeleteResult(batch_name=fresh.name, reset=False, images=fresh.image_count, annotations=0)


def merge(*, actor, batches: Sequence[Batch], name: str | None = None, project: Project | None = None) -> Batch:
    """Unassigned + Unassigned → one Unassigned batch (the first one keeps its identity)."""
    batches = list({b.pk: b for b in batches}.values())
    if len(batches) < 2:
        raise WorkflowError(_("Choose at least two batches to merge."), kind=WorkflowError.INVALID)
    project_ids = {b.project_id for b in batches}
    if len(project_ids) != 1 or (project is not None and project.pk not in project_ids):
        raise WorkflowError(_("Only batches of the same project can be merged."), kind=WorkflowError.INVALID)
    name = (name or "").strip()
    if len(name) > 200:
        raise WorkflowError(_("A batch name has at most 200 characters."), kind=WorkflowError.INVALID)
    with transaction.atomic():
        # Lock in primary-key order so two merges of overlapping batches cannot deadlock.
        fresh = {b.pk: _begin(actor, b, "merge") for b in sorted(batches, key=lambda b: b.pk)}
        target = fresh[batches[0].pk]
        others = [fresh[b.pk] for b in batches[1:]]
        total = target.image_count + sum(b.image_count for b in others)
        moved = Image.objects.filter(batch__in=[b.pk for b in others]).update(batch=target)
        _deleted, per_model = Batch.objects.filter(
            Q(*[Q(pk=b.pk, version=b.version) for b in others], _connector=Q.OR), status=Status.UNASSIGNED
        ).delete()
        if per_model.get("batches.Batch", 0) != len(others):
            raise WorkflowError(
                _("One of these batches changed just now; nothing was merged."), kind=WorkflowError.STALE
            )
        _update(target, image_count=total, **({"name": name} if name else {}))
        _event(
            actor,
            target,
            BatchEvent.Action.MERGED,
            from_status=Status.UNASSIGNED,
            images=moved,
            related=[_related(b) for b in others],
        )
    return target


def reorder(
    *, actor, batch: Batch, before: Batch | None = None, after: Batch | None = None, project: Project | None = None
) -> Batch:
    """Move a batch within its column: below `before` and above `after` (either may be None).

    Same guard as every move (lock, permission, compare-and-set on the version the caller saw) and one
    MOVED event, so a stale message can still name who touched the batch last.
    """
    _ensure_same_project(batch, project)
    with transaction.atomic():
        fresh = _begin(actor, batch, "reorder")
        # Neighbours count only if they are still in the same column; their positions are read afresh.
        neighbour_ids = [b.pk for b in (before, after) if b is not None]
        positions = dict(
            Batch.objects.filter(pk__in=neighbour_ids, project_id=fresh.project_id, status=fresh.status).values_list(
                "pk", "position"
            )
        )
        above = positions.get(before.pk) if before is not None else None
        below = positions.get(after.pk) if after is not None else None
        if above is not None and below is not None:
            position = (above + below) / 2
        elif above is not None:
            position = above + 1
        elif below is not None:
            position = below - 1
        else:
            return fresh
        _update(fresh, position=position)
        _event(
            actor,
            fresh,
            BatchEvent.Action.MOVED,
            from_status=fresh.status,
            images=fresh.image_count,
        )
    return fresh


# --- undo: the inverse of a move just made, for a few seconds, by whoever made it ---------------------

UNDO_SECONDS = 10
UNDO_GRACE = 5  # the toast offers Undo for UNDO_SECONDS; a request in flight still counts
# The move an Undo takes back, and the rule-book row whose rule says who may take it back.
UNDOABLE = {
    BatchEvent.Action.ASSIGNED: "assign",
    BatchEvent.Action.SUBMITTED: "submit",
    BatchEvent.Action.APPROVED: "approve",
    BatchEvent.Action.REJECTED: "reject",
}


def _undo_refusal(fresh: Batch, why: str) -> WorkflowError:
    return WorkflowError(
        _("“%(name)s” cannot be undone: %(why)s") % {"name": isolate(fresh.name), "why": why},
        kind=WorkflowError.REFUSED,
        batch=fresh,
    )


def undo(*, actor, batch: Batch, project: Project | None = None) -> Batch:
    """Take back the move the actor just made on this batch (assign, submit, approve, reject), as its
    inverse move: the batch goes back to the column it came from. Refused when anyone changed the batch
    since (the version check), after UNDO_SECONDS, or when the move split the batch."""
    _ensure_same_project(batch, project)
    with transaction.atomic():
        fresh, membership = _lock(actor, batch)
        last = BatchEvent.objects.filter(batch=fresh).order_by("-created_at", "-id").first()
        if last is None or last.action not in UNDOABLE or last.actor_id != actor.pk:
            raise _undo_refusal(fresh, _("its last move was not yours to take back."))
        if (timezone.now() - last.created_at).total_seconds() > UNDO_SECONDS + UNDO_GRACE:
            raise _undo_refusal(fresh, _("it is too late to take the move back."))
        original = MOVES[UNDOABLE[last.action]]
        reason = original.permits(membership, fresh)
        if reason is not None:
            raise WorkflowError(reason, kind=WorkflowError.FORBIDDEN, batch=fresh)
        changes: dict = {"status": last.from_status, "position": _top_position()}
        if last.action == BatchEvent.Action.ASSIGNED:
            if last.related:
                raise _undo_refusal(fresh, _("the assignment split it into several batches."))
            if fresh.done_count or Annotation.objects.filter(image__batch=fresh).exists():
                raise _undo_refusal(fresh, _("work on its images has begun."))
            changes["assignee"] = None
        elif last.action == BatchEvent.Action.REJECTED:
            changes.update(review_comment="", rejection_count=F("rejection_count") - 1)
        source = fresh.status
        _update(fresh, **changes)
        if "rejection_count" in changes:
            fresh.rejection_count -= 1
        _event(
            actor,
            fresh,
            BatchEvent.Action.UNDONE,
            from_status=source,
            images=fresh.image_count,
            details={"undid": last.action},
        )
    return fresh


# --- rework (#19): undo a reset (restore), take back images not started ----------------------------------


def _snapshot(fresh: Batch) -> ResetSnapshot:
    """Keep what a reset is about to remove: four queries whatever the batch size (three reads, one write)."""
    images = list(
        Image.objects.filter(batch=fresh)
        .filter(~Q(state=Image.State.NEW) | Q(review_flag=True) | Q(review_fixed=True))
        .values_list("pk", "state", "review_flag", "review_note", "review_fixed")
    )
    boxes = list(
        Annotation.objects.filter(image__batch=fresh)
        .order_by("pk")
        .values_list("image_id", "label_class_id", "x", "y", "w", "h", "author_id")
    )
    # A relabelled batch's suggestions (open ones to accept, and the previous version the review compares with).
    suggestions = list(
        Suggestion.objects.filter(image__batch=fresh)
        .order_by("pk")
        .values_list("image_id", "label_class_id", "x", "y", "w", "h", "author_id", "previous")
    )
    ResetSnapshot.objects.filter(batch=fresh).delete()
    now = timezone.now()
    return ResetSnapshot.objects.create(
        created_at=now,
        batch=fresh,
        from_status=fresh.status,
        assignee_id=fresh.assignee_id,
        review_comment=fresh.review_comment,
        rejection_count=fresh.rejection_count,
        data={
            "images": [list(row) for row in images],
            "boxes": [list(row) for row in boxes],
            "suggestions": [list(row) for row in suggestions],
            "done": fresh.done_count,
        },
        expires_at=now + dt.timedelta(days=settings.RESET_SNAPSHOT_DAYS),
    )


def restore(*, actor, batch: Batch, project: Project | None = None) -> Batch:
    """Unassigned → the column a reset took it from, with every box, suggestion, flag, comment and its assignee.

    Only while the batch is exactly as the reset left it (its version) and the snapshot has not expired;
    boxes and suggestions whose label class is gone since are left out (boxes counted in the event).
    """
    _ensure_same_project(batch, project)
    with transaction.atomic():
        fresh = _begin(actor, batch, "restore")
        snapshot = ResetSnapshot.objects.filter(batch=fresh).first()
        if snapshot is None:
            raise WorkflowError(
                _("“%(name)s” has no reset to undo any more.") % {"name": isolate(fresh.name)},
                kind=WorkflowError.REFUSED,
                batch=fresh,
            )
        assignee = snapshot.assignee
        if assignee is None or not assignee.is_active:
            raise WorkflowError(
                _("“%(name)s” cannot be restored: the person it was assigned to is no longer here.")
                % {"name": isolate(fresh.name)},
                kind=WorkflowError.REFUSED,
                batch=fresh,
            )
        data = snapshot.data
        image_ids = set(Image.objects.filter(batch=fresh).values_list("pk", flat=True))
        classes = set(fresh.project.label_classes.values_list("pk", flat=True))
        # An author removed from the site since keeps the box, unattributed (as deleting a user leaves it).
        authors = {row[6] for key in ("boxes", "suggestions") for row in data.get(key, []) if row[6] is not None}
        known = set(get_user_model().objects.filter(pk__in=authors).values_list("pk", flat=True)) if authors else set()
        boxes = [
            Annotation(image_id=i, label_class_id=c, x=x, y=y, w=w, h=h, author_id=a if a in known else None)
            for i, c, x, y, w, h, a in data.get("boxes", [])
            if i in image_ids and c in classes
        ]
        suggestions = [
            Suggestion(
                image_id=i, label_class_id=c, x=x, y=y, w=w, h=h, author_id=a if a in known else None, previous=previous
            )
            for i, c, x, y, w, h, a, previous in data.get("suggestions", [])
            if i in image_ids and c in classes
        ]
        states: dict[tuple, list[int]] = {}
        for pk, state, flag, note, fixed in data.get("images", []):
            if pk in image_ids:
                states.setdefault((state, flag, note, fixed), []).append(pk)
        done = sum(len(pks) for (state, *_rest), pks in states.items() if state != Image.State.NEW)
        _update(
            fresh,
            status=snapshot.from_status,
            assignee=assignee,
            done_count=done,
            review_comment=snapshot.review_comment,
            rejection_count=snapshot.rejection_count,
            position=_top_position(),
            restore_until=None,
            restore_version=None,
        )
        fresh.assignee = assignee
        Annotation.objects.bulk_create(boxes, batch_size=1000)
        Suggestion.objects.bulk_create(suggestions, batch_size=1000)
        for (state, flag, note, fixed), pks in states.items():
            Image.objects.filter(pk__in=pks).update(state=state, review_flag=flag, review_note=note, review_fixed=fixed)
        snapshot.delete()
        _event(
            actor,
            fresh,
            BatchEvent.Action.RESTORED,
            from_status=Status.UNASSIGNED,
            images=fresh.image_count,
            details={
                "annotations": len(boxes),
                "dropped": len(data.get("boxes", [])) - len(boxes),
                "to_assignee": assignee.username,
            },
        )
    return fresh


TAKE_BACK_SCOPES = ("untouched", "not_done")


def take_back_images(batch: Batch, scope: str):
    """The images a take-back moves: never one with a box or a "no objects" mark; "untouched" also keeps
    those a reviewer flagged (their note is for the annotator)."""
    images = Image.objects.filter(batch=batch, state=Image.State.NEW).exclude(annotations__isnull=False)
    if scope == "untouched":
        images = images.filter(review_flag=False, review_fixed=False)
    return images


def take_back(*, actor, batch: Batch, scope: str, expected: int, project: Project | None = None) -> Batch:
    """Annotating → a new Unassigned batch of the images nobody has touched yet; the done ones stay.

    `expected` is the number the dialog showed: if the annotator saved an image since (or anything else
    changed), the move is refused and nothing moves. Returns the new batch.
    """
    _ensure_same_project(batch, project)
    if scope not in TAKE_BACK_SCOPES:
        raise WorkflowError(_("Choose which images to take back."), kind=WorkflowError.INVALID, batch=batch)
    with transaction.atomic():
        fresh = _begin(actor, batch, "takeback")
        # A save locks its image, then the batch: waiting here for an image a save holds would deadlock, so
        # images being saved right now are skipped, and then the count differs and the move is refused.
        ids = list(
            take_back_images(fresh, scope)
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", flat=True)
            .order_by("pk")
        )
        if not ids:
            raise WorkflowError(
                _("“%(name)s” has no images left to take back.") % {"name": isolate(fresh.name)},
                kind=WorkflowError.REFUSED,
                batch=fresh,
            )
        if len(ids) != expected:
            raise WorkflowError(
                _(
                    "“%(name)s” changed while you looked: %(now)s images can be taken back now, not %(seen)s. "
                    "Nothing was moved; open the dialog again."
                )
                % {
                    "name": isolate(fresh.name),
                    "now": localise_digits(str(len(ids))),
                    "seen": localise_digits(str(expected)),
                },
                kind=WorkflowError.STALE,
                batch=fresh,
            )
        if len(ids) == fresh.image_count:
            raise WorkflowError(
                _("No image of “%(name)s” is started: reset it to Unassigned instead.") % {"name": isolate(fresh.name)},
                kind=WorkflowError.REFUSED,
                batch=fresh,
            )
        rest = Batch.objects.create(
            project=fresh.project,
            name=_short(fresh.name, " · taken back"),
            image_count=len(ids),
            split_from=fresh,
            position=_top_position(),
        )
        # Guarded again in the UPDATE itself: an image with a box is never moved.
        moved = take_back_images(fresh, scope).filter(pk__in=ids).update(batch=rest)
        if moved != len(ids):
            raise WorkflowError(
                _("“%(name)s” was changed by someone else just now; nothing was done.") % {"name": isolate(fresh.name)},
                kind=WorkflowError.STALE,
                batch=fresh,
            )
        _update(fresh, image_count=fresh.image_count - moved)
        _event(
            actor,
            fresh,
            BatchEvent.Action.TAKEN_BACK,
            from_status=Status.ANNOTATING,
            images=moved,
            related=[_related(rest, rest=True)],
            details={"scope": scope},
        )
    return rest


def relabel(*, actor, batch: Batch, assignee, comment: str = "", project: Project | None = None) -> Batch:
    """Review or Dataset → Annotating for a new pass: the current boxes become suggestions the annotator
    accepts, adjusts or deletes; until then the batch has no boxes (an export has the current version only).
    Four statements whatever the batch size, besides the usual lock, update and event."""
    _ensure_same_project(batch, project)
    comment = _comment(comment, batch)
    with transaction.atomic():
        fresh = _begin(actor, batch, "relabel")
        _check_annotators(fresh.project, [assignee])
        source = fresh.status
        Suggestion.objects.filter(image__batch=fresh).delete()
        boxes = Annotation.objects.filter(image__batch=fresh).order_by("pk")
        rows = list(boxes.values_list("image_id", "label_class_id", "x", "y", "w", "h", "author_id"))
        # Each box twice: an open suggestion, and the previous version kept for the review's comparison.
        Suggestion.objects.bulk_create(
            [
                Suggestion(image_id=i, label_class_id=c, x=x, y=y, w=w, h=h, author_id=a, previous=previous)
                for previous in (False, True)
                for i, c, x, y, w, h, a in rows
            ],
            batch_size=1000,
        )
        suggested = rows
        boxes.delete()
        Image.objects.filter(batch=fresh).update(
            state=Image.State.NEW, review_flag=False, review_note="", review_fixed=False
        )
        _update(
            fresh,
            status=Status.ANNOTATING,
            assignee=assignee,
            done_count=0,
            review_comment=comment,
            position=_top_position(),
        )
        fresh.assignee = assignee
        _event(
            actor,
            fresh,
            BatchEvent.Action.RELABELLED,
            from_status=source,
            images=fresh.image_count,
            details={"suggestions": len(suggested), "to_assignee": assignee.username},
            note=comment,
        )
    return fresh


# --- end rework
