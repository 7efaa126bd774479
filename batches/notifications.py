"""Who is told about a batch's move, an export or an upload (the words and the e-mail are accounts.notifications').

Every move writes one BatchEvent (batches/workflow.py); `event_written` is the one hook there. Once the
move's transaction commits, a task (`fan_out`) reads the events and tells the people they concern:
never the person who made the move, and only people who may still see the batch. The moves made
inside `coalesced()` (a bulk move of many batches) are fanned out together, as one notification per
person and kind: ten batches assigned at once make one notification, not ten.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.tasks import task
from django.utils import timezone

from accounts.access import Membership
from accounts.models import ProjectUserObjectPermission
from accounts.notifications import Kind, notify
from accounts.roles import ROLE_PERMISSIONS, users_with_role

from .models import Batch, BatchEvent, ExportJob, Image, Project, UploadSession
from .rules import visible_batches
from .stale import stale_condition, stale_days

log = logging.getLogger("batches.notifications")
Action = BatchEvent.Action

_collecting: ContextVar[list[int] | None] = ContextVar("notification_events", default=None)


# --- the hook ----------------------------------------------------------------------------------------


def event_written(event: BatchEvent) -> None:
    """Called by the workflow for every event it writes, inside the move's transaction."""
    if event.action not in NOTIFYING:
        return
    collected = _collecting.get()
    if collected is not None:
        collected.append(event.pk)
    else:
        transaction.on_commit(lambda: _enqueue([event.pk]))


@contextlib.contextmanager
def coalesced() -> Iterator[None]:
    """Moves made inside are told as one: one notification per person and kind for all of them."""
    if _collecting.get() is not None:  # nested: the outer one tells
        yield
        return
    token = _collecting.set([])
    try:
        yield
    finally:
        ids = _collecting.get()
        _collecting.reset(token)
        if ids:
            # Each move committed already (or commits with an outer transaction): then fan out once.
            transaction.on_commit(lambda: _enqueue(ids))


def _enqueue(event_ids: list[int]) -> None:
    try:
        fan_out.enqueue(event_ids)
    except Exception:  # the queue is down: the moves stand, nobody is told
        log.exception("could not enqueue the notifications of events %s", event_ids)


# --- who is told ---------------------------------------------------------------------------------------


@dataclass
class Telling:
    """One notification to be: a person, a kind, the batches, and what else it says."""

    user_id: int
    kind: str
    project_id: int
    actor_id: int | None
    batches: list[dict] = field(default_factory=list)
    comment: str = ""
    flagged: int = 0
    how: str = ""
    taken_away: bool = False  # told even if the batch is out of their sight now


def _batch(event: BatchEvent, pk: int | None = None, name: str | None = None) -> dict:
    return {"id": pk or event.batch_ref, "name": name or event.batch_name}


def _by_name(event: BatchEvent, username: str, kind: str, **extra) -> tuple[str, Telling] | None:
    if not username:
        return None
    return username, Telling(0, kind, event.project_id, event.actor_id, **extra)


def tellings(event: BatchEvent) -> list[tuple[object, Telling]]:
    """(who — a user id, or a username to look up — , what) this event tells; not yet checked for sight."""
    found: list[tuple[object, Telling]] = []
    project, actor, details = event.project_id, event.actor_id, event.details or {}
    batch = event.batch
    if event.action == Action.ASSIGNED:
        shares = details.get("shares") or []
        parts = [_batch(event)] + [
            {"id": r["id"], "name": r["name"]} for r in event.related or [] if r.get("assignee") and not r.get("rest")
        ]
        for share, part in zip(shares, parts, strict=False):
            found.append(_by_name(event, share.get("assignee", ""), Kind.ASSIGNED, batches=[part]))
    elif event.action == Action.REASSIGNED:
        found.append(_by_name(event, details.get("to_assignee", ""), Kind.ASSIGNED, batches=[_batch(event)]))
        found.append(
            _by_name(
                event,
                details.get("from_assignee", ""),
                Kind.TAKEN_AWAY,
                batches=[_batch(event)],
                how="reassigned",
                taken_away=True,
            )
        )
    elif event.action in (Action.REJECTED, Action.REOPENED) and batch is not None:
        flagged = Image.objects.filter(batch_id=batch.pk, review_flag=True).count()
        if batch.assignee_id:
            found.append(
                (
                    batch.assignee_id,
                    Telling(0, Kind.RETURNED, project, actor, [_batch(event)], comment=event.note, flagged=flagged),
                )
            )
        before = details.get("from_assignee", "")
        if event.action == Action.REOPENED and before and before != details.get("to_assignee"):
            found.append(
                _by_name(event, before, Kind.TAKEN_AWAY, batches=[_batch(event)], how="reassigned", taken_away=True)
            )
    elif event.action == Action.SUBMITTED and event.to_status == Batch.Status.REVIEW and batch is not None:
        for user in users_with_role(batch.project, "reviewer"):
            if user.pk != batch.assignee_id or batch.project.allow_self_review:
                found.append((user.pk, Telling(0, Kind.REVIEW, project, actor, [_batch(event)])))
    elif event.action == Action.APPROVED and batch is not None and batch.assignee_id:
        found.append((batch.assignee_id, Telling(0, Kind.APPROVED, project, actor, [_batch(event)])))
    elif event.action == Action.RESET and details.get("from_assignee_id"):
        telling = Telling(0, Kind.TAKEN_AWAY, project, actor, [_batch(event)], how="reset", taken_away=True)
        found.append((int(details["from_assignee_id"]), telling))
    return [item for item in found if item is not None]


NOTIFYING = {
    Action.ASSIGNED,
    Action.REASSIGNED,
    Action.REJECTED,
    Action.REOPENED,
    Action.SUBMITTED,
    Action.APPROVED,
    Action.RESET,
}


def _merge(tellings_: list[Telling]) -> list[Telling]:
    """One notification per person, kind, project and actor: batches listed together, flags added up."""
    merged: dict[tuple, Telling] = {}
    for telling in tellings_:
        key = (telling.user_id, telling.kind, telling.project_id, telling.actor_id, telling.how)
        if key not in merged:
            merged[key] = telling
            continue
        into = merged[key]
        known = {b["id"] for b in into.batches}
        into.batches += [b for b in telling.batches if b["id"] not in known]
        into.flagged += telling.flagged
        into.comment = into.comment or telling.comment
    return list(merged.values())


@task
def fan_out(event_ids: list[int]) -> int:
    """Tell the people these events concern (after their moves committed); the number of notifications made."""
    events = list(
        BatchEvent.objects.filter(pk__in=event_ids, action__in=NOTIFYING)
        .select_related("batch__project")
        .order_by("created_at", "id")
    )
    pairs = [pair for event in events for pair in tellings(event)]
    names = {who for who, _ in pairs if isinstance(who, str)}
    users_by_name = {user.username: user for user in get_user_model().objects.filter(username__in=names)}
    ids = {who for who, _ in pairs if isinstance(who, int)}
    users = {user.pk: user for user in get_user_model().objects.filter(pk__in=ids)}
    users.update({user.pk: user for user in users_by_name.values()})
    found = []
    for who, telling in pairs:
        user = users_by_name.get(who) if isinstance(who, str) else users.get(who)
        if user is None or user.pk == telling.actor_id:
            continue
        telling.user_id = user.pk
        found.append(telling)
    made = 0
    projects = {project.pk: project for project in Project.objects.filter(pk__in={t.project_id for t in found})}
    actors = {user.pk: user for user in get_user_model().objects.filter(pk__in={t.actor_id for t in found})}
    for telling in _merge(found):
        user, project = users[telling.user_id], projects.get(telling.project_id)
        if project is None:
            continue
        batches = _still_seen(user, project, telling)
        if not batches:
            continue
        data = {"batches": batches}
        if telling.kind == Kind.RETURNED:
            data.update(comment=telling.comment, flagged=telling.flagged)
        if telling.how:
            data["how"] = telling.how
        with transaction.atomic():
            made += bool(
                notify(
                    recipient=user, kind=telling.kind, project=project, actor=actors.get(telling.actor_id), data=data
                )
            )
    return made


def _still_seen(user, project: Project, telling: Telling) -> list[dict]:
    """The batches of the telling this person may see now (a member only, for what was taken away)."""
    membership = Membership.read(user, project)
    if not membership.is_member:
        return []
    if telling.taken_away:
        return telling.batches
    seen = set(
        visible_batches(membership).filter(pk__in=[b["id"] for b in telling.batches]).values_list("pk", flat=True)
    )
    return [b for b in telling.batches if b["id"] in seen]


# --- exports and uploads ------------------------------------------------------------------------------


def export_ready(job: ExportJob) -> None:
    """Inside the transaction that marks the export done: tell whoever asked for it."""
    if job.requested_by_id is None:
        return
    requester = get_user_model().objects.filter(pk=job.requested_by_id).first()
    if requester is not None and Membership.read(requester, job.project).is_member:
        notify(recipient=requester, kind=Kind.EXPORT_READY, project=job.project, data={"job": job.pk})


def upload_done(session: UploadSession) -> None:
    """Inside the transaction that marks the upload session done: tell whoever uploaded, with what was refused."""
    session.refresh_from_db(fields=["processed", "failed", "name", "batch"])
    uploader = session.created_by
    if not Membership.read(uploader, session.project).is_member:
        return
    kept = Image.objects.filter(batch_id=session.batch_id).count() if session.batch_id else 0
    notify(
        recipient=uploader,
        kind=Kind.UPLOAD_DONE,
        project=session.project,
        data={"session": session.pk, "name": session.name, "kept": kept, "refused": session.failed},
    )


# --- stale work (issue #19) ----------------------------------------------------------------------------


def tell_stale(now=None) -> int:
    """Tell the managers of each project about its batches that became stale (batches/stale.py, the card's rule):
    once per batch per stay in its column, one notification per manager and project for all of them.
    The queries do not depend on the number of batches. The number of notifications made."""
    now = now or timezone.now()
    limits = set(
        Project.objects.filter(stale_after_days__gt=0).order_by().values_list("stale_after_days", flat=True).distinct()
    )
    if not limits:
        return 0
    stale = Q(pk__in=[])
    for limit in limits:
        stale |= Q(project__stale_after_days=limit) & stale_condition(limit, now)
    # Told already during this stay: told after the batch's last move.
    untold = Q(stale_notified_at__isnull=True) | Q(stale_notified_at__lt=F("status_changed_at"))
    made = 0
    with transaction.atomic():
        # Locked (another worker's run skips them) and marked told in the same transaction as the notifications.
        batches = [
            batch
            for batch in Batch.objects.filter(stale & untold)
            .select_related("project")
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("project_id", "name", "pk")
            if stale_days(batch, now)
        ]
        if not batches:
            return 0
        Batch.objects.filter(pk__in=[batch.pk for batch in batches]).update(stale_notified_at=now)
        by_project: dict[int, list[Batch]] = {}
        for batch in batches:
            by_project.setdefault(batch.project_id, []).append(batch)
        managers: dict[int, list] = {}
        rows = ProjectUserObjectPermission.objects.filter(
            content_object_id__in=list(by_project), permission__codename=ROLE_PERMISSIONS["manager"]
        ).select_related("user")
        for row in rows.order_by("user__username"):
            managers.setdefault(row.content_object_id, []).append(row.user)
        for project_id, found in by_project.items():
            project = found[0].project
            data = {
                "batches": [{"id": batch.pk, "name": batch.name} for batch in found],
                "days": project.stale_after_days,
            }
            for manager in managers.get(project_id, []):
                made += bool(notify(recipient=manager, kind=Kind.STALE, project=project, data=data))
    return made


@task
def notify_stale() -> int:
    """The workers' periodic run (settings.PERIODIC_TASKS, STALE_INTERVAL_SECONDS): stale batches to managers."""
    return tell_stale()
