"""The invariants the database itself keeps, and the moves table the whole app reads."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from batches.models import Annotation, Batch, Image, LabelClass, image_upload_to
from tests.batches.workflow_helpers import batch_in
from tests.factories import image_rows, make_batch, make_project

Status = Batch.Status


def refused(make) -> None:
    """The database refuses the row (inside its own savepoint so the test can carry on)."""
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


# --- label classes --------------------------------------------------------------------------------------


def test_a_label_class_name_is_unique_in_a_project_whatever_its_case(project):
    refused(lambda: LabelClass.objects.create(project=project, name="CAR"))
    refused(lambda: LabelClass.objects.create(project=project, name="Person"))


def test_two_projects_may_each_have_a_class_of_the_same_name(project):
    other = make_project("Other")

    assert LabelClass.objects.filter(name="car", project__in=[project, other]).count() == 2


def test_a_number_key_picks_one_class_only_and_lies_between_1_and_9(project):
    refused(lambda: LabelClass.objects.create(project=project, name="bus", key=1))
    refused(lambda: LabelClass.objects.create(project=project, name="bus", key=0))
    refused(lambda: LabelClass.objects.create(project=project, name="bus", key=10))
    LabelClass.objects.create(project=project, name="bus", key=None)
    LabelClass.objects.create(project=project, name="tram", key=None)


def test_a_label_class_needs_a_name(project):
    refused(lambda: LabelClass.objects.create(project=project, name=""))


# --- annotations ----------------------------------------------------------------------------------------


@pytest.fixture
def image(project, manager):
    return make_batch(project, manager, images=1).images.get()


@pytest.mark.parametrize(
    "box",
    [
        {"x": 1, "y": 1, "w": 0, "h": 5},
        {"x": 1, "y": 1, "w": -3, "h": 5},
        {"x": 1, "y": 1, "w": 5, "h": 0},
        {"x": -1, "y": 1, "w": 5, "h": 5},
        {"x": 1, "y": -0.5, "w": 5, "h": 5},
    ],
    ids=["zero width", "negative width", "zero height", "negative x", "negative y"],
)
def test_a_box_with_no_area_or_outside_the_top_left_is_refused(project, image, box):
    label = project.label_classes.first()

    refused(lambda: Annotation.objects.create(image=image, label_class=label, **box))


def test_a_box_at_the_top_left_corner_is_accepted(project, image):
    Annotation.objects.create(image=image, label_class=project.label_classes.first(), x=0, y=0, w=0.5, h=0.5)


def test_a_label_class_in_use_cannot_be_deleted(project, image):
    label = project.label_classes.first()
    Annotation.objects.create(image=image, label_class=label, x=0, y=0, w=1, h=1)

    with pytest.raises(ProtectedError):
        label.delete()


# --- images ---------------------------------------------------------------------------------------------


def test_the_same_picture_is_stored_once_per_project(project, manager, image):
    batch = image.batch
    copy = image_rows(1)[0]
    copy.sha256, copy.project, copy.batch = image.sha256, project, batch

    refused(copy.save)


def test_the_same_picture_may_be_in_two_projects(project, image):
    other = make_project("Other")
    batch = Batch.objects.create(project=other, name="Theirs", image_count=1)
    copy = image_rows(1)[0]
    copy.sha256, copy.project, copy.batch = image.sha256, other, batch

    copy.save()

    assert Image.objects.filter(sha256=image.sha256).count() == 2


def test_an_image_has_a_size(project, image):
    for width, height in [(0, 10), (10, 0)]:
        copy = image_rows(1, width=width, height=height)[0]
        copy.project, copy.batch = project, image.batch
        refused(copy.save)


def test_a_stored_file_name_never_comes_from_the_upload(project, image):
    name = image_upload_to(image, "../../etc/passwd.JPG")

    assert name.startswith(f"projects/{project.pk}/images/")
    assert name.endswith(".jpg")
    assert ".." not in name and "passwd" not in name


# --- batches --------------------------------------------------------------------------------------------


def test_an_unassigned_batch_cannot_have_an_assignee(project, annotator):
    refused(lambda: Batch.objects.create(project=project, name="B", status=Status.UNASSIGNED, assignee=annotator))


@pytest.mark.parametrize("status", [Status.ANNOTATING, Status.REVIEW, Status.DATASET])
def test_a_batch_outside_unassigned_must_have_an_assignee(project, status):
    refused(lambda: Batch.objects.create(project=project, name="B", status=status))


def test_a_batch_cannot_have_more_done_images_than_images(project):
    refused(lambda: Batch.objects.create(project=project, name="B", image_count=3, done_count=4))


def test_a_batch_status_is_one_of_the_four_columns(project):
    refused(lambda: Batch.objects.create(project=project, name="B", status="archived"))


def test_a_batch_needs_a_name(project):
    refused(lambda: Batch.objects.create(project=project, name=""))


def test_a_user_who_holds_a_batch_cannot_be_deleted(project, manager, annotator):
    batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator)

    with pytest.raises(ProtectedError):
        annotator.delete()


def test_progress_is_the_share_of_done_images_in_whole_percent():
    assert Batch(image_count=3, done_count=1).progress_percent == 33
    assert Batch(image_count=3, done_count=2).progress_percent == 67
    assert Batch(image_count=0, done_count=0).progress_percent == 0


def test_column_totals_count_batches_and_images_per_column_in_one_query(
    project, manager, annotator, django_assert_num_queries
):
    make_batch(project, manager, images=3)
    make_batch(project, manager, images=4)
    batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=5)
    Batch.objects.create(project=make_project("Other"), name="Theirs", image_count=100)

    # SELECT status, COUNT(id), SUM(image_count) ... GROUP BY status
    with django_assert_num_queries(1):
        totals = Batch.objects.column_totals(project)

    assert totals == {
        Status.UNASSIGNED: {"batches": 2, "images": 7},
        Status.ANNOTATING: {"batches": 1, "images": 5},
        Status.REVIEW: {"batches": 0, "images": 0},
        Status.DATASET: {"batches": 0, "images": 0},
    }


def test_the_board_lists_only_the_projects_batches_newest_move_first(project, manager):
    older = make_batch(project, manager, images=1)
    newer = make_batch(project, manager, images=1)
    other = make_project("Other")
    Batch.objects.create(project=other, name="Theirs", image_count=1)

    assert list(Batch.objects.for_board(project)) == [newer, older]
