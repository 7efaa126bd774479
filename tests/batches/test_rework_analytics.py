"""Flow analytics (issue #19): a seeded history with known answers, CSVs, access, cache and query budget."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from batches import workflow
from batches.analytics import replay
from batches.models import Batch, BatchEvent, Image
from tests.batches.board_helpers import client_for
from tests.batches.workflow_helpers import annotate_some, fresh
from tests.factories import make_batch

pytestmark = pytest.mark.django_db
Status = Batch.Status
START = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)  # a Monday


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def at(day: int):
    return freeze_time(START + dt.timedelta(days=day))


@pytest.fixture
def history(project, manager, annotator, annotator2, reviewer):
    with at(0):
        a = make_batch(project, manager, images=10, name="A")
        b = make_batch(project, manager, images=4, name="B")
    with at(1):
        a = workflow.assign(actor=manager, batch=a, assignees=[annotator]).assigned[0]
        annotate_some(a, annotator, 5)
    with at(2):
        b = workflow.assign(actor=manager, batch=b, assignees=[annotator2], count=2).assigned[0]
    with at(3):
        a = workflow.submit(actor=annotator, batch=fresh(a))
    with at(4):
        a = workflow.reject(actor=reviewer, batch=a, comment="Again")
    with at(5):
        a = workflow.submit(actor=annotator, batch=a)
    with at(6):
        a = workflow.approve(actor=reviewer, batch=a)
    with at(7):
        annotate_some(b, annotator2, 1)
        workflow.take_back(actor=manager, batch=fresh(b), scope="untouched", expected=1)
    return a, b


def test_the_cumulative_flow_is_the_replay_of_the_known_history(project, history):
    with at(7):
        flow = replay(project)

    shape = [
        (d.isoformat(), [c["unassigned"], c["annotating"], c["review"], c["dataset"]])
        for d, c in zip(flow.days, flow.cfd, strict=True)
    ]
    assert shape == [
        ("2026-03-02", [14, 0, 0, 0]),
        ("2026-03-03", [4, 10, 0, 0]),
        ("2026-03-04", [2, 12, 0, 0]),
        ("2026-03-05", [2, 2, 10, 0]),
        ("2026-03-06", [2, 12, 0, 0]),
        ("2026-03-07", [2, 2, 10, 0]),
        ("2026-03-08", [2, 2, 0, 10]),
        ("2026-03-09", [3, 1, 0, 10]),
    ]
    board = Batch.objects.column_totals(project)
    assert flow.cfd[-1] == {column: board[column]["images"] for column in Status.values}


def test_times_lead_time_throughput_and_people_have_the_known_figures(project, history):
    with at(7):
        flow = replay(project)

    assert sorted(flow.time_in_column["unassigned"]) == [24, 48]
    assert sorted(flow.time_in_column["annotating"]) == [24, 48]
    assert flow.time_in_column["review"] == [24, 24]
    assert flow.lead_times == [144]
    assert flow.throughput == [("2026-W10", 10)]  # Sunday 8 March is in the week of Monday 2 March
    assert flow.annotators == [
        {
            "name": "annotator",
            "images_done": 10,
            "boxes_per_image": 0.5,
            "rejections": 1,
            "rejection_rate": 0.5,
            "review_turnaround_hours": 24.0,
        }
    ]
    assert flow.reviewers == [{"name": "reviewer", "batches_reviewed": 2, "rejected": 1, "rejection_ratio": 0.5}]


def test_the_page_shows_the_figures_and_each_csv_has_its_data(project, history, manager):
    client = client_for(manager)
    with at(7):
        page = client.get(reverse("flow_analytics", args=[project.pk]))
        html = page.content.decode()
        assert page.status_code == 200 and "<polygon" in html and "annotator" in html
        assert "36.0 h" in html  # the median time in Unassigned: 24 h and 48 h
        assert "24.0 h" in html.split("people-title", 1)[1]  # the annotator's median review turnaround
        cfd = client.get(reverse("flow_analytics_csv", args=[project.pk, "cfd"]))
    rows = list(csv.reader(io.StringIO(cfd.content.decode())))
    assert rows[0] == ["date", "unassigned", "annotating", "review", "dataset"]
    assert rows[-1] == ["2026-03-09", "3", "1", "0", "10"]
    for name in ("time_in_column", "lead_time", "throughput", "annotators", "reviewers"):
        response = client.get(reverse("flow_analytics_csv", args=[project.pk, name]))
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert client.get(reverse("flow_analytics_csv", args=[project.pk, "nope"])).status_code == 404


def test_only_managers_see_the_flow(project, annotator, reviewer, outsider):
    url = reverse("flow_analytics", args=[project.pk])
    assert client_for(outsider).get(url).status_code == 404
    assert client_for(annotator).get(url).status_code == 403
    assert client_for(reviewer).get(url).status_code == 403


def _page_queries(client, project) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("flow_analytics", args=[project.pk])).status_code == 200
    return len(queries)


def test_the_page_costs_the_same_queries_whatever_the_history_and_is_cached(
    project, manager, annotator, django_assert_max_num_queries
):
    client = client_for(manager)
    make_batch(project, manager, images=3)
    short = _page_queries(client, project)
    for _ in range(30):
        batch = make_batch(project, manager, images=2)
        batch = workflow.assign(actor=manager, batch=batch, assignees=[annotator]).assigned[0]
        workflow.submit(actor=manager, batch=batch)
    long = _page_queries(client, project)

    assert short == long
    with django_assert_max_num_queries(long - 2):  # the replay's two reads come from the cache
        client.get(reverse("flow_analytics", args=[project.pk]))


def test_a_new_move_makes_the_cached_figures_stale(project, manager, annotator):
    client = client_for(manager)
    batch = make_batch(project, manager, images=3)
    client.get(reverse("flow_analytics", args=[project.pk]))
    workflow.assign(actor=manager, batch=batch, assignees=[annotator])

    html = client.get(reverse("flow_analytics", args=[project.pk])).content.decode()

    assert BatchEvent.objects.count() == 2 and "From 2 moves" in html
    assert Image.objects.count() == 3 and timezone.now()


def test_a_first_day_fills_the_chart_and_a_first_week_is_one_narrow_bar_named_by_its_monday():
    """A new project's history is one day and one week: the day is drawn across the chart (a polygon of no
    width is an empty chart) and the week is one bar of ordinary width, labelled once, by its first day."""
    from batches.analytics import Flow
    from batches.views.analytics import WIDTH, cfd_chart, throughput_chart

    day = dt.date(2026, 12, 7)
    counts = {"unassigned": 18, "annotating": 12, "review": 6, "dataset": 12}
    flow = Flow(days=[day], cfd=[counts], throughput=[("2026-W50", 12)])

    cfd = cfd_chart(flow)
    for layer in cfd["layers"]:
        xs = {float(point.split(",")[0]) for point in layer["points"].split()}
        assert xs == {0.0, float(WIDTH)}, layer
    assert cfd["ticks"] == [{"x": WIDTH / 2, "day": day}]

    [bar] = throughput_chart(flow)["bars"]
    assert bar["width"] < WIDTH / 10
    assert bar["monday"] == dt.date(2026, 12, 7)


def test_the_charts_labels_read_in_persian_and_sit_beside_the_axis_right_to_left(project, history, manager):
    manager.language = "fa"
    manager.save(update_fields=["language"])
    with at(7):
        html = client_for(manager).get(reverse("flow_analytics", args=[project.pk])).content.decode()
    throughput = html.split('class="chart throughput"', 1)[1].split("</svg>", 1)[0]
    assert "W" not in throughput.replace("Week", "")  # no ISO week names ("2026-W10")
    assert "هفتهٔ" in throughput  # the bar's tooltip
    # The value at the top of the axis ends left of it: in a right-to-left page that is the text's start.
    assert re.search(r'<text class="tick" x="-6" y="14" text-anchor="start">', throughput)


def test_stays_under_an_hour_read_in_minutes():
    """Fresh work moves within the hour: "0.0 h" on every row beside bars of different lengths said nothing."""
    from django.utils import translation

    from batches.views.analytics import _hours

    assert _hours(0.25) == "15 min" and _hours(0.004) == "<1 min" and _hours(36) == "36.0 h" and _hours(72) == "3.0 d"
    with translation.override("fa"):
        assert _hours(0.5) == "30 دقیقه"
