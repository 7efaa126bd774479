"""The thumbnails of the board's cards: the first four images with a thumbnail of each batch, in one query."""

from __future__ import annotations

import pytest

from batches.models import Batch, Image
from batches.views.board import THUMBS_PER_CARD, thumbnails_for
from tests.factories import image_rows, make_project

pytestmark = pytest.mark.django_db


def batch_with(project, name: str, thumbnails: list[bool]) -> tuple[Batch, list[int]]:
    """A batch whose images have (True) or lack (False) a thumbnail, in id order; returns the ids that have one."""
    batch = Batch.objects.create(project=project, name=name, image_count=len(thumbnails))
    rows = image_rows(len(thumbnails))
    for row, has in zip(rows, thumbnails, strict=True):
        row.project, row.batch = project, batch
        row.thumbnail = f"thumbs/{row.sha256[:8]}.jpg" if has else ""
    created = Image.objects.bulk_create(rows)
    return batch, [image.pk for image, has in zip(created, thumbnails, strict=True) if has]


def test_each_card_gets_the_first_four_images_that_have_a_thumbnail(django_assert_num_queries):
    project = make_project()
    big, big_ids = batch_with(project, "big", [False, True, True, False, True, True, True, True])
    small, small_ids = batch_with(project, "small", [True, True])
    bare, _ = batch_with(project, "bare", [False, False, False])
    empty = Batch.objects.create(project=project, name="empty")

    with django_assert_num_queries(1):
        thumbs = thumbnails_for([big.pk, small.pk, bare.pk, empty.pk])

    assert thumbs == {big.pk: big_ids[:THUMBS_PER_CARD], small.pk: small_ids}


def test_no_batches_ask_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert thumbnails_for([]) == {}


def test_two_thousand_cards_are_still_one_query(django_assert_num_queries):
    """A live refresh may show up to 500 cards per column; SQLite's compound-select limit is 500."""
    project = make_project()
    batches = Batch.objects.bulk_create([Batch(project=project, name=f"b{i}", image_count=1) for i in range(2000)])
    rows = image_rows(2000)
    for row, batch in zip(rows, batches, strict=True):
        row.project, row.batch, row.thumbnail = project, batch, "thumbs/x.jpg"
    Image.objects.bulk_create(rows)

    with django_assert_num_queries(1):
        thumbs = thumbnails_for([b.pk for b in batches])

    assert len(thumbs) == 2000
