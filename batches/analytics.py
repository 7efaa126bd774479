"""Flow analytics of a project (issue #19), computed from its history (BatchEvent) by a replay.

One query reads the project's events in order (streamed, only the columns needed); one grouped query counts
boxes per author. The number of queries never grows with the history; the work does, so the result is
cached per project under the id of its newest event (a new move makes it stale) and, for long histories,
refreshed by a worker (tasks.refresh_analytics) while the page shows the previous figures.

The replay follows every batch's images through the columns: the cumulative flow diagram (images per
column at the end of each day) is its state day by day, so its last day equals the board's column totals.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy

from .models import Annotation, Batch, BatchEvent

Status = Batch.Status
COLUMNS = tuple(Status.values)
# The columns' names as pages show them (translated).
COLUMN_NAMES = {
    Status.UNASSIGNED: gettext_lazy("Unassigned"),
    Status.ANNOTATING: gettext_lazy("Annotating"),
    Status.REVIEW: gettext_lazy("Review"),
    Status.DATASET: gettext_lazy("Dataset"),
}
A = BatchEvent.Action
CACHE_VERSION = 1
# Above this many events a stale cache is refreshed by a worker, not in the request.
REFRESH_IN_BACKGROUND_ABOVE = 20_000


@dataclass
class Flow:
    last_event: int = 0
    events: int = 0
    days: list[dt.date] = field(default_factory=list)
    cfd: list[dict[str, int]] = field(default_factory=list)  # images per column at the end of each day
    time_in_column: dict[str, list[float]] = field(default_factory=dict)  # hours per stay, by column
    lead_times: list[float] = field(default_factory=list)  # hours from creation to Dataset, per batch
    throughput: list[tuple[str, int]] = field(default_factory=list)  # (ISO week, images into Dataset)
    annotators: list[dict] = field(default_factory=list)
    reviewers: list[dict] = field(default_factory=list)


@dataclass
class _Stay:
    status: str
    images: int
    since: dt.datetime
    created: dt.datetime
    assignee: str = ""
    submitted_at: dt.datetime | None = None


def percentile(values: list[float], p: float) -> float | None:
    """The p-th percentile (nearest rank) of the values; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil(n * p / 100)
    return ordered[int(rank) - 1]


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def replay(project, now: dt.datetime | None = None) -> Flow:
    """Read the project's history once and replay it (see the module's docstring)."""
    now = now or timezone.now()
    rows = (
        BatchEvent.objects.filter(project=project)
        .order_by("created_at", "id")
        .values_list(
            "id",
            "batch_ref",
            "action",
            "to_status",
            "image_count",
            "related",
            "details",
            "created_at",
            "actor__username",
        )
    )
    flow = Flow(time_in_column={column: [] for column in COLUMNS})
    stays: dict[int, _Stay] = {}
    totals = Counter({column: 0 for column in COLUMNS})
    day: dt.date | None = None
    weekly: Counter[str] = Counter()
    done_by: Counter[str] = Counter()
    submitted_by: Counter[str] = Counter()
    rejected_of: Counter[str] = Counter()
    turnaround: defaultdict[str, list[float]] = defaultdict(list)
    reviewed: Counter[str] = Counter()
    rejected_by: Counter[str] = Counter()

    def close_days(until: dt.date) -> None:
        nonlocal day
        while day is not None and day < until:
            flow.days.append(day)
            flow.cfd.append(dict(totals))
            day += dt.timedelta(days=1)

    def leave(ref: int, at: dt.datetime) -> _Stay | None:
        stay = stays.pop(ref, None)
        if stay is not None:
            totals[stay.status] -= stay.images
            flow.time_in_column[stay.status].append((at - stay.since).total_seconds() / 3600)
        return stay

    def enter(ref: int, status: str, images: int, at: dt.datetime, created: dt.datetime, **extra) -> _Stay:
        stay = _Stay(status, images, at, created, **extra)
        stays[ref] = stay
        totals[status] += images
        if status == Status.DATASET:
            year, week = _day(at).isocalendar()[:2]
            weekly[f"{year}-W{week:02d}"] += images
            flow.lead_times.append((at - created).total_seconds() / 3600)
        return stay

    for pk, ref, action, to_status, images, related, details, at, actor in rows.iterator(chunk_size=5000):
        flow.last_event, flow.events = pk, flow.events + 1
        today = _day(at)
        if day is None:
            day = today
        close_days(today)
        before = stays.get(ref)
        created = before.created if before else at
        assignee = before.assignee if before else ""
        if action == A.CREATED:
            enter(ref, Status.UNASSIGNED, images, at, at)
        elif action == A.DELETED:
            leave(ref, at)
        elif action == A.MERGED:
            for other in related:
                leave(other["id"], at)
            if before is not None:
                before.images += images
                totals[before.status] += images
        elif action == A.ASSIGNED:
            leave(ref, at)
            parts = [r for r in related if not r.get("rest")]
            shares = details.get("shares") or [{"assignee": ""}]
            kept = images - sum(r["images"] for r in parts)
            enter(ref, Status.ANNOTATING, kept, at, created, assignee=shares[0]["assignee"])
            for part in related:
                if part.get("rest"):
                    enter(part["id"], Status.UNASSIGNED, part["images"], at, created)
                else:
                    enter(part["id"], Status.ANNOTATING, part["images"], at, created, assignee=part.get("assignee", ""))
        elif action == A.TAKEN_BACK:
            if before is not None:
                before.images -= images
                totals[before.status] -= images
            for part in related:
                enter(part["id"], Status.UNASSIGNED, part["images"], at, created)
        elif action in (A.REASSIGNED,) and before is not None:
            before.assignee = details.get("to_assignee", before.assignee)
        elif to_status and before is not None and to_status != before.status:
            leave(ref, at)
            if action in (A.REOPENED, A.RESTORED):
                assignee = details.get("to_assignee", assignee)
            stay = enter(ref, to_status, before.images, at, created, assignee=assignee)
            if action == A.SUBMITTED:
                stay.submitted_at = at
                submitted_by[assignee] += before.images
                if to_status == Status.DATASET:
                    done_by[assignee] += before.images
            elif action in (A.APPROVED, A.REJECTED) and before.submitted_at is not None:
                turnaround[assignee].append((at - before.submitted_at).total_seconds() / 3600)
                reviewed[actor or ""] += 1
                if action == A.APPROVED:
                    done_by[assignee] += before.images
                else:
                    rejected_of[assignee] += 1
                    rejected_by[actor or ""] += 1
            elif action == A.RESET:
                stay.assignee = ""
    if day is not None:
        close_days(_day(now) + dt.timedelta(days=1))

    boxes = dict(
        Annotation.objects.filter(image__project=project, author__isnull=False)
        .order_by()
        .values_list("author__username")
        .annotate(n=Count("id"))
    )
    names = sorted(name for name in set(submitted_by) | set(done_by) if name)
    flow.annotators = [
        {
            "name": name,
            "images_done": done_by[name],
            "boxes_per_image": round(boxes.get(name, 0) / done_by[name], 2) if done_by[name] else None,
            "rejections": rejected_of[name],
            "rejection_rate": round(rejected_of[name] / len(turnaround[name]), 3) if turnaround[name] else None,
            "review_turnaround_hours": _round(median(turnaround[name])),
        }
        for name in names
    ]
    flow.reviewers = [
        {
            "name": name,
            "batches_reviewed": count,
            "rejected": rejected_by[name],
            "rejection_ratio": round(rejected_by[name] / count, 3),
        }
        for name, count in sorted(reviewed.items())
        if name
    ]
    flow.throughput = sorted(weekly.items())
    return flow


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _key(project_pk: int) -> str:
    return f"analytics:v{CACHE_VERSION}:{project_pk}"


def newest_event(project) -> int:
    return (
        BatchEvent.objects.filter(project=project).order_by("-created_at", "-id").values_list("id", flat=True).first()
        or 0
    )


def flow_for(project, *, refresh_later=None) -> tuple[Flow, bool]:
    """The project's flow from the cache when it is current; (flow, whether it is behind the newest move).

    A stale cache of a long history is refreshed by `refresh_later(project_pk)` (a worker) and shown meanwhile;
    otherwise the flow is computed now and cached.
    """
    latest = newest_event(project)
    cached: Flow | None = cache.get(_key(project.pk))
    if cached is not None and cached.last_event == latest:
        return cached, False
    if cached is not None and refresh_later is not None and cached.events > REFRESH_IN_BACKGROUND_ABOVE:
        refresh_later(project.pk)
        return cached, True
    flow = replay(project)
    cache.set(_key(project.pk), flow, settings.ANALYTICS_CACHE_SECONDS)
    return flow, False


def store(project) -> Flow:
    flow = replay(project)
    cache.set(_key(project.pk), flow, settings.ANALYTICS_CACHE_SECONDS)
    return flow
