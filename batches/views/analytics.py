"""The flow analytics page of a project (issue #19): server-rendered SVG charts, each with its CSV."""

from __future__ import annotations

import csv
import datetime as dt
import logging

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from ..access import get_project_for
from ..analytics import COLUMN_NAMES, COLUMNS, Flow, flow_for, median, percentile
from ..models import Batch
from ..tasks import refresh_analytics

log = logging.getLogger("batches.analytics")
Status = Batch.Status
WIDTH, HEIGHT = 720, 240
# Bottom to top, as a cumulative flow diagram stacks them: done work at the bottom.
STACK = (Status.DATASET, Status.REVIEW, Status.ANNOTATING, Status.UNASSIGNED)
WEEKS_SHOWN = 26
CSV_NAMES = {
    "cfd": gettext_lazy("images per column per day"),
    "time_in_column": gettext_lazy("time in column"),
    "lead_time": gettext_lazy("lead time"),
    "throughput": gettext_lazy("throughput per week"),
    "annotators": gettext_lazy("annotators"),
    "reviewers": gettext_lazy("reviewers"),
}


def _enqueue_refresh(project_pk: int) -> None:
    try:
        refresh_analytics.enqueue(project_pk)
    except Exception:  # the queue is down: the figures shown stay those of the cache until it is back
        log.exception("could not enqueue the analytics refresh of project %s", project_pk)


def _flow(membership) -> tuple[Flow, bool]:
    return flow_for(membership.project, refresh_later=_enqueue_refresh)


def cfd_chart(flow: Flow) -> dict:
    """The stacked areas of the cumulative flow diagram, as SVG polygons (coordinates computed here)."""
    days, dates = flow.cfd, flow.days
    if not days:
        return {}
    if len(days) == 1:
        # One day of history (a new project): the day across the whole width, not a polygon of no width.
        days, dates = days * 2, dates * 2
    top = max(sum(day.values()) for day in days) or 1
    n = len(days)
    xs = [WIDTH * i / (n - 1) for i in range(n)]
    below = [0] * n
    layers = []
    for column in STACK:
        above = [below[i] + days[i].get(column, 0) for i in range(n)]
        upper = [f"{xs[i]:.1f},{HEIGHT - HEIGHT * above[i] / top:.1f}" for i in range(n)]
        lower = [f"{xs[i]:.1f},{HEIGHT - HEIGHT * below[i] / top:.1f}" for i in reversed(range(n))]
        layers.append(
            {
                "column": column,
                "label": COLUMN_NAMES[column],
                "points": " ".join(upper + lower),
                "now": days[-1][column],
            }
        )
        below = above
    ticks = [{"x": WIDTH / 2, "day": dates[0]}] if dates[0] == dates[-1] else []
    ticks = ticks or [{"x": xs[i], "day": dates[i]} for i in sorted({0, n // 2, n - 1})]
    return {"layers": layers, "top": top, "first": dates[0], "last": dates[-1], "ticks": ticks}


def _hours(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 1:  # under an hour: minutes, not a column of "0.0 h" beside bars of different lengths
        minutes = round(value * 60)
        return _("%(n)d min") % {"n": minutes} if minutes else _("<1 min")
    if value < 48:
        return _("%(n).1f h") % {"n": value}
    return _("%(n).1f d") % {"n": value / 24}


def distribution_rows(flow: Flow) -> list[dict]:
    rows = []
    for column in COLUMNS:
        stays = flow.time_in_column.get(column, [])
        rows.append(
            {
                "label": COLUMN_NAMES[column],
                "count": len(stays),
                "median": median(stays),
                "p90": percentile(stays, 90),
            }
        )
    rows.append(
        {
            "label": _("Lead time (creation → Dataset)"),
            "count": len(flow.lead_times),
            "median": median(flow.lead_times),
            "p90": percentile(flow.lead_times, 90),
            "lead": True,
        }
    )
    widest = max((row["p90"] or 0 for row in rows), default=0) or 1
    for row in rows:
        row["median_text"], row["p90_text"] = _hours(row["median"]), _hours(row["p90"])
        row["median_width"] = round(300 * (row["median"] or 0) / widest, 1)
        row["p90_width"] = round(300 * (row["p90"] or 0) / widest, 1)
    return rows


def throughput_chart(flow: Flow) -> dict:
    weeks = flow.throughput[-WEEKS_SHOWN:]
    if not weeks:
        return {}
    top = max(images for _, images in weeks) or 1
    # A bar is at most a 26th of the width: a project's first week is one bar, not a green wall.
    step = WIDTH / max(len(weeks), WEEKS_SHOWN)
    bars = [
        {
            "week": week,
            "monday": _monday(week),
            "images": images,
            "x": round(i * step + 2, 1),
            "width": round(max(step - 4, 1), 1),
            "height": round(160 * images / top, 1),
            "y": round(170 - 160 * images / top, 1),
        }
        for i, (week, images) in enumerate(weeks)
    ]
    return {"bars": bars, "top": top, "end": round(bars[-1]["x"] + bars[-1]["width"], 1)}


def _monday(week: str) -> dt.date:
    """The first day of an ISO week ("2026-W50"), which the chart names in the reader's calendar."""
    year, number = week.split("-W")
    return dt.date.fromisocalendar(int(year), int(number), 1)


@login_required
@require_safe
def flow_analytics(request, project_pk: int):
    membership = get_project_for(request.user, project_pk, "manage_project")
    flow, behind = _flow(membership)
    context = {
        "project": membership.project,
        "membership": membership,
        "flow": flow,
        "behind": behind,
        "cfd": cfd_chart(flow),
        "distributions": distribution_rows(flow),
        "throughput": throughput_chart(flow),
        "annotators": [
            {**person, "turnaround": _hours(person["review_turnaround_hours"])} for person in flow.annotators
        ],
        "csv_names": CSV_NAMES,
        "width": WIDTH,
        "height": HEIGHT,
    }
    return render(request, "batches/analytics.html", context)


def _csv_rows(flow: Flow, name: str) -> list[list]:
    if name == "cfd":
        header = ["date", *COLUMNS]
        return [header] + [
            [day.isoformat(), *(counts[c] for c in COLUMNS)] for day, counts in zip(flow.days, flow.cfd, strict=True)
        ]
    if name == "time_in_column":
        return [["column", "hours"]] + [
            [column, round(hours, 3)] for column in COLUMNS for hours in flow.time_in_column.get(column, [])
        ]
    if name == "lead_time":
        return [["hours"]] + [[round(hours, 3)] for hours in flow.lead_times]
    if name == "throughput":
        return [["week", "images"]] + [list(row) for row in flow.throughput]
    people = flow.annotators if name == "annotators" else flow.reviewers
    keys = list(people[0]) if people else (["name"])
    return [keys] + [["" if person[k] is None else person[k] for k in keys] for person in people]


def _safe_cell(value) -> object:
    """No spreadsheet formula from a cell (a user name starting with =, +, - or @)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@login_required
@require_safe
def flow_analytics_csv(request, project_pk: int, table: str):
    name = table
    membership = get_project_for(request.user, project_pk, "manage_project")
    if name not in CSV_NAMES:
        raise Http404(_("No such table."))
    flow, _behind = _flow(membership)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="project-{membership.project.pk}-{name}.csv"'
    writer = csv.writer(response)
    for row in _csv_rows(flow, name):
        writer.writerow([_safe_cell(cell) for cell in row])
    return response
