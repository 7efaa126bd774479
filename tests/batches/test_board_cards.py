"""Board cards rendered once per content (the board_cards tag and its cache), with each page's own CSRF token."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from batches.models import Batch
from batches.templatetags import board_cards
from tests.batches.board_helpers import batch_in, client_for

pytestmark = pytest.mark.django_db
Status = Batch.Status


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def renders(monkeypatch) -> list[int]:
    """The batch id of every card the tag renders (rather than finds in the cache)."""
    rendered: list[int] = []
    real = board_cards.get_template

    class Counting:
        def __init__(self, template):
            self.template = template

        def render(self, context):
            rendered.append(context["card"].batch.pk)
            return self.template.render(context)

    monkeypatch.setattr(board_cards, "get_template", lambda name: Counting(real(name)))
    return rendered


def test_an_unchanged_card_is_never_rendered_twice(project, manager, annotator, renders):
    first = batch_in(Status.UNASSIGNED, project, manager=manager, images=2)
    second = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=3)
    client = client_for(manager)
    url = reverse("board", args=[project.pk])

    page = client.get(url).content.decode()
    assert sorted(renders) == sorted([first.pk, second.pk])
    renders.clear()

    assert client.get(url).content.decode().count('class="card"') == page.count('class="card"') == 2
    assert renders == []

    Batch.objects.filter(pk=second.pk).update(done_count=1)  # an annotator's save
    html = client.get(url).content.decode()
    assert renders == [second.pk]
    assert 'value="1" aria-label="1 of 3 images annotated"' in html


def test_a_card_follows_the_viewers_moves_and_language(project, manager, annotator, renders):
    batch = batch_in(Status.UNASSIGNED, project, manager=manager, images=2)
    url = reverse("board", args=[project.pk])

    client_for(manager).get(url)
    client_for(annotator).get(url, {"assignee": ""})  # Everyone; other moves (none here): its own card

    assert renders == [batch.pk, batch.pk]


def test_a_cached_card_is_not_shown_in_another_calendar(project, manager, renders):
    """The card's "in its column since" date is written only when the card is rendered: the key holds the
    calendar, so a person who switches to Jalali never gets the Gregorian card cached a moment ago."""
    batch = batch_in(Status.UNASSIGNED, project, manager=manager, images=2)
    Batch.objects.filter(pk=batch.pk).update(status_changed_at=datetime(2026, 3, 21, 9, 0, tzinfo=UTC))
    url = reverse("board", args=[project.pk])
    client = client_for(manager)

    gregorian = client.get(url).content.decode()
    manager.calendar = "jalali"
    manager.save(update_fields=["calendar"])
    jalali = client.get(url).content.decode()

    assert renders == [batch.pk, batch.pk]
    assert "2026" in re.search(r'class="age" title="([^"]*)"', gregorian).group(1)
    assert "1405" in re.search(r'class="age" title="([^"]*)"', jalali).group(1)  # 1 Farvardin 1405


def test_each_page_carries_its_own_csrf_token_in_cached_cards(project, manager, annotator, reviewer):
    batch = batch_in(Status.REVIEW, project, manager=manager, annotator=annotator, images=2)
    url = reverse("board", args=[project.pk])
    for _ in range(2):  # two sessions, two CSRF secrets; the second page's card comes from the cache
        client = Client(enforce_csrf_checks=True)
        client.force_login(reviewer)
        html = client.get(url).content.decode()
        assert board_cards.CSRF_MARK not in html
        form = re.search(rf'<form method="post" action="(/[^"]*/{batch.pk}/approve)".*?</form>', html, re.S)
        assert form, "the approve form"
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(0)).group(1)
        response = client.post(form.group(1), {"csrfmiddlewaretoken": token, "version": 999, "from": "review"})
        assert response.status_code != 403
