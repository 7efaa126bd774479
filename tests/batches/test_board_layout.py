"""The board's arrangement: compact cards, the order of each column, collapsed columns (views/board.py)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from batches.models import Batch
from batches.views.board import COLUMN_PAGE, SORTS
from tests.batches.board_helpers import HTMX, batch_in, client_for
from tests.batches.test_board_view import board_url, card_ids, many_batches
from tests.factories import make_batch

pytestmark = pytest.mark.django_db
Status = Batch.Status


def layout_url(project) -> str:
    return reverse("board_layout", args=[project.pk])


def three_batches(project, manager):
    """Unassigned batches that sort differently by every key."""
    now = timezone.now()
    a = make_batch(project, manager, name="Bravo", images=5)
    b = make_batch(project, manager, name="Alpha", images=2)
    c = make_batch(project, manager, name="Charlie", images=9)
    for batch, age in ((a, 3), (b, 1), (c, 2)):
        Batch.objects.filter(pk=batch.pk).update(
            created_at=now - timedelta(days=age), status_changed_at=now - timedelta(days=10 - age)
        )
    return a, b, c


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("newest", ["Alpha", "Charlie", "Bravo"]),
        ("oldest", ["Bravo", "Charlie", "Alpha"]),
        ("size", ["Charlie", "Bravo", "Alpha"]),
        ("name", ["Alpha", "Bravo", "Charlie"]),
        ("waiting", ["Alpha", "Charlie", "Bravo"]),
    ],
)
def test_each_column_sorts_by_the_chosen_key_and_remembers_it(project, manager, sort, expected):
    batches = {b.pk: b.name for b in three_batches(project, manager)}
    client = client_for(manager)

    response = client.post(layout_url(project), {"column": "unassigned", "sort": sort})

    assert response.status_code == 302
    html = client.get(board_url(project)).content.decode()
    assert [batches[pk] for pk in card_ids(html, "unassigned")] == expected
    assert re.search(rf'<option value="{sort}" selected>', html)


def test_the_sort_of_one_column_leaves_the_others_in_board_order(project, manager, annotator):
    three_batches(project, manager)
    first = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator)
    second = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator)
    client = client_for(manager)
    before = card_ids(client.get(board_url(project)).content.decode(), "annotating")

    client.post(layout_url(project), {"column": "unassigned", "sort": "name"})

    assert card_ids(client.get(board_url(project)).content.decode(), "annotating") == before
    assert set(before) == {first.pk, second.pk}


def test_load_more_continues_in_the_columns_order(project, manager):
    many_batches(project, COLUMN_PAGE * 2 + 3)
    client = client_for(manager)
    client.post(layout_url(project), {"column": "unassigned", "sort": "name"})
    html = client.get(board_url(project)).content.decode()
    seen = card_ids(html, "unassigned")
    while (more := re.search(r'class="load-more" href="([^"]+)"', html)) is not None:
        html = client.get(more.group(1).replace("&amp;", "&"), **HTMX).content.decode()
        seen += card_ids(html)

    names = dict(Batch.objects.values_list("pk", "name"))
    assert [names[pk] for pk in seen] == sorted(names.values())
    assert len(seen) == len(set(seen)) == COLUMN_PAGE * 2 + 3


def test_compact_mode_drops_thumbnails_and_is_remembered_for_this_person_only(project, manager, annotator):
    many_batches(project, 3)  # batches with thumbnails
    client = client_for(manager)
    assert 'class="thumbs"' in client.get(board_url(project)).content.decode()

    response = client.post(layout_url(project), {"compact": "1"}, **HTMX)

    assert response.status_code == 200
    assert 'class="thumbs"' not in response.content.decode()
    assert 'aria-pressed="true"' in response.content.decode()
    html = client.get(board_url(project)).content.decode()
    assert "card-compact" in html and 'class="thumbs"' not in html
    manager.refresh_from_db()
    assert manager.board_layout[str(project.pk)]["compact"] is True
    assert "card-compact" not in client_for(annotator).get(board_url(project), {"assignee": ""}).content.decode()


def test_a_collapsed_column_shows_its_counts_but_no_card_until_opened_again(project, manager):
    many_batches(project, 3)
    client = client_for(manager)

    client.post(layout_url(project), {"column": "unassigned", "collapsed": "1"})
    html = client.get(board_url(project)).content.decode()

    assert card_ids(html, "unassigned") == []
    assert "column-collapsed" in html
    assert re.search(r'data-count="batches">3<', html)
    client.post(layout_url(project), {"column": "unassigned", "collapsed": "0"})
    assert len(card_ids(client.get(board_url(project)).content.decode(), "unassigned")) == 3


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"compact": "yes"},
        {"column": "nowhere", "sort": "name"},
        {"column": "unassigned", "sort": "random()"},
        {"column": "unassigned", "collapsed": "maybe"},
        {"column": "\x00", "collapsed": "1"},
    ],
)
def test_a_bad_layout_change_is_refused_with_a_400_and_changes_nothing(project, manager, data):
    response = client_for(manager).post(layout_url(project), data)

    assert response.status_code == 400
    manager.refresh_from_db()
    assert manager.board_layout == {}


def test_a_non_member_cannot_arrange_a_board(project, outsider):
    assert client_for(outsider).post(layout_url(project), {"compact": "1"}).status_code == 404


def test_a_cursor_that_does_not_fit_the_order_is_a_404(project, manager):
    url = reverse("board_column", args=[project.pk, "unassigned"])
    client = client_for(manager)

    assert client.get(url, {"after": "Alpha_3", "sort": "size"}).status_code == 404
    assert client.get(url, {"after": "2026-01-01T00:00:00_3", "sort": "newest"}).status_code == 404  # naive
    assert client.get(url, {"after": "3_3", "sort": "nonsense"}).status_code == 404
    assert client.get(url, {"after": "Alpha_3", "sort": "name"}).status_code == 200


@pytest.mark.parametrize("batches", [10, 1000])
@pytest.mark.parametrize("compact", [False, True])
@pytest.mark.parametrize("sort", list(SORTS))
def test_the_board_costs_the_same_queries_in_every_sort_and_density(
    batches, compact, sort, project, manager, annotator, django_assert_num_queries
):
    many_batches(project, batches)
    batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator)
    manager.board_layout = {
        str(project.pk): {"compact": compact, "sort": {s: sort for s in Status.values}, "collapsed": []}
    }
    manager.save(update_fields=["board_layout"])
    client = client_for(manager)
    client.get(board_url(project))
    cache.clear()  # the page rendered again, not the one just stored

    # as test_board_view's budget: session, user, project, permissions (one UNION), the board token with the
    # column totals, the cards of four columns in their orders (one query), thumbnails, the annotators
    with django_assert_num_queries(8):
        response = client.get(board_url(project))
    assert response.status_code == 200
    assert len(card_ids(response.content.decode(), "unassigned")) == min(batches, COLUMN_PAGE)


@pytest.mark.parametrize("sort", list(SORTS))
def test_a_live_refresh_costs_the_same_queries_in_every_sort(sort, project, manager, django_assert_num_queries):
    many_batches(project, 300)
    manager.board_layout = {str(project.pk): {"compact": True, "sort": {"unassigned": sort}, "collapsed": ["review"]}}
    manager.save(update_fields=["board_layout"])
    client = client_for(manager)

    # session, user, project, permissions (one UNION), the token with the column totals, cards, thumbnails,
    # the bell
    with django_assert_num_queries(8):
        response = client.get(reverse("board_version", args=[project.pk]), {"token": "old"}, **HTMX)
    assert response.status_code == 200
