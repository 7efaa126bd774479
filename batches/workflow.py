"""Every move of spec/WORKFLOW.md, one function per row of its moves table.

Each move runs in one transaction: it re-reads and locks the batch, checks the actor's permission and
the allowed-moves table (Batch.MOVES), guards the write with a compare-and-set on the version the
caller saw (SQLite ignores FOR UPDATE; the WHERE clause is the guard that works everywhere), writes
exactly one BatchEvent and logs the move. Every refusal raises WorkflowError with a message a person
can read, and changes nothing. Nothing else in the project writes Batch.status.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from guardian.core import ObjectPermissionChecker

from accounts.roles import roles_of

from .models import Annotation, Batch, BatchEvent, Image, Project

log = logging.getLogger("batches.workflow")

Status = Batch.Status
MAX_COMMENT = 2000


class WorkflowError(Exception):
    """A move that did not happen. `kind` tells why; the message says it to a person."""

    REFUSED = "refused"  # the move is not allowed from where the batch is
    STALE = "stale"  # the batch changed (or vanished) since the caller saw it
    FORBIDDEN = "forbidden"  # the actor may not do this
    INVALID = "invalid"  # the input is wrong (count, comment, assignee, ...)

    def __init__(self, message: str, *, kind: str, batch: Batch | None = None):
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.batch = batch


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
    files: list[str] = field(default_factory=list)


# --- shared steps ---------------------------------------------------------------------------------


def current_perms(actor, project: Project) -> set[str]:
    """The actor's permissions on the project, read afresh (never a cached answer inside a move)."""
    if not actor.is_authenticated or not actor.is_active:
        return set()
    return set(ObjectPermissionChecker(actor).get_perms(project))


def _top_position() -> float:
    # Newest first in its column without reading the column: later moves get smaller positions.
    return -timezone.now().timestamp()


def _who_changed(batch_pk: int) -> str:
    return _describe(BatchEvent.objects.filter(batch_id=batch_pk).select_related("actor").first())


def _who_removed(batch: Batch) -> str:
    """Who deleted or merged away a batch that is gone. Its events lost their link, so find them by name."""
    event = (
        BatchEvent.objects.filter(project_id=batch.project_id)
        .filter(
            Q(action=BatchEvent.Action.DELETED, batch__isnull=True, batch_name=batch.name)
            | Q(action=BatchEvent.Action.MERGED, note__contains=f"“{batch.name}”")
        )
        .select_related("actor")
        .first()
    )
    return _describe(event)


def _describe(event: BatchEvent | None) -> str:
    if event is None:
        return "someone else"
    who = event.actor.username if event.actor else "someone"
    ago = timesince(event.created_at)
    when = "just now" if ago.startswith("0\xa0") or ago.startswith("0 ") else f"{ago} ago"
    return f"{who} ({event.get_action_display()}, {when})"


def _require_permission(
    actor, project: Project, action: str, batch: Batch | None = None, perms: set[str] | None = None
) -> set[str]:
    perms = current_perms(actor, project) if perms is None else perms
    if "view_project" not in perms:
        raise WorkflowError("You are not a member of this project.", kind=WorkflowError.FORBIDDEN, batch=batch)
    move = Batch.MOVES[action]
    if action == "submit":
        allowed = "manage_project" in perms or (
            "annotate_project" in perms and batch is not None and batch.assignee_id == actor.pk
        )
        if not allowed:
            raise WorkflowError(
                "Only the batch's assignee or a manager can submit it.", kind=WorkflowError.FORBIDDEN, batch=batch
            )
    elif move.permission not in perms:
        needed = {"manage_project": "a manager", "review_project": "a reviewer", "annotate_project": "an annotator"}
        raise WorkflowError(
            f"Only {needed[move.permission]} of this project can {move.label.lower()} a batch.",
            kind=WorkflowError.FORBIDDEN,
            batch=batch,
        )
    return perms


def stale_error(fresh: Batch) -> WorkflowError:
    """The error for a batch that changed since the caller saw it, naming who changed it."""
    return WorkflowError(
        f"“{fresh.name}” has changed since you loaded it: last changed by {_who_changed(fresh.pk)}. "
        f"It is now in {fresh.get_status_display()}.",
        kind=WorkflowError.STALE,
        batch=fresh,
    )


def refuse_unless_from(batch: Batch, action: str) -> None:
    """The allowed-moves table: refuse a move that does not start from the batch's column."""
    move = Batch.MOVES[action]
    if batch.status not in move.sources:
        where = " or ".join(Status(s).label for s in move.sources)
        raise WorkflowError(
            f"{move.label} is only possible from {where}; “{batch.name}” is in {batch.get_status_display()}.",
            kind=WorkflowError.REFUSED,
            batch=batch,
        )


def refuse_while_processing(batch: Batch) -> None:
    """No move on a batch an upload is still filling: its images are not all there yet."""
    if batch.is_processing:
        raise WorkflowError(
            _(
                "“%(name)s” is still processing its upload (%(ready)s of %(total)s images ready); try again when it is done."
            )
            % {"name": batch.name, "ready": batch.image_count, "total": batch.processing_total},
            kind=WorkflowError.REFUSED,
            batch=batch,
        )


def _lock(actor, batch: Batch) -> tuple[Batch, set[str]]:
    """Re-read and lock the batch; check membership, then that it is still as the caller saw it."""
    try:
        fresh = Batch.objects.select_for_update(of=("self",)).select_related("project").get(pk=batch.pk)
    except Batch.DoesNotExist:
        raise WorkflowError(
            f"“{batch.name}” no longer exists: {_who_removed(batch)} removed it.",
            kind=WorkflowError.STALE,
            batch=batch,
        ) from None
    perms = current_perms(actor, fresh.project)
    if "view_project" not in perms:
        raise WorkflowError("You are not a member of this project.", kind=WorkflowError.FORBIDDEN, batch=batch)
    # Staleness before the move's permission: whoever loses a race is told the batch changed, even when
    # the winning move (a reset, a reassign) also took away their right to act on it.
    if fresh.version != batch.version or fresh.status != batch.status:
        raise stale_error(fresh)
    return fresh, perms


def _begin(actor, batch: Batch, action: str) -> Batch:
    """Lock and check the batch (_lock), then the move's permission and the moves table."""
    fresh, perms = _lock(actor, batch)
    _require_permission(actor, fresh.project, action, fresh, perms=perms)
    refuse_unless_from(fresh, action)
    refuse_while_processing(fresh)
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
            f"“{fresh.name}” was changed by someone else just now; nothing was done.",
            kind=WorkflowError.STALE,
            batch=fresh,
        )
    for name, value in changes.items():
        if not hasattr(value, "resolve_expression"):
            setattr(fresh, name, value)
    fresh.version += 1
    fresh.updated_at = now


def _event(actor, batch: Batch, action: str, *, from_status: str, to_status: str, images: int, note: str = "") -> None:
    BatchEvent.objects.create(
        project_id=batch.project_id,
        batch=batch,
        batch_name=batch.name,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status,
        image_count=images,
        note=note,
    )
    log.info(
        "batch %s (%s) %s by %s: %s -> %s, %d images%s",
        batch.pk,
        batch.name,
        action,
        actor.username,
        from_status or "-",
        to_status or "-",
        images,
        f"; {note}" if note else "",
        extra={
            "batch_id": batch.pk,
            "batch_name": batch.name,
            "action": action,
            "actor": actor.username,
            "from_status": from_status,
            "to_status": to_status,
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
    return "annotate_project" in current_perms(user, project)


def _check_annotators(project: Project, users: Sequence) -> None:
    for user in users:
        if not _is_annotator(user, project):
            name = getattr(user, "username", "That user")
            raise WorkflowError(
                f"{name} is not an annotator of this project; add the annotator role on the Members page first.",
                kind=WorkflowError.INVALID,
            )


def _split_sizes(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _short(name: str, suffix: str) -> str:
    return f"{name[: 200 - len(suffix)]}{suffix}"


def _ensure_same_project(batch: Batch, project: Project | None) -> None:
    if project is not None and batch.project_id != project.pk:
        raise WorkflowError("That batch belongs to another project.", kind=WorkflowError.INVALID, batch=batch)


# --- the moves ------------------------------------------------------------------------------------


def create_batch(*, actor, project: Project, name: str, images: Sequence[Image]) -> Batch:
    """(upload) → Unassigned: already-validated, already-stored images become one new batch."""
    name = (name or "").strip() or f"Upload {timezone.localtime():%Y-%m-%d %H:%M}"
    if len(name) > 200:
        raise WorkflowError("A batch name has at most 200 characters.", kind=WorkflowError.INVALID)
    if not images:
        raise WorkflowError("No images were kept, so no batch was created.", kind=WorkflowError.INVALID)
    perms = current_perms(actor, project)
    if "manage_project" not in perms:
        raise WorkflowError("Only a manager of this project can upload images.", kind=WorkflowError.FORBIDDEN)
    try:
        with transaction.atomic():
            batch = Batch.objects.create(project=project, name=name, image_count=len(images), position=_top_position())
            for image in images:
                image.project = project
                image.batch = batch
                image.state = Image.State.NEW
            Image.objects.bulk_create(images, batch_size=500)
            _event(
                actor, batch, BatchEvent.Action.CREATED, from_status="", to_status=Status.UNASSIGNED, images=len(images)
            )
    except IntegrityError:
        raise WorkflowError(
            "Some of these images are already in the project (same content); nothing was created.",
            kind=WorkflowError.INVALID,
        ) from None
    return batch


def open_upload_batch(*, actor, project: Project, name: str, expected: int) -> Batch:
    """(upload session) → Unassigned, empty and processing: the card shows at once and fills as images are ready."""
    name = (name or "").strip() or f"Upload {timezone.localtime():%Y-%m-%d %H:%M}"
    if len(name) > 200:
        raise WorkflowError(_("A batch name has at most 200 characters."), kind=WorkflowError.INVALID)
    if "manage_project" not in current_perms(actor, project):
        raise WorkflowError(_("Only a manager of this project can upload images."), kind=WorkflowError.FORBIDDEN)
    with transaction.atomic():
        batch = Batch.objects.create(
            project=project, name=name, image_count=0, processing_total=max(expected, 1), position=_top_position()
        )
        _event(actor, batch, BatchEvent.Action.CREATED, from_status="", to_status=Status.UNASSIGNED, images=0)
    return batch


def add_processed_image(*, batch_pk: int, image: Image) -> None:
    """A worker's image joins its processing batch (inside the caller's transaction); the board sees the change."""
    image.batch_id = batch_pk
    image.state = Image.State.NEW
    image.save(force_insert=True)
    Batch.objects.filter(pk=batch_pk).update(
        image_count=F("image_count") + 1, version=F("version") + 1, updated_at=timezone.now()
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
            names = [n for pair in Image.objects.filter(batch=batch).values_list("file", "thumbnail") for n in pair]
            batch.delete()
            transaction.on_commit(lambda: remove_stored_files(names))
            return
        Batch.objects.filter(pk=batch_pk).update(
            processing_total=0, version=F("version") + 1, updated_at=timezone.now()
        )


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
        raise WorkflowError("Choose at least one annotator.", kind=WorkflowError.INVALID, batch=batch)
    if count is not None and image_ids is not None:
        raise WorkflowError("Give a number of images or chosen images, not both.", kind=WorkflowError.INVALID)
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
                raise WorkflowError("The chosen images are not valid.", kind=WorkflowError.INVALID) from None
            if not chosen:
                raise WorkflowError("Choose at least one image.", kind=WorkflowError.INVALID, batch=fresh)
            found = images.filter(pk__in=chosen).count()
            if found != len(chosen):
                raise WorkflowError(
                    f"{len(chosen) - found} of the chosen images are not in “{fresh.name}”.",
                    kind=WorkflowError.INVALID,
                    batch=fresh,
                )
            n = len(chosen)
        else:
            n = total if count is None else count
            if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= total:
                raise WorkflowError(
                    f"Choose between 1 and {total} images: “{fresh.name}” has {total}.",
                    kind=WorkflowError.INVALID,
                    batch=fresh,
                )
        if n < len(assignees):
            raise WorkflowError(
                f"{n} images cannot be split among {len(assignees)} annotators.",
                kind=WorkflowError.INVALID,
                batch=fresh,
            )
        sizes = _split_sizes(n, len(assignees))
        rest = total - n
        position = _top_position()
        _update(fresh, status=Status.ANNOTATING, assignee=assignees[0], image_count=sizes[0], position=position)

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
                name=_short(fresh.name, " (rest)"),
                split_from=fresh,
                image_count=rest,
                position=_top_position(),
            )
            Image.objects.filter(remainder_q, batch=fresh).update(batch=remainder)
        assigned = [fresh]
        for user, size, q in zip(assignees[1:], sizes[1:], parts[1:], strict=True):
            part = Batch.objects.create(
                project=fresh.project,
                name=_short(fresh.name, f" · {user.username}"),
                status=Status.ANNOTATING,
                assignee=user,
                split_from=fresh,
                image_count=size,
                position=position,
            )
            Image.objects.filter(q, batch=fresh).update(batch=part)
            assigned.append(part)

        shares = ", ".join(f"{b.assignee.username} ({b.image_count})" for b in assigned)
        note = f"to {shares}"
        if remainder:
            note += f"; {rest} images stay in Unassigned as “{remainder.name}”"
        _event(
            actor,
            fresh,
            BatchEvent.Action.ASSIGNED,
            from_status=Status.UNASSIGNED,
            to_status=Status.ANNOTATING,
            images=n,
            note=note,
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
                f"“{fresh.name}” is already assigned to {assignee.username}.", kind=WorkflowError.INVALID, batch=fresh
            )
        before = fresh.assignee.username if fresh.assignee else "nobody"
        _update(fresh, assignee=assignee)
        _event(
            actor,
            fresh,
            BatchEvent.Action.REASSIGNED,
            from_status=Status.ANNOTATING,
            to_status=Status.ANNOTATING,
            images=fresh.image_count,
            note=f"from {before} to {assignee.username}",
        )
    return fresh


def submit(*, actor, batch: Batch, project: Project | None = None) -> Batch:
    """Annotating → Review (or → Dataset when the project needs no review)."""
    _ensure_same_project(batch, project)
    with transaction.atomic():
        fresh = _begin(actor, batch, "submit")
        target = Status.REVIEW if fresh.project.review_required else Status.DATASET
        _update(fresh, status=target, position=_top_position())
        note = "" if target == Status.REVIEW else "the project needs no review"
        undone = fresh.image_count - fresh.done_count
        if undone:
            note = "; ".join(filter(None, [note, f"{undone} images not annotated"]))
        _event(
            actor,
            fresh,
            BatchEvent.Action.SUBMITTED,
            from_status=Status.ANNOTATING,
            to_status=target,
            images=fresh.image_count,
            note=note,
        )
    return fresh


def _annotated_by(user, batch: Batch) -> bool:
    return batch.assignee_id == user.pk or Annotation.objects.filter(image__batch=batch, author=user).exists()


def approve(*, actor, batch: Batch, project: Project | None = None) -> Batch:
    """Review → Dataset. The review flags are cleared: once approved, nothing is left to fix."""
    _ensure_same_project(batch, project)
    with transaction.atomic():
        fresh = _begin(actor, batch, "approve")
        if not fresh.project.allow_self_review and _annotated_by(actor, fresh):
            raise WorkflowError(
                f"You annotated “{fresh.name}”, so someone else must approve it (this project does not allow self-review).",
                kind=WorkflowError.FORBIDDEN,
                batch=fresh,
            )
        _update(fresh, status=Status.DATASET, position=_top_position())
        Image.objects.filter(batch=fresh, review_flag=True).update(review_flag=False, review_note="")
        _event(
            actor,
            fresh,
            BatchEvent.Action.APPROVED,
            from_status=Status.REVIEW,
            to_status=Status.DATASET,
            images=fresh.image_count,
        )
    return fresh


def reject(*, actor, batch: Batch, comment: str, project: Project | None = None) -> Batch:
    """Review → Annotating with a comment for the annotator; same assignee, annotations stay."""
    _ensure_same_project(batch, project)
    comment = (comment or "").strip()
    if not comment:
        raise WorkflowError(
            "Say what needs fixing: a rejection needs a comment.", kind=WorkflowError.INVALID, batch=batch
        )
    if len(comment) > MAX_COMMENT:
        raise WorkflowError(
            f"Keep the comment under {MAX_COMMENT} characters.", kind=WorkflowError.INVALID, batch=batch
        )
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
        _event(
            actor,
            fresh,
            BatchEvent.Action.REJECTED,
            from_status=Status.REVIEW,
            to_status=Status.ANNOTATING,
            images=fresh.image_count,
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


def _reset(actor, fresh: Batch) -> DeleteResult:
    source = fresh.status
    _update(
        fresh,
        status=Status.UNASSIGNED,
        assignee=None,
        done_count=0,
        review_comment="",
        rejection_count=0,
        position=_top_position(),
    )
    # Single statements whatever the batch size: annotations have no dependants, so this is one DELETE.
    removed, _ = Annotation.objects.filter(image__batch=fresh).delete()
    Image.objects.filter(batch=fresh).filter(~Q(state=Image.State.NEW) | Q(review_flag=True)).update(
        state=Image.State.NEW, review_flag=False, review_note=""
    )
    _event(
        actor,
        fresh,
        BatchEvent.Action.RESET,
        from_status=source,
        to_status=Status.UNASSIGNED,
        images=fresh.image_count,
        note=f"removed {removed} annotations",
    )
    return DeleteResult(batch_name=fresh.name, reset=True, images=fresh.image_count, annotations=removed, batch=fresh)


def _delete_for_good(actor, fresh: Batch) -> DeleteResult:
    files = [
        name for pair in Image.objects.filter(batch=fresh).values_list("file", "thumbnail") for name in pair if name
    ]
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
        note="deleted for good with its images",
    )
    # One statement each whatever the batch size. Django's collector would load every image and
    # delete them 100 at a time; annotations are removed first, so nothing refers to these rows.
    Annotation.objects.filter(image__batch=fresh).delete()
    images = Image.objects.filter(batch=fresh)
    images._raw_delete(images.db)
    Batch.objects.filter(pk=fresh.pk).delete()
    # Files go only once the rows are really gone: a rolled-back delete keeps its files.
    transaction.on_commit(lambda: remove_stored_files(files))
    return DeleteResult(batch_name=fresh.name, reset=False, images=fresh.image_count, annotations=0, files=files)


def remove_stored_files(names: Sequence[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            log.warning("could not delete stored file %s; cleanup_media will find it", name)


def merge(*, actor, batches: Sequence[Batch], name: str | None = None, project: Project | None = None) -> Batch:
    """Unassigned + Unassigned → one Unassigned batch (the first one keeps its identity)."""
    batches = list({b.pk: b for b in batches}.values())
    if len(batches) < 2:
        raise WorkflowError("Choose at least two batches to merge.", kind=WorkflowError.INVALID)
    project_ids = {b.project_id for b in batches}
    if len(project_ids) != 1 or (project is not None and project.pk not in project_ids):
        raise WorkflowError("Only batches of the same project can be merged.", kind=WorkflowError.INVALID)
    name = (name or "").strip()
    if len(name) > 200:
        raise WorkflowError("A batch name has at most 200 characters.", kind=WorkflowError.INVALID)
    with transaction.atomic():
        # Lock in primary-key order so two merges of overlapping batches cannot deadlock.
        fresh = {b.pk: _begin(actor, b, "merge") for b in sorted(batches, key=lambda b: b.pk)}
        target = fresh[batches[0].pk]
        others = [fresh[b.pk] for b in batches[1:]]
        total = target.image_count + sum(b.image_count for b in others)
        moved = Image.objects.filter(batch__in=[b.pk for b in others]).update(batch=target)
        _, per_model = Batch.objects.filter(
            Q(*[Q(pk=b.pk, version=b.version) for b in others], _connector=Q.OR), status=Status.UNASSIGNED
        ).delete()
        if per_model.get("batches.Batch", 0) != len(others):
            raise WorkflowError("One of these batches changed just now; nothing was merged.", kind=WorkflowError.STALE)
        _update(target, image_count=total, **({"name": name} if name else {}))
        note = "merged in " + ", ".join(f"“{b.name}” ({b.image_count})" for b in others)
        _event(
            actor,
            target,
            BatchEvent.Action.MERGED,
            from_status=Status.UNASSIGNED,
            to_status=Status.UNASSIGNED,
            images=moved,
            note=note,
        )
    return target


def _may_reorder(perms: set[str], actor, batch: Batch) -> bool:
    """Whoever may make some move of the batch from its column may also change its place in that column."""
    if "manage_project" in perms:
        return True
    if batch.status == Status.REVIEW:
        return "review_project" in perms
    if batch.status == Status.ANNOTATING:
        return "annotate_project" in perms and batch.assignee_id == actor.pk
    return False


def reorder(
    *, actor, batch: Batch, before: Batch | None = None, after: Batch | None = None, project: Project | None = None
) -> Batch:
    """Move a batch within its column: below `before` and above `after` (either may be None).

    Same guard as every move (lock, permission, compare-and-set on the version the caller saw) and one
    MOVED event, so a stale message can still name who touched the batch last.
    """
    _ensure_same_project(batch, project)
    with transaction.atomic():
        fresh, perms = _lock(actor, batch)
        if not _may_reorder(perms, actor, fresh):
            raise WorkflowError(
                f"You may not move batches in {fresh.get_status_display()}: only someone who can work on “{fresh.name}” can.",
                kind=WorkflowError.FORBIDDEN,
                batch=fresh,
            )
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
            to_status=fresh.status,
            images=fresh.image_count,
        )
    return fresh
