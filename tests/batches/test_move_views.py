"""One view per move at its own URL: each works as a plain form and over htmx, asks the rule book first,
and the drag router hands over to it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from batches.models import Batch, BatchEvent
from tests.batches.board_helpers import HTMX, batch_in, client_for, seen, shown_message
from tests.factories import make_batch

pytestmark = pytest.mark.django_db
Status = Batch.Status


def url(name: str, batch: Batch) -> str:
    return reverse(f"batch_{name}", args=[batch.project_id, batch.pk])


def test_each_move_has_its_own_url_that_works_without_javascript(client, project, manager, annotator, reviewer):
    batch = make_batch(project, manager, images=4)
    client.force_login(manager)

    client.post(url("assign", batch), {**seen(batch), "dialog": "1", "assignees": [annotator.pk]})
    batch.refresh_from_db()
    client_for(annotator).post(url("submit", batch), {**seen(batch), "confirmed": "yes"})
    batch.refresh_from_db()
    response = client_for(reviewer).post(url("approve", batch), {**seen(batch), "confirmed": "yes"})

    batch.refresh_from_db()
    assert batch.status == Status.DATASET
    assert response["Location"] == reverse("board", args=[project.pk])


def test_a_move_url_asked_without_its_input_opens_the_dialog(project, manager, annotator):
    batch = batch_in(Status.REVIEW, project, manager=manager, annotator=annotator)

    response = client_for(manager).get(url("reset", batch), seen(batch), **HTMX)

    html = response.content.decode()
    assert "<dialog" in html and f'action="{url("reset", batch)}"' in html


def test_a_move_url_refuses_whoever_the_rule_book_refuses(project, manager, annotator):
    batch = make_batch(project, manager)
    events = BatchEvent.objects.count()

    response = client_for(annotator).post(url("delete", batch), {**seen(batch), "confirmed": "yes"}, **HTMX)

    assert shown_message(response) == {"text": "Only a manager of this project can delete a batch.", "level": "error"}
    assert Batch.objects.filter(pk=batch.pk).exists() and BatchEvent.objects.count() == events


def test_moves_without_input_take_only_posts(project, manager, annotator):
    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator)

    assert client_for(manager).get(url("submit", batch), seen(batch)).status_code == 405


def test_a_non_member_gets_404_from_a_move_url(project, manager, outsider):
    batch = make_batch(project, manager)

    assert client_for(outsider).post(url("merge", batch), seen(batch)).status_code == 404


def test_the_router_refuses_a_move_that_is_not_a_menu_move(project, manager):
    batch = make_batch(project, manager)

    response = client_for(manager).post(
        reverse("batch_move", args=[project.pk, batch.pk]), {**seen(batch), "action": "reorder"}, **HTMX
    )

    assert shown_message(response)["text"] == "“reorder” is not a move of this board."
