"""Assigning chosen images: the assign dialog's grid (board and batch page), through the test client."""

from __future__ import annotations

import pytest
from django.urls import reverse

from batches.models import Batch, BatchEvent
from tests.batches.board_helpers import HTMX, client_for, seen, shown_message
from tests.factories import make_batch

pytestmark = pytest.mark.django_db
Status = Batch.Status


def assign(client, batch, images, **extra):
    data = {**seen(batch), "action": "assign", "dialog": "1", "scope": "chosen", "images": images, **extra}
    return client.post(reverse("batch_assign", args=[batch.project_id, batch.pk]), data, **HTMX)


def test_the_chosen_images_go_to_the_annotator_and_the_rest_stays_unassigned(project, manager, annotator):
    batch = make_batch(project, manager, images=10)
    ids = list(batch.images.order_by("pk").values_list("pk", flat=True))
    chosen = ids[::2]  # every other

    response = assign(client_for(manager), batch, chosen, assignees=[annotator.pk])

    assert response.status_code == 200
    batch.refresh_from_db()
    assert batch.status == Status.ANNOTATING and batch.assignee == annotator
    assert sorted(batch.images.values_list("pk", flat=True)) == chosen
    rest = Batch.objects.get(split_from=batch)
    assert rest.status == Status.UNASSIGNED and sorted(rest.images.values_list("pk", flat=True)) == ids[1::2]
    assert "5 images to annotator; the other 5 stay in Unassigned" in shown_message(response)["text"]


@pytest.mark.parametrize(
    ("images", "error"),
    [
        ([], "Choose at least one image in the grid."),
        (["12abc"], "“12abc” is not an image id."),
        (["99999999999999999999999"], "is not an image id."),
        (["-3"], "is not an image id."),
    ],
)
def test_bad_image_ids_are_refused_with_a_clear_message_and_nothing_moves(project, manager, annotator, images, error):
    batch = make_batch(project, manager, images=4)
    events = BatchEvent.objects.count()

    response = assign(client_for(manager), batch, images, assignees=[annotator.pk])

    assert response.status_code == 200
    assert error in response.content.decode()
    assert Batch.objects.get(pk=batch.pk).status == Status.UNASSIGNED
    assert BatchEvent.objects.count() == events


def test_images_of_another_batch_are_refused(project, manager, annotator):
    batch = make_batch(project, manager, images=4)
    other = make_batch(project, manager, images=2)
    stranger = other.images.first().pk

    response = assign(client_for(manager), batch, [batch.images.first().pk, stranger], assignees=[annotator.pk])

    assert f"1 of the chosen images are not in “{batch.name}” (any more)." in response.content.decode()
    assert Batch.objects.get(pk=batch.pk).status == Status.UNASSIGNED


def test_fewer_chosen_images_than_annotators_cannot_be_split(project, manager, annotator, annotator2):
    batch = make_batch(project, manager, images=4)

    response = assign(client_for(manager), batch, [batch.images.first().pk], assignees=[annotator.pk, annotator2.pk])

    assert "1 images cannot be split among 2 annotators." in response.content.decode()
    assert Batch.objects.get(pk=batch.pk).status == Status.UNASSIGNED


def test_the_dialog_offers_the_grid_and_the_batch_page_opens_on_it(project, manager, annotator):
    batch = make_batch(project, manager, images=3)
    client = client_for(manager)
    detail = reverse("batch_detail", args=[project.pk, batch.pk])

    html = client.get(detail).content.decode()
    assert "data-choose-images-link" in html
    panel = client.get(detail, {"move": "assign", "scope": "chosen", **seen(batch)}).content.decode()

    assert 'value="chosen" checked' in panel
    assert panel.count('name="images"') == 3


def test_the_preview_counts_the_chosen_images(project, manager, annotator):
    batch = make_batch(project, manager, images=6)
    ids = list(batch.images.order_by("pk").values_list("pk", flat=True))[:2]
    url = reverse("batch_assign", args=[project.pk, batch.pk])

    response = client_for(manager).get(
        url, {**seen(batch), "preview": "1", "scope": "chosen", "images": ids, "assignees": [annotator.pk]}, **HTMX
    )

    assert "2 images to annotator; the other 4 stay in Unassigned" in response.content.decode()
