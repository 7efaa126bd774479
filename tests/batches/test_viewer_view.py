"""The viewer (batches/views/viewer.py): every member who sees a batch browses it with its boxes, in any column."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from batches.models import Batch, Image
from tests.batches.board_helpers import batch_in
from tests.factories import annotate

pytestmark = pytest.mark.django_db
Status = Batch.Status


def gallery_url(batch, query: str = "") -> str:
    return reverse("batch_gallery", args=[batch.project_id, batch.pk]) + (f"?{query}" if query else "")


def viewer_url(batch, image, query: str = "") -> str:
    return reverse("batch_viewer", args=[batch.project_id, batch.pk, image.pk]) + (f"?{query}" if query else "")


def shown_images(response) -> list[int]:
    return [int(pk) for pk in re.findall(r"/view/(\d+)/", response.content.decode())]


@pytest.fixture
def dataset(project, manager, annotator, reviewer):
    """A Dataset batch of 6: a car on the first, a person on the second, "no objects" on the third."""
    batch = batch_in(Status.DATASET, project, manager=manager, annotator=annotator, reviewer=reviewer, images=6)
    images = list(Image.objects.filter(batch=batch).order_by("id"))
    car, person = project.label_classes.order_by("key")
    annotate(images[0], car, box=(10, 20, 30, 40))
    annotate(images[1], person)
    Image.objects.filter(pk=images[2].pk).update(state=Image.State.NO_OBJECTS)
    Image.objects.filter(pk=images[3].pk).update(review_flag=True, review_note="Look again")
    return batch


def test_every_member_who_sees_a_dataset_batch_browses_it_with_its_boxes(client, dataset, reviewer, annotator):
    for person in (reviewer, annotator):
        client.force_login(person)
        response = client.get(gallery_url(dataset))
        assert response.status_code == 200
        assert len(shown_images(response)) == 6
        html = response.content.decode()
        assert html.count('class="vbox"') == 2
        assert '<rect class="vbox" x="10.0" y="20.0" width="30.0" height="40.0" stroke="#1f77b4"' in html


def test_an_outsider_gets_a_404(client, dataset, outsider):
    client.force_login(outsider)
    image = Image.objects.filter(batch=dataset).first()

    assert client.get(gallery_url(dataset)).status_code == 404
    assert client.get(viewer_url(dataset, image)).status_code == 404


@pytest.mark.parametrize(
    ("query", "positions"),
    [
        ("show=no_objects", [2]),
        ("show=flagged", [3]),
        ("show=annotated", [0, 1]),
        ("class={car}", [0]),
        ("class={person}", [1]),
        ("show=nonsense&class=99999999999999999999", [0, 1, 2, 3, 4, 5]),
    ],
)
def test_the_gallery_filters_by_class_and_by_state(client, dataset, manager, project, query, positions):
    images = list(Image.objects.filter(batch=dataset).order_by("id"))
    car, person = project.label_classes.order_by("key")
    client.force_login(manager)

    response = client.get(gallery_url(dataset, query.format(car=car.pk, person=person.pk)))

    assert response.status_code == 200
    assert shown_images(response) == [images[i].pk for i in positions]


def test_the_full_size_viewer_shows_the_boxes_and_walks_within_the_filter(client, dataset, manager, project):
    images = list(Image.objects.filter(batch=dataset).order_by("id"))
    client.force_login(manager)

    response = client.get(viewer_url(dataset, images[1], "show=annotated"))

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="vbox"') == 1 and ">person</text>" in html
    assert f"/view/{images[0].pk}/?show=annotated" in html  # previous, within the filter
    assert 'id="viewer-next" data-nav="next" aria-disabled="true"' in html  # the last annotated image


def test_next_from_the_page_gets_only_the_images_parts_to_swap_in(client, dataset, manager):
    images = list(Image.objects.filter(batch=dataset).order_by("id"))
    client.force_login(manager)

    response = client.get(viewer_url(dataset, images[3]), headers={"HX-Request": "true"})

    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    for part in ('id="stage-canvas"', 'id="viewer-nav"', 'id="crumb-image"', "Look again"):
        assert part in html
    assert f'data-file="{reverse("image_file", args=[images[4].pk])}"' in html


def test_an_image_of_another_batch_is_a_404(client, dataset, manager, project, annotator, reviewer):
    other = batch_in(Status.REVIEW, project, manager=manager, annotator=annotator, reviewer=reviewer, images=1)
    client.force_login(manager)

    assert client.get(viewer_url(dataset, Image.objects.get(batch=other))).status_code == 404


@pytest.mark.parametrize("size", [5, 60])
def test_the_gallery_reads_the_same_number_of_rows_for_any_batch_size(
    client, project, manager, annotator, reviewer, django_assert_num_queries, size
):
    batch = batch_in(Status.DATASET, project, manager=manager, annotator=annotator, reviewer=reviewer, images=size)
    car = project.label_classes.first()
    for image in Image.objects.filter(batch=batch):
        annotate(image, car)
    client.force_login(manager)
    # session, user, batch+project+assignee, membership roles (user, group), classes, count, page of images,
    # their boxes with classes
    with django_assert_num_queries(8):
        response = client.get(gallery_url(batch))

    assert response.status_code == 200


@pytest.mark.parametrize(("boxes", "images"), [(1, 3), (40, 3), (1, 60)])
def test_the_viewer_reads_the_same_number_of_rows_for_any_number_of_boxes_or_images(
    client, project, manager, annotator, reviewer, django_assert_num_queries, boxes, images
):
    batch = batch_in(Status.DATASET, project, manager=manager, annotator=annotator, reviewer=reviewer, images=images)
    image = Image.objects.filter(batch=batch).order_by("id")[1]
    car = project.label_classes.first()
    for _ in range(boxes):
        annotate(image, car)
    client.force_login(manager)
    # session, user, batch+project+assignee, membership roles (user, group), classes, image, boxes with classes,
    # previous, next
    with django_assert_num_queries(9):
        response = client.get(viewer_url(batch, image))

    assert response.status_code == 200


def test_an_image_id_beyond_the_databases_range_is_a_404(client, dataset, manager):
    client.force_login(manager)
    url = reverse("batch_viewer", args=[dataset.project_id, dataset.pk, 1]).replace("/1/", f"/{10**30}/")

    assert client.get(url).status_code == 404
