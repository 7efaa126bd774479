"""Stale work (issue #19): a batch waiting in Annotating or Review longer than its project's limit.

Annotating counts from the later of the move into it and the annotator's last save (someone saving is not
waiting); Review counts from the move into it. The limit is Project.stale_after_days (0: never stale).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from .models import Batch

Status = Batch.Status
WAITING = (Status.ANNOTATING, Status.REVIEW)


def waiting_since(batch: Batch) -> dt.datetime:
    if batch.status == Status.ANNOTATING and batch.last_active_at and batch.last_active_at > batch.status_changed_at:
        return batch.last_active_at
    return batch.status_changed_at


def stale_days(batch: Batch, now: dt.datetime) -> int:
    """Whole days the batch has been waiting when that is beyond its project's limit, else 0."""
    limit = batch.project.stale_after_days
    if not limit or batch.status not in WAITING:
        return 0
    days = (now - waiting_since(batch)).days
    return days if days >= limit else 0


def stale_condition(limit_days: int, now: dt.datetime) -> Q:
    """The same rule as a filter (for counts and lists): batches of a project with this limit."""
    if not limit_days:
        return Q(pk__in=[])
    cutoff = now - dt.timedelta(days=limit_days)
    return Q(status=Status.REVIEW, status_changed_at__lte=cutoff) | Q(
        status=Status.ANNOTATING, status_changed_at__lte=cutoff
    ) & (Q(last_active_at__isnull=True) | Q(last_active_at__lte=cutoff))


__all__ = ["stale_condition", "stale_days", "waiting_since"]
