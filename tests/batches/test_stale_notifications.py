"""Stale-work alerts reach the managers (issue #19): once per batch per stay in its column, coalesced."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Notification
from accounts.notifications import describe
from accounts.roles import grant_role
from batches import workflow
from batches.models import Batch
from batches.notifications import notify_stale, tell_stale
from tests.factories import batch_in, make_user

pytestmark = pytest.mark.django_db
Status = Batch.Status
DAY = dt.timedelta(days=1)


@pytest.fixture
def limited(project):
    project.stale_after_days = 5
    project.save()
    return project


def _age(batch: Batch, days: float, active_days: float | None = None, now=None) -> Batch:
    now = now or timezone.now()
    Batch.objects.filter(pk=batch.pk).update(
        status_changed_at=now - days * DAY,
        last_active_at=None if active_days is None else now - active_days * DAY,
    )
    return Batch.objects.get(pk=batch.pk)


def _stale_notes(user=None):
    notes = Notification.objects.filter(kind=Notification.Kind.STALE)
    return list(notes.filter(recipient=user) if user else notes)


def _told(note: Notification) -> set[int]:
    return {b["id"] for b in note.data["batches"]}


def test_the_managers_are_told_once_and_not_again_on_the_next_run(limited, manager, annotator, reviewer):
    second = make_user("boss")
    grant_role(limited, second, "manager")
    batch = _age(batch_in(Status.REVIEW, limited, manager=manager, annotator=annotator, name="Old"), 6)

    assert tell_stale() == 2
    assert {n.recipient for n in _stale_notes()} == {manager, second}  # managers only: not annotator, reviewer
    note = _stale_notes(manager)[0]
    assert _told(note) == {batch.pk} and note.data["days"] == 5 and note.project == limited
    assert note.email == Notification.Email.DIGEST  # the default e-mail choice of this kind
    with translation.override("en"):
        assert describe(note).title == "“Old” has been waiting longer than 5 days in Street scenes"

    assert tell_stale() == 0
    assert tell_stale(timezone.now() + 3 * DAY) == 0  # still waiting in the same stay: told already
    assert len(_stale_notes()) == 2


def test_fresh_batches_and_busy_annotating_are_not_told(limited, manager, annotator):
    _age(batch_in(Status.REVIEW, limited, manager=manager, annotator=annotator), 4)
    _age(batch_in(Status.ANNOTATING, limited, manager=manager, annotator=annotator), 20, active_days=2)
    _age(batch_in(Status.UNASSIGNED, limited, manager=manager), 30)
    idle = _age(batch_in(Status.ANNOTATING, limited, manager=manager, annotator=annotator), 20, active_days=7)

    assert tell_stale() == 1
    assert _told(_stale_notes(manager)[0]) == {idle.pk}


def test_a_limit_of_zero_tells_nobody(project, manager, annotator):
    project.stale_after_days = 0
    project.save()
    _age(batch_in(Status.REVIEW, project, manager=manager, annotator=annotator), 400)

    assert tell_stale() == 0
    assert not _stale_notes()


def test_a_new_stay_in_a_column_is_told_again(limited, manager, annotator, reviewer):
    batch = _age(batch_in(Status.REVIEW, limited, manager=manager, annotator=annotator), 16)
    assert tell_stale(timezone.now() - 10 * DAY) == 1  # told ten days ago, during its stay in Review

    batch = workflow.reject(actor=reviewer, batch=batch, comment="redo the cars")  # a new stay, in Annotating
    assert tell_stale() == 0  # just moved: fresh
    assert tell_stale(timezone.now() + 6 * DAY) == 1
    assert tell_stale(timezone.now() + 9 * DAY) == 0
    assert [_told(n) for n in _stale_notes(manager)] == [{batch.pk}, {batch.pk}]


def test_several_batches_make_one_notification_per_manager(limited, manager, annotator):
    batches = [
        _age(batch_in(Status.REVIEW, limited, manager=manager, annotator=annotator, name=f"B{i}"), 6 + i)
        for i in range(3)
    ]

    assert tell_stale() == 1
    (note,) = _stale_notes(manager)
    assert _told(note) == {b.pk for b in batches}
    with translation.override("en"):
        said = describe(note)
    assert said.title == "3 batches have been waiting longer than 5 days in Street scenes"
    assert said.path == reverse("board", args=[limited.pk])  # several batches: the board
    with translation.override("fa"):
        assert describe(note).title == "۳ دسته در \u2068Street scenes\u2069 بیش از ۵ روز معطل مانده‌اند"


@pytest.mark.parametrize("count", [1, 12])
def test_the_run_reads_in_bulk(limited, manager, annotator, count, django_assert_num_queries):
    other = make_user("other_manager")
    grant_role(limited, other, "manager")
    for _ in range(count):
        _age(batch_in(Status.REVIEW, limited, manager=manager, annotator=annotator), 8)

    # limits, savepoint, the batches (locked), mark them told, the managers, per manager its e-mail choices and
    # the insert, release: the same for 1 batch as for 12
    with django_assert_num_queries(10):
        assert tell_stale() == 2


def test_the_task_runs_every_interval_on_the_workers(limited, manager, annotator):
    assert settings.PERIODIC_TASKS["batches.notifications.notify_stale"] >= 1
    _age(batch_in(Status.REVIEW, limited, manager=manager, annotator=annotator), 6)
    assert notify_stale.call() == 1
