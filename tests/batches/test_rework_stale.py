"""Stale-work alerts on the board's cards (issue #19)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from batches.models import Batch
from batches.models import Batch as B
from batches.stale import stale_condition, stale_days
from tests.batches.board_helpers import client_for
from tests.batches.workflow_helpers import batch_in

pytestmark = pytest.mark.django_db
Status = Batch.Status


def _card(html: str, batch: Batch) -> str:
    return re.search(rf'<article id="card-{batch.pk}".*?</article>', html, re.S).group(0)


def _age(batch: Batch, days: float, active_days: float | None = None) -> Batch:
    now = timezone.now()
    B.objects.filter(pk=batch.pk).update(
        status_changed_at=now - dt.timedelta(days=days),
        last_active_at=None if active_days is None else now - dt.timedelta(days=active_days),
    )
    return B.objects.select_related("project").get(pk=batch.pk)


def test_a_batch_waiting_beyond_the_limit_is_marked_on_its_card(project, manager, annotator, reviewer):
    project.stale_after_days = 3
    project.save()
    old = _age(batch_in(Status.REVIEW, project, manager=manager, annotator=annotator, name="Old"), 4.5)
    young = _age(batch_in(Status.REVIEW, project, manager=manager, annotator=annotator, name="Young"), 2)
    working = _age(batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, name="Busy"), 9, 1)
    idle = _age(batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, name="Idle"), 9, 6)
    waiting = _age(batch_in(Status.UNASSIGNED, project, manager=manager, name="Waiting"), 30)

    html = client_for(manager).get(reverse("board", args=[project.pk])).content.decode()

    assert "waiting 4 days" in _card(html, old)
    assert "waiting 6 days" in _card(html, idle)
    for fresh_one in (young, working, waiting):
        assert "data-stale" not in _card(html, fresh_one)
    now = timezone.now()
    marked = {b.pk for b in (old, young, working, idle, waiting) if stale_days(b, now)}
    assert marked == set(B.objects.filter(stale_condition(3, now)).values_list("pk", flat=True)) == {old.pk, idle.pk}


def test_a_limit_of_zero_turns_the_alerts_off_and_the_settings_page_sets_it(project, manager, annotator):
    batch = _age(batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator), 40)
    client = client_for(manager)
    data = {"name": project.name, "description": "", "review_required": "on", "annotator_visibility": "assigned"}

    client.post(reverse("project_settings", args=[project.pk]), {**data, "stale_after_days": "0"})
    project.refresh_from_db()
    assert project.stale_after_days == 0
    assert "data-stale" not in _card(client.get(reverse("board", args=[project.pk])).content.decode(), batch)

    client.post(reverse("project_settings", args=[project.pk]), {**data, "stale_after_days": "7"})
    assert "waiting 40 days" in _card(client.get(reverse("board", args=[project.pk])).content.decode(), batch)
    client.post(reverse("project_settings", args=[project.pk]), {**data, "stale_after_days": "-3"})
    project.refresh_from_db()
    assert project.stale_after_days == 7
