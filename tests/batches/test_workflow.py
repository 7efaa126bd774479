"""The moves of spec/WORKFLOW.md, one by one, through batches.workflow: what each changes, and what it refuses."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.db import transaction

from accounts.roles import grant_role
from batches import workflow
from batches.models import Annotation, Batch, BatchEvent, Image
from batches.rules import MOVES
from batches.workflow import WorkflowError
from tests.batches.workflow_helpers import (
    annotate_some,
    batch_in,
    database_state,
    fresh,
    image_ids,
    last_event_id,
    new_events,
)
from tests.factories import annotate, image_rows, make_batch, make_project, make_user, stored_image_rows

Status = Batch.Status


@pytest.fixture
def cast(project, manager, annotator, annotator2, reviewer):
    return {"manager": manager, "annotator": annotator, "reviewer": reviewer}


@pytest.fixture
def batch(project, manager):
    return make_batch(project, manager, images=10, name="Morning")


def the_one_new_event(before: int) -> BatchEvent:
    events = new_events(before)
    assert len(events) == 1, f"expected exactly one event, got {[e.action for e in events]}"
    return events[0]


# --- (upload) → Unassigned ---------------------------------------------------------------------------


def test_create_batch_puts_an_upload_into_unassigned_as_one_batch(project, manager):
    before = last_event_id()
    rows = image_rows(3)

    batch = workflow.create_batch(actor=manager, project=project, name="  Dashcam  ", images=rows)

    batch = fresh(batch)
    assert (batch.name, batch.status, batch.assignee, batch.image_count, batch.done_count) == (
        "Dashcam",
        Status.UNASSIGNED,
        None,
        3,
        0,
    )
    assert image_ids(batch) == {row.pk for row in rows}
    assert set(Image.objects.filter(batch=batch).values_list("state", flat=True)) == {Image.State.NEW}
    event = the_one_new_event(before)
    assert (event.action, event.from_status, event.to_status, event.actor, event.image_count) == (
        BatchEvent.Action.CREATED,
        "",
        Status.UNASSIGNED,
        manager,
        3,
    )


def test_create_batch_names_an_unnamed_upload_after_its_time(project, manager):
    batch = workflow.create_batch(actor=manager, project=project, name="   ", images=image_rows(1))

    assert batch.name.startswith("Upload ")


def test_an_unnamed_upload_is_named_in_the_uploaders_calendar_and_digits(project, manager):
    import re

    import jdatetime
    from django.utils import timezone, translation

    from accounts.calendars import JALALI_MONTHS

    with translation.override("fa"):  # the calendar follows the language unless the person chose one
        batch = workflow.create_batch(actor=manager, project=project, name="", images=image_rows(1))
        month = str(JALALI_MONTHS[jdatetime.date.fromgregorian(date=timezone.localdate()).month - 1])

    assert batch.name.startswith("بارگذاری ") and month in batch.name
    assert not re.search("[0-9]", batch.name) and re.search("[۰-۹]{4}", batch.name)  # the Jalali year


def test_create_batch_refuses_an_upload_with_no_images_kept(project, manager):
    before = database_state()

    with pytest.raises(WorkflowError) as error:
        workflow.create_batch(actor=manager, project=project, name="Empty", images=[])

    assert error.value.kind == WorkflowError.INVALID
    assert "No images" in error.value.message
    assert database_state() == before


def test_create_batch_refuses_an_image_already_in_the_project_and_creates_nothing(project, manager):
    existing = make_batch(project, manager, images=2)
    copy = image_rows(2)
    copy[1].sha256 = Image.objects.filter(batch=existing).first().sha256
    before = database_state()

    with pytest.raises(WorkflowError) as error:
        workflow.create_batch(actor=manager, project=project, name="Again", images=copy)

    assert error.value.kind == WorkflowError.INVALID
    assert "already in the project" in error.value.message
    assert database_state() == before


def test_create_batch_accepts_the_same_image_in_another_project(project, manager):
    other = make_project("Other")
    workflow.create_batch(actor=manager, project=project, name="A", images=image_rows(1))
    root = make_user("root2", is_superuser=True)
    image = image_rows(1)[0]
    image.sha256 = Image.objects.get(project=project).sha256

    workflow.create_batch(actor=root, project=other, name="B", images=[image])

    assert Image.objects.filter(sha256=image.sha256).count() == 2


def test_create_batch_refuses_a_name_over_200_characters(project, manager):
    before = database_state()

    with pytest.raises(WorkflowError) as error:
        workflow.create_batch(actor=manager, project=project, name="x" * 201, images=image_rows(1))

    assert error.value.kind == WorkflowError.INVALID
    assert database_state() == before


# --- Unassigned → Annotating: assign ---------------------------------------------------------------------


def test_assigning_all_images_moves_the_batch_to_annotating_with_its_assignee(batch, manager, annotator):
    before = last_event_id()
    images_before = image_ids(batch)
    changed_at = batch.status_changed_at

    result = workflow.assign(actor=manager, batch=batch, assignees=[annotator])

    assert result.assigned == [batch]
    assert result.remainder is None
    batch = fresh(batch)
    assert (batch.status, batch.assignee, batch.image_count, batch.version) == (Status.ANNOTATING, annotator, 10, 2)
    assert batch.status_changed_at > changed_at
    assert image_ids(batch) == images_before
    assert Batch.objects.count() == 1
    event = the_one_new_event(before)
    assert (event.batch, event.action, event.from_status, event.to_status, event.actor, event.image_count) == (
        batch,
        BatchEvent.Action.ASSIGNED,
        Status.UNASSIGNED,
        Status.ANNOTATING,
        manager,
        10,
    )


def test_assigning_part_by_count_splits_the_remainder_into_a_new_unassigned_batch(batch, manager, annotator):
    before = last_event_id()
    ordered = sorted(image_ids(batch))

    result = workflow.assign(actor=manager, batch=batch, assignees=[annotator], count=4)

    assigned, rest = fresh(batch), fresh(result.remainder)
    assert (assigned.status, assigned.assignee, assigned.image_count) == (Status.ANNOTATING, annotator, 4)
    assert (rest.name, rest.status, rest.assignee, rest.image_count, rest.split_from) == (
        "Morning · part 2/2",
        Status.UNASSIGNED,
        None,
        6,
        assigned,
    )
    # The first four images (upload order) are assigned; none is lost or in both batches.
    assert image_ids(assigned) == set(ordered[:4])
    assert image_ids(rest) == set(ordered[4:])
    event = the_one_new_event(before)
    assert (event.action, event.from_status, event.to_status, event.image_count) == (
        BatchEvent.Action.ASSIGNED,
        Status.UNASSIGNED,
        Status.ANNOTATING,
        4,
    )
    assert "6 images stay in Unassigned as “Morning · part 2/2”" in event.summary


def test_assigning_chosen_images_keeps_exactly_those_and_moves_the_rest_to_a_new_batch(batch, manager, annotator):
    ordered = sorted(image_ids(batch))
    chosen = [ordered[8], ordered[1], ordered[4]]
    before = last_event_id()

    result = workflow.assign(actor=manager, batch=batch, assignees=[annotator], image_ids=chosen)

    assert image_ids(batch) == set(chosen)
    assert fresh(batch).image_count == 3
    assert image_ids(result.remainder) == set(ordered) - set(chosen)
    assert fresh(result.remainder).image_count == 7
    assert fresh(result.remainder).split_from_id == batch.pk
    event = the_one_new_event(before)
    assert (event.action, event.actor, event.image_count) == (BatchEvent.Action.ASSIGNED, manager, 3)


def test_assigning_all_chosen_images_leaves_no_remainder(batch, manager, annotator):
    result = workflow.assign(actor=manager, batch=batch, assignees=[annotator], image_ids=list(image_ids(batch)))

    assert result.remainder is None
    assert Batch.objects.count() == 1


def test_assigning_to_several_annotators_splits_the_images_as_evenly_as_possible(
    project, batch, manager, annotator, annotator2
):
    annotator3 = make_user("annotator3")
    grant_role(project, annotator3, "annotator")
    before = last_event_id()
    ordered = sorted(image_ids(batch))

    result = workflow.assign(actor=manager, batch=batch, assignees=[annotator, annotator2, annotator3])

    parts = [fresh(b) for b in result.assigned]
    assert [(b.assignee, b.image_count, b.status) for b in parts] == [
        (annotator, 4, Status.ANNOTATING),
        (annotator2, 3, Status.ANNOTATING),
        (annotator3, 3, Status.ANNOTATING),
    ]
    assert parts[0].pk == batch.pk
    assert [b.name for b in parts] == ["Morning · part 1/3", "Morning · part 2/3", "Morning · part 3/3"]
    assert [b.split_from_id for b in parts[1:]] == [batch.pk, batch.pk]
    assert [sorted(image_ids(b)) for b in parts] == [ordered[:4], ordered[4:7], ordered[7:]]
    assert result.remainder is None
    event = the_one_new_event(before)
    assert (event.batch_id, event.image_count) == (batch.pk, 10)
    assert event.summary == "to annotator (4), annotator2 (3), annotator3 (3)"


def test_assigning_part_to_several_annotators_leaves_the_remainder_in_unassigned(batch, manager, annotator, annotator2):
    ordered = sorted(image_ids(batch))

    result = workflow.assign(actor=manager, batch=batch, assignees=[annotator, annotator2], count=7)

    assert [(b.assignee, b.image_count) for b in map(fresh, result.assigned)] == [(annotator, 4), (annotator2, 3)]
    assert [sorted(image_ids(b)) for b in result.assigned] == [ordered[:4], ordered[4:7]]
    rest = fresh(result.remainder)
    assert (rest.status, rest.assignee, rest.image_count, sorted(image_ids(rest))) == (
        Status.UNASSIGNED,
        None,
        3,
        ordered[7:],
    )
    assert Image.objects.count() == 10


def test_assigning_chosen_images_to_several_annotators_splits_only_those(batch, manager, annotator, annotator2):
    ordered = sorted(image_ids(batch))
    chosen = ordered[::2]

    result = workflow.assign(actor=manager, batch=batch, assignees=[annotator, annotator2], image_ids=chosen)

    assert [sorted(image_ids(b)) for b in result.assigned] == [chosen[:3], chosen[3:]]
    assert sorted(image_ids(result.remainder)) == ordered[1::2]


def test_naming_the_same_annotator_twice_assigns_to_them_once(batch, manager, annotator):
    result = workflow.assign(actor=manager, batch=batch, assignees=[annotator, annotator])

    assert len(result.assigned) == 1
    assert fresh(batch).image_count == 10


# --- Annotating → Annotating: reassign -----------------------------------------------------------------


def test_reassigning_changes_the_assignee_and_keeps_the_annotations(project, cast, annotator2):
    batch = batch_in(Status.ANNOTATING, project, **cast)
    boxes = annotate_some(batch, cast["annotator"], 3)
    before = last_event_id()

    workflow.reassign(actor=cast["manager"], batch=batch, assignee=annotator2)

    batch = fresh(batch)
    assert (batch.status, batch.assignee, batch.done_count) == (Status.ANNOTATING, annotator2, 3)
    assert set(Annotation.objects.values_list("pk", flat=True)) == {box.pk for box in boxes}
    event = the_one_new_event(before)
    assert (event.action, event.from_status, event.to_status, event.actor, event.image_count, event.summary) == (
        BatchEvent.Action.REASSIGNED,
        Status.ANNOTATING,
        Status.ANNOTATING,
        cast["manager"],
        10,
        "from annotator to annotator2",
    )


def test_reassigning_to_the_current_assignee_is_refused(project, cast):
    batch = batch_in(Status.ANNOTATING, project, **cast)
    before = database_state()

    with pytest.raises(WorkflowError) as error:
        workflow.reassign(actor=cast["manager"], batch=batch, assignee=cast["annotator"])

    assert error.value.kind == WorkflowError.INVALID
    assert "already assigned to annotator" in error.value.message
    assert database_state() == before


# --- Annotating → Review or Dataset: submit ----------------------------------------------------------------


def test_submitting_moves_the_batch_to_review(project, cast):
    batch = batch_in(Status.ANNOTATING, project, **cast)
    annotate_some(batch, cast["annotator"], 10)
    before = last_event_id()

    workflow.submit(actor=cast["annotator"], batch=batch)

    batch = fresh(batch)
    assert (batch.status, batch.assignee) == (Status.REVIEW, cast["annotator"])
    event = the_one_new_event(before)
    assert (event.action, event.from_status, event.to_status, event.actor, event.image_count, event.summary) == (
        BatchEvent.Action.SUBMITTED,
        Status.ANNOTATING,
        Status.REVIEW,
        cast["annotator"],
        10,
        "",
    )


def test_submitting_goes_straight_to_dataset_when_the_project_needs_no_review(project, cast):
    project.review_required = False
    project.save()
    batch = batch_in(Status.ANNOTATING, project, **cast)
    before = last_event_id()

    workflow.submit(actor=cast["annotator"], batch=batch)

    assert fresh(batch).status == Status.DATASET
    event = the_one_new_event(before)
    assert (event.from_status, event.to_status) == (Status.ANNOTATING, Status.DATASET)
    assert "needs no review" in event.summary


def test_submitting_with_unannotated_images_says_how_many_in_the_history(project, cast):
    batch = batch_in(Status.ANNOTATING, project, **cast)
    annotate_some(batch, cast["annotator"], 7)
    before = last_event_id()

    workflow.submit(actor=cast["annotator"], batch=batch)

    assert the_one_new_event(before).summary == "3 images not annotated"


# --- Review → Dataset / Annotating: approve, reject -------------------------------------------------------


def test_approving_moves_the_batch_to_dataset(project, cast):
    batch = batch_in(Status.REVIEW, project, **cast)
    before = last_event_id()

    workflow.approve(actor=cast["reviewer"], batch=batch)

    assert fresh(batch).status == Status.DATASET
    event = the_one_new_event(before)
    assert (event.action, event.from_status, event.to_status, event.actor, event.image_count) == (
        BatchEvent.Action.APPROVED,
        Status.REVIEW,
        Status.DATASET,
        cast["reviewer"],
        10,
    )


def test_rejecting_returns_the_batch_to_the_same_annotator_with_the_comment_and_annotations(project, cast):
    batch = batch_in(Status.REVIEW, project, **cast)
    boxes = annotate_some(batch, cast["annotator"], 4)
    before = last_event_id()

    workflow.reject(actor=cast["reviewer"], batch=batch, comment="  Boxes are too loose on cars.  ")

    batch = fresh(batch)
    assert (batch.status, batch.assignee, batch.review_comment, batch.rejection_count, batch.done_count) == (
        Status.ANNOTATING,
        cast["annotator"],
        "Boxes are too loose on cars.",
        1,
        4,
    )
    assert set(Annotation.objects.values_list("pk", flat=True)) == {box.pk for box in boxes}
    event = the_one_new_event(before)
    assert (event.action, event.from_status, event.to_status, event.actor, event.image_count, event.summary) == (
        BatchEvent.Action.REJECTED,
        Status.REVIEW,
        Status.ANNOTATING,
        cast["reviewer"],
        10,
        "Boxes are too loose on cars.",
    )


def test_rejecting_twice_counts_two_rejections_and_keeps_the_latest_comment(project, cast):
    batch = batch_in(Status.REVIEW, project, **cast)
    batch = workflow.reject(actor=cast["reviewer"], batch=batch, comment="first")
    batch = workflow.submit(actor=cast["annotator"], batch=batch)

    returned = workflow.reject(actor=cast["reviewer"], batch=batch, comment="second")

    assert returned.rejection_count == 2
    assert (fresh(batch).rejection_count, fresh(batch).review_comment) == (2, "second")


def test_a_comment_of_exactly_the_maximum_length_is_accepted(project, cast):
    batch = batch_in(Status.REVIEW, project, **cast)

    workflow.reject(actor=cast["reviewer"], batch=batch, comment="x" * workflow.MAX_COMMENT)

    assert len(fresh(batch).review_comment) == workflow.MAX_COMMENT


# --- Annotating, Review, Dataset → Unassigned: delete is a reset -------------------------------------------


@pytest.mark.parametrize("source", [Status.ANNOTATING, Status.REVIEW, Status.DATASET])
def test_deleting_outside_unassigned_resets_the_batch_and_removes_every_annotation(project, cast, source):
    batch = batch_in(Status.ANNOTATING, project, **cast)
    annotate_some(batch, cast["annotator"], 3)
    extra = Image.objects.filter(batch=batch).order_by("pk").first()
    annotate(extra, project.label_classes.last(), author=cast["annotator"], box=(5, 5, 20, 20))
    Image.objects.filter(pk=extra.pk).update(review_flag=True, review_note="Check the bus")
    empty = Image.objects.filter(batch=batch).order_by("-pk").first()
    Image.objects.filter(pk=empty.pk).update(state=Image.State.NO_OBJECTS)
    Batch.objects.filter(pk=batch.pk).update(done_count=4)
    if source != Status.ANNOTATING:
        batch = workflow.submit(actor=cast["annotator"], batch=fresh(batch))
    if source == Status.DATASET:
        batch = workflow.approve(actor=cast["reviewer"], batch=batch)
    images_before = image_ids(batch)
    before = last_event_id()

    result = workflow.delete_batch(actor=cast["manager"], batch=fresh(batch))

    assert (result.reset, result.images, result.annotations, result.batch_name) == (True, 10, 4, batch.name)
    batch = fresh(batch)
    assert (batch.status, batch.assignee, batch.done_count, batch.image_count) == (Status.UNASSIGNED, None, 0, 10)
    assert image_ids(batch) == images_before
    assert not Annotation.objects.exists()
    assert set(Image.objects.values_list("state", "review_flag", "review_note")) == {(Image.State.NEW, False, "")}
    event = the_one_new_event(before)
    assert (event.action, event.from_status, event.to_status, event.actor, event.image_count, event.summary) == (
        BatchEvent.Action.RESET,
        source,
        Status.UNASSIGNED,
        cast["manager"],
        10,
        "removed 4 annotations",
    )


def test_a_reset_clears_the_review_comment_and_rejection_count(project, cast):
    batch = batch_in(Status.REVIEW, project, **cast)
    batch = workflow.reject(actor=cast["reviewer"], batch=batch, comment="Redo it")

    workflow.delete_batch(actor=cast["manager"], batch=batch)

    assert (fresh(batch).review_comment, fresh(batch).rejection_count) == ("", 0)


def test_a_reset_leaves_the_annotations_of_other_batches_alone(project, cast):
    batch = batch_in(Status.ANNOTATING, project, **cast)
    other = batch_in(Status.ANNOTATING, project, **cast)
    annotate_some(batch, cast["annotator"], 2)
    kept = annotate_some(other, cast["annotator"], 2)

    workflow.delete_batch(actor=cast["manager"], batch=batch)

    assert set(Annotation.objects.values_list("pk", flat=True)) == {box.pk for box in kept}
    assert fresh(other).done_count == 2


# --- Unassigned → (gone): delete for good ----------------------------------------------------------------


def stored_batch(project, manager, n: int = 3) -> tuple[Batch, list[str]]:
    rows = stored_image_rows(project, n)
    batch = workflow.create_batch(actor=manager, project=project, name="Stored", images=rows)
    names = [name for row in rows for name in (row.file.name, row.thumbnail.name)]
    assert all(default_storage.exists(name) for name in names)
    return batch, names


@pytest.mark.django_db(transaction=True)
def test_deleting_an_unassigned_batch_removes_it_with_its_images_and_their_files(project, manager):
    batch, files = stored_batch(project, manager)
    keep = make_batch(project, manager, images=2)
    before = last_event_id()

    result = workflow.delete_batch(actor=manager, batch=batch)

    assert (result.reset, result.images) == (False, 3)
    assert not Batch.objects.filter(pk=batch.pk).exists()
    assert not Image.objects.filter(batch_id=batch.pk).exists()
    assert Image.objects.count() == 2 and fresh(keep).image_count == 2
    assert not any(default_storage.exists(name) for name in files)
    # The history keeps the line, naming the batch that is gone.
    event = the_one_new_event(before)
    assert (event.batch, event.batch_name, event.action, event.from_status, event.to_status, event.image_count) == (
        None,
        "Stored",
        BatchEvent.Action.DELETED,
        Status.UNASSIGNED,
        "",
        3,
    )
    assert event.actor == manager


def test_stored_files_are_removed_only_once_the_delete_commits(project, manager, django_capture_on_commit_callbacks):
    batch, files = stored_batch(project, manager)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        workflow.delete_batch(actor=manager, batch=batch)
        assert not Image.objects.filter(batch_id=batch.pk).exists()
        assert all(default_storage.exists(name) for name in files)

    assert callbacks  # the removal (and the webhooks' check) wait for the commit
    for callback in callbacks:
        callback()
    assert not any(default_storage.exists(name) for name in files)


@pytest.mark.django_db(transaction=True)
def test_a_permanent_delete_that_rolls_back_keeps_the_rows_and_the_files(project, manager):
    batch, files = stored_batch(project, manager)

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        workflow.delete_batch(actor=manager, batch=batch)
        raise Abort

    assert fresh(batch).image_count == 3
    assert Image.objects.filter(batch=batch).count() == 3
    assert all(default_storage.exists(name) for name in files)


def test_a_missing_stored_file_does_not_stop_a_permanent_delete(project, manager, django_capture_on_commit_callbacks):
    batch, files = stored_batch(project, manager)
    default_storage.delete(files[0])

    with django_capture_on_commit_callbacks(execute=True):
        workflow.delete_batch(actor=manager, batch=batch)

    assert not Batch.objects.filter(pk=batch.pk).exists()
    assert not any(default_storage.exists(name) for name in files)


def test_deleting_twice_removes_a_batch_from_dataset(project, cast):
    batch = batch_in(Status.DATASET, project, **cast)
    annotate_some(batch, cast["annotator"], 2)
    before = last_event_id()

    first = workflow.delete_batch(actor=cast["manager"], batch=batch)
    second = workflow.delete_batch(actor=cast["manager"], batch=first.batch)

    assert (first.reset, second.reset) == (True, False)
    assert not Batch.objects.exists() and not Image.objects.exists() and not Annotation.objects.exists()
    assert [(e.action, e.from_status, e.to_status) for e in new_events(before)] == [
        (BatchEvent.Action.RESET, Status.DATASET, Status.UNASSIGNED),
        (BatchEvent.Action.DELETED, Status.UNASSIGNED, ""),
    ]


def test_a_second_delete_click_from_a_stale_page_does_not_delete_for_good(project, cast):
    # Both clicks come from the same page, which still shows the batch in Dataset.
    batch = batch_in(Status.DATASET, project, **cast)
    workflow.delete_batch(actor=cast["manager"], batch=batch)
    before = database_state()

    with pytest.raises(WorkflowError) as error:
        workflow.delete_batch(actor=cast["manager"], batch=batch)

    assert error.value.kind == WorkflowError.STALE
    assert database_state() == before


def test_deleting_the_origin_of_a_split_keeps_the_remainder(batch, manager, annotator):
    result = workflow.assign(actor=manager, batch=batch, assignees=[annotator], count=4)
    batch = workflow.delete_batch(actor=manager, batch=fresh(batch)).batch

    workflow.delete_batch(actor=manager, batch=batch)

    rest = fresh(result.remainder)
    assert (rest.split_from, rest.image_count, len(image_ids(rest))) == (None, 6, 6)


# --- Unassigned + Unassigned → Unassigned: merge ----------------------------------------------------------


def test_merging_moves_every_image_into_the_first_batch_and_removes_the_others(project, manager):
    first = make_batch(project, manager, images=3, name="First")
    second = make_batch(project, manager, images=4, name="Second")
    third = make_batch(project, manager, images=2, name="Third")
    everything = image_ids(first) | image_ids(second) | image_ids(third)
    before = last_event_id()

    merged = workflow.merge(actor=manager, batches=[first, second, third])

    assert merged.pk == first.pk
    merged = fresh(merged)
    assert (merged.name, merged.status, merged.image_count) == ("First", Status.UNASSIGNED, 9)
    assert image_ids(merged) == everything
    assert list(Batch.objects.values_list("pk", flat=True)) == [first.pk]
    event = the_one_new_event(before)
    assert (event.batch, event.action, event.from_status, event.to_status, event.actor, event.image_count) == (
        merged,
        BatchEvent.Action.MERGED,
        Status.UNASSIGNED,
        Status.UNASSIGNED,
        manager,
        6,
    )
    assert event.summary == "merged in “Second” (4), “Third” (2)"


def test_merging_can_rename_the_merged_batch(project, manager):
    first = make_batch(project, manager, images=1)
    second = make_batch(project, manager, images=1)

    merged = workflow.merge(actor=manager, batches=[first, second], name="  Both  ")

    assert fresh(merged).name == "Both"


def test_merging_a_batch_with_itself_is_refused(project, manager):
    batch = make_batch(project, manager, images=2)
    before = database_state()

    with pytest.raises(WorkflowError) as error:
        workflow.merge(actor=manager, batches=[batch, fresh(batch)])

    assert error.value.kind == WorkflowError.INVALID
    assert database_state() == before


# --- refused moves: the table says no ---------------------------------------------------------------------


def attempt(action: str, batch: Batch, cast: dict) -> None:
    """Try one move the way the right person would, so only the column can refuse it."""
    manager, annotator2 = cast["manager"], cast["annotator2"]
    if action == "assign":
        workflow.assign(actor=manager, batch=batch, assignees=[annotator2])
    elif action == "reassign":
        workflow.reassign(actor=manager, batch=batch, assignee=annotator2)
    elif action == "submit":
        workflow.submit(actor=manager, batch=batch)
    elif action == "approve":
        workflow.approve(actor=cast["reviewer"], batch=batch)
    elif action == "reject":
        workflow.reject(actor=cast["reviewer"], batch=batch, comment="No")
    elif action == "merge":
        other = make_batch(batch.project, manager, images=1)
        workflow.merge(actor=manager, batches=[other, batch])
    else:
        raise AssertionError(action)


REFUSED_MOVES = [
    (action, status)
    for action in ["assign", "reassign", "submit", "approve", "reject", "merge"]
    for status in Status.values
    if status not in MOVES[action].sources
]


def test_every_move_missing_from_the_table_is_listed_here():
    assert len(REFUSED_MOVES) == 6 * 3
    assert ("approve", Status.ANNOTATING) in REFUSED_MOVES
    assert ("submit", Status.UNASSIGNED) in REFUSED_MOVES
    assert ("assign", Status.REVIEW) in REFUSED_MOVES
    assert ("reject", Status.DATASET) in REFUSED_MOVES


@pytest.mark.parametrize(("action", "status"), REFUSED_MOVES)
def test_a_move_not_in_the_table_is_refused_and_changes_nothing(project, cast, annotator2, action, status):
    batch = batch_in(status, project, **cast)
    cast = {**cast, "annotator2": annotator2}
    if action == "merge":
        make_batch(project, cast["manager"], images=1)  # so the merge partner exists before the snapshot
    before = database_state()

    with pytest.raises(WorkflowError) as error:
        attempt(action, batch, cast)

    assert error.value.kind == WorkflowError.REFUSED
    label = MOVES[action].label
    assert error.value.message.startswith(f"{label} is only possible from")
    assert f"is in {Status(status).label}" in error.value.message
    if action != "merge":
        assert database_state() == before
    else:
        # The partner batch made inside attempt() is the only difference: nothing was merged.
        after = database_state()
        assert after["batches"][: len(before["batches"])] == before["batches"]
        assert after["images"][: len(before["images"])] == before["images"]


# --- stale: someone else moved it first -------------------------------------------------------------------


def test_approving_a_batch_someone_else_just_rejected_is_stale_and_names_them(project, cast):
    batch = batch_in(Status.REVIEW, project, **cast)
    other_reviewer = make_user("lena")
    grant_role(project, other_reviewer, "reviewer")
    workflow.reject(actor=other_reviewer, batch=batch, comment="Missing pedestrians")
    before = database_state()

    with pytest.raises(WorkflowError) as error:
        workflow.approve(actor=cast["reviewer"], batch=batch)

    assert error.value.kind == WorkflowError.STALE
    assert "last changed by lena (rejected, just now)" in error.value.message
    assert "It is now in Annotating" in error.value.message
    assert error.value.batch.status == Status.ANNOTATING
    assert database_state() == before


def test_acting_on_an_old_copy_is_stale_even_when_the_batch_is_back_in_the_same_column(project, cast, annotator2):
    batch = batch_in(Status.ANNOTATING, project, **cast)
    seen = fresh(batch)
    workflow.reassign(actor=cast["manager"], batch=batch, assignee=annotator2)
    before = database_state()

    with pytest.raises(WorkflowError) as error:
        workflow.submit(actor=cast["manager"], batch=seen)

    assert error.value.kind == WorkflowError.STALE
    assert "manager (reassigned" in error.value.message
    assert database_state() == before


@pytest.mark.parametrize("winning_move", ["reset", "reassign"])
def test_an_assignee_whose_batch_was_just_taken_away_is_told_it_changed_not_that_they_may_not(
    project, cast, annotator2, winning_move
):
    # The annotator's page still shows the batch as theirs; the manager's move lands first.
    batch = batch_in(Status.ANNOTATING, project, **cast)
    if winning_move == "reset":
        workflow.delete_batch(actor=cast["manager"], batch=batch)
    else:
        workflow.reassign(actor=cast["manager"], batch=batch, assignee=annotator2)
    before = database_state()

    with pytest.raises(WorkflowError) as error:
        workflow.submit(actor=cast["annotator"], batch=batch)

    assert error.value.kind == WorkflowError.STALE
    assert "has changed since you loaded it: last changed by manager" in error.value.message
    assert database_state() == before


def test_an_assignee_reordering_a_batch_just_reassigned_away_is_told_it_changed(project, cast, annotator2):
    batch = batch_in(Status.ANNOTATING, project, **cast)
    neighbour = batch_in(Status.ANNOTATING, project, **cast)
    workflow.reassign(actor=cast["manager"], batch=batch, assignee=annotator2)
    before = database_state()

    with pytest.raises(WorkflowError) as error:
        workflow.reorder(actor=cast["annotator"], batch=batch, after=neighbour)

    assert error.value.kind == WorkflowError.STALE
    assert "last changed by manager (reassigned" in error.value.message
    assert database_state() == before


def test_acting_on_a_deleted_batch_is_stale_and_says_who_deleted_it(project, manager, annotator):
    batch = make_batch(project, manager, images=2, name="Gone")
    other_manager = make_user("olga")
    grant_role(project, other_manager, "manager")
    workflow.delete_batch(actor=other_manager, batch=batch)
    before = database_state()

    with pytest.raises(WorkflowError) as error:
        workflow.assign(actor=manager, batch=batch, assignees=[annotator])

    assert error.value.kind == WorkflowError.STALE
    assert error.value.message.startswith("“Gone” no longer exists")
    assert "olga (deleted, just now)" in error.value.message
    assert database_state() == before


def test_acting_on_a_batch_merged_into_another_is_stale_and_says_who_merged_it(project, manager, annotator):
    target = make_batch(project, manager, images=2, name="Target")
    merged_away = make_batch(project, manager, images=2, name="Absorbed")
    other_manager = make_user("olga")
    grant_role(project, other_manager, "manager")
    workflow.merge(actor=other_manager, batches=[target, merged_away])
    before = database_state()

    with pytest.raises(WorkflowError) as error:
        workflow.assign(actor=manager, batch=merged_away, assignees=[annotator])

    assert error.value.kind == WorkflowError.STALE
    assert "olga (merged, just now)" in error.value.message
    assert database_state() == before


def test_merging_with_an_old_copy_of_one_batch_is_stale_and_merges_nothing(project, manager, annotator):
    first = make_batch(project, manager, images=2)
    second = make_batch(project, manager, images=5)
    seen = fresh(second)
    workflow.assign(actor=manager, batch=second, assignees=[annotator], count=2)
    second_now = fresh(second)
    workflow.delete_batch(actor=manager, batch=second_now)  # back in Unassigned, but not as it was seen
    before = database_state()

    with pytest.raises(WorkflowError) as error:
        workflow.merge(actor=manager, batches=[first, seen])

    assert error.value.kind == WorkflowError.STALE
    assert database_state() == before


# --- bad input changes nothing ----------------------------------------------------------------------------


@pytest.mark.parametrize("count", [0, -1, 11, True, 2.0, "3"])
def test_assigning_a_bad_number_of_images_is_refused_and_changes_nothing(batch, manager, annotator, count):
    before = database_state()

    with pytest.raises(WorkflowError) as error:
        workflow.assign(actor=manager, batch=batch, assignees=[annotator], count=count)

    assert error.value.kind == WorkflowError.INVALID
    assert error.value.message == "Choose between 1 and 10 images: “Morning” has 10."
    assert database_state() == before


def test_assigning_fewer_images_than_annotators_is_refused(batch, manager, annotator, annotator2):
    before = database_state()

    with pytest.raises(WorkflowError) as error:
        workflow.assign(actor=manager, batch=batch, assignees=[annotator, annotator2], count=1)

    assert error.value.kind == WorkflowError.INVALID
    assert "cannot be split among 2 annotators" in error.value.message
    assert database_state() == before


def test_assigning_to_nobody_is_refused(batch, manager):
    before = database_state()

    with pytest.raises(WorkflowError) as error:
        workflow.assign(actor=manager, batch=batch, assignees=[])

    assert error.value.kind == WorkflowError.INVALID
    assert database_state() == before


def test_giving_both_a_count_and_chosen_images_is_refused(batch, manager, annotator):
    before = database_state()

    with pytest.raises(WorkflowError) as error:
        workflow.assign(actor=manager, batch=batch, assignees=[annotator], count=2, image_ids=list(image_ids(batch)))

    assert error.value.kind == WorkflowError.INVALID
    assert database_state() == before


def test_choosing_images_of_another_batch_is_refused_and_changes_nothing(project, batch, manager, annotator):
    other = make_batch(project, manager, images=3)
    chosen = [min(image_ids(batch)), min(image_ids(other))]
    before = database_state()

    with pytest.raises(WorkflowError) as error:
        workflow.assign(actor=manager, batch=batch, assignees=[annotator], image_ids=chosen)

    assert error.value.kind == WorkflowError.INVALID
    assert error.value.message == "1 of the chosen images is not in “Morning”."
    assert database_state() == before


@pytest.mark.parametrize("chosen", [[], ["abc"], [None]])
def test_choosing_no_images_or_garbage_is_refused(batch, manager, annotator, chosen):
    before = database_state()

    with pytest.raises(WorkflowError) as error:
        workflow.assign(actor=manager, batch=batch, assignees=[annotator], image_ids=chosen)

    assert error.value.kind == WorkflowError.INVALID
    assert database_state() == before


@pytest.mark.parametrize(
    "who", ["outsider", "manager", "reviewer", "inactive annotator", "annotator of another project"]
)
def test_assigning_to_someone_who_is_not_an_annotator_here_is_refused(project, batch, manager, reviewer, outsider, who):
    if who == "inactive annotator":
        user = make_user("gone")
        grant_role(project, user, "annotator")
        user.is_active = False
        user.save()
    elif who == "annotator of another project":
        user = make_user("elsewhere")
        grant_role(make_project("Elsewhere"), user, "annotator")
    else:
        user = {"outsider": outsider, "manager": manager, "reviewer": reviewer}[who]
    before = database_state()

    with pytest.raises(WorkflowError) as error:
        workflow.assign(actor=manager, batch=batch, assignees=[user])

    assert error.value.kind == WorkflowError.INVALID
    assert error.value.message.startswith(f"{user.username} is not an annotator of this project")
    assert database_state() == before


def test_assigning_to_a_superuser_who_is_not_an_annotator_here_is_refused(batch, manager, superuser):
    # A superuser may do everything, but is not a member: the batch would sit with someone outside the team.
    before = database_state()

    with pytest.raises(WorkflowError) as error:
        workflow.assign(actor=manager, batch=batch, assignees=[superuser])

    assert error.value.kind == WorkflowError.INVALID
    assert database_state() == before


def test_a_superuser_who_holds_the_annotator_role_may_be_assigned(project, batch, manager, superuser):
    grant_role(project, superuser, "annotator")

    workflow.assign(actor=manager, batch=batch, assignees=[superuser])

    assert fresh(batch).assignee == superuser


def test_one_bad_annotator_among_several_stops_the_whole_split(batch, manager, annotator, outsider):
    before = database_state()

    with pytest.raises(WorkflowError):
        workflow.assign(actor=manager, batch=batch, assignees=[annotator, outsider])

    assert database_state() == before


def test_reassigning_to_a_non_annotator_is_refused(project, cast, outsider):
    batch = batch_in(Status.ANNOTATING, project, **cast)
    before = database_state()

    with pytest.raises(WorkflowError) as error:
        workflow.reassign(actor=cast["manager"], batch=batch, assignee=outsider)

    assert error.value.kind == WorkflowError.INVALID
    assert database_state() == before


@pytest.mark.parametrize("comment", ["", "   \n\t ", None, "x" * (workflow.MAX_COMMENT + 1)])
def test_rejecting_without_a_usable_comment_is_refused_and_changes_nothing(project, cast, comment):
    batch = batch_in(Status.REVIEW, project, **cast)
    before = database_state()

    with pytest.raises(WorkflowError) as error:
        workflow.reject(actor=cast["reviewer"], batch=batch, comment=comment)

    assert error.value.kind == WorkflowError.INVALID
    assert database_state() == before


def moves_on(batch: Batch, cast: dict, project) -> dict:
    """Every move applied to `batch` while naming `project` as the one the caller works in."""
    return {
        "assign": lambda: workflow.assign(
            actor=cast["manager"], batch=batch, assignees=[cast["annotator"]], project=project
        ),
        "reassign": lambda: workflow.reassign(
            actor=cast["manager"], batch=batch, assignee=cast["annotator"], project=project
        ),
        "submit": lambda: workflow.submit(actor=cast["manager"], batch=batch, project=project),
        "approve": lambda: workflow.approve(actor=cast["reviewer"], batch=batch, project=project),
        "reject": lambda: workflow.reject(actor=cast["reviewer"], batch=batch, comment="no", project=project),
        "delete": lambda: workflow.delete_batch(actor=cast["manager"], batch=batch, project=project),
    }


@pytest.mark.parametrize("action", ["assign", "reassign", "submit", "approve", "reject", "delete"])
def test_moving_a_batch_of_another_project_is_refused_and_changes_nothing(project, cast, action):
    other = make_project("Other")
    batch = batch_in(Status.UNASSIGNED, project, **cast)
    before = database_state()

    with pytest.raises(WorkflowError) as error:
        moves_on(batch, cast, other)[action]()

    assert error.value.kind == WorkflowError.INVALID
    assert error.value.message == "That batch belongs to another project."
    assert database_state() == before


def test_merging_batches_of_two_projects_is_refused_and_changes_nothing(project, manager):
    other = make_project("Other")
    grant_role(other, manager, "manager")
    mine = make_batch(project, manager, images=2)
    theirs = make_batch(other, manager, images=2)
    before = database_state()

    with pytest.raises(WorkflowError) as error:
        workflow.merge(actor=manager, batches=[mine, theirs])

    assert error.value.kind == WorkflowError.INVALID
    assert database_state() == before


def test_merging_batches_while_naming_another_project_is_refused(project, manager):
    other = make_project("Other")
    batches = [make_batch(project, manager, images=1), make_batch(project, manager, images=1)]
    before = database_state()

    with pytest.raises(WorkflowError) as error:
        workflow.merge(actor=manager, batches=batches, project=other)

    assert error.value.kind == WorkflowError.INVALID
    assert database_state() == before


def test_merging_a_batch_outside_unassigned_is_refused_and_changes_nothing(project, cast):
    waiting = make_batch(project, cast["manager"], images=2)
    working = batch_in(Status.ANNOTATING, project, **cast)
    before = database_state()

    with pytest.raises(WorkflowError) as error:
        workflow.merge(actor=cast["manager"], batches=[waiting, working])

    assert error.value.kind == WorkflowError.REFUSED
    assert database_state() == before


def test_merging_under_a_name_over_200_characters_is_refused(project, manager):
    batches = [make_batch(project, manager, images=1), make_batch(project, manager, images=1)]
    before = database_state()

    with pytest.raises(WorkflowError) as error:
        workflow.merge(actor=manager, batches=batches, name="n" * 201)

    assert error.value.kind == WorkflowError.INVALID
    assert database_state() == before


# --- query budgets: a move costs the same at 10 images as at 5,000 ------------------------------------------


@pytest.mark.parametrize("images", [10, 5000])
def test_assigning_part_costs_the_same_queries_whatever_the_batch_size(
    project, manager, annotator, django_assert_num_queries, images
):
    batch = make_batch(project, manager, images=images)
    # SAVEPOINT; SELECT the batch FOR UPDATE with its project; the actor's permissions (own and groups',
    # one UNION); the assignee's permissions (the same); the id of the last image
    # assigned; UPDATE the batch (compare-and-set); INSERT the remainder batch; UPDATE the remaining
    # images to it; INSERT the event; RELEASE SAVEPOINT.
    with django_assert_num_queries(10):
        result = workflow.assign(actor=manager, batch=batch, assignees=[annotator], count=images // 2)
    assert fresh(result.remainder).image_count == images - images // 2


@pytest.mark.parametrize("images", [10, 5000])
def test_a_reset_costs_the_same_queries_whatever_the_batch_size(
    project, manager, annotator, reviewer, django_assert_num_queries, images
):
    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=images)
    label = project.label_classes.first()
    image_pks = list(Image.objects.filter(batch=batch).values_list("pk", flat=True))
    Annotation.objects.bulk_create(
        [Annotation(image_id=pk, label_class=label, x=1, y=1, w=5, h=5, author=annotator) for pk in image_pks],
        batch_size=1000,
    )
    Image.objects.filter(batch=batch).update(state=Image.State.ANNOTATED)
    Batch.objects.filter(pk=batch.pk).update(done_count=images)
    # SAVEPOINT; SELECT the batch FOR UPDATE with its project; the actor's permissions (own and groups',
    # one UNION); UPDATE the batch (compare-and-set); DELETE its annotations; UPDATE its images back
    # to new; INSERT the event; RELEASE SAVEPOINT. The reset's snapshot (rework #19): read the images,
    # the boxes and the suggestions, DELETE an older snapshot, INSERT the new one; and DELETE the relabel
    # suggestions of its images.
    batch = fresh(batch)
    with django_assert_num_queries(14):
        result = workflow.delete_batch(actor=manager, batch=batch)
    assert result.annotations == images
    assert not Annotation.objects.exists()


@pytest.mark.parametrize("images", [10, 5000])
def test_a_permanent_delete_costs_the_same_queries_whatever_the_batch_size(
    project, manager, django_assert_num_queries, images
):
    batch = make_batch(project, manager, images=images)
    # SAVEPOINT; SELECT the batch FOR UPDATE with its project; the actor's permissions (own and groups',
    # one UNION); UPDATE the batch (compare-and-set); INSERT the event; DELETE its annotations; UPDATE upload
    # files' image to NULL; INSERT one row listing its file names (for the worker that removes them; no read
    # of the names); DELETE its images; the batch delete: SELECT the batch, SELECT its images (none left),
    # UPDATE split batches' split_from, UPDATE events' and upload sessions' batch to NULL, DELETE the batch;
    # RELEASE SAVEPOINT.
    with django_assert_num_queries(18):  # and its reset snapshot and its relabel suggestions (rework #19)
        workflow.delete_batch(actor=manager, batch=batch)
    assert not Image.objects.exists()


# --- reopen for fixes -------------------------------------------------------------------------------


@pytest.mark.parametrize("source", [Status.REVIEW, Status.DATASET])
def test_reopening_for_fixes_keeps_every_annotation_and_goes_to_the_chosen_annotator(project, cast, annotator2, source):
    batch = batch_in(source, project, **cast)
    boxes = annotate_some(batch, cast["annotator"], 4)
    before = last_event_id()

    workflow.reopen(actor=cast["manager"], batch=batch, assignee=annotator2, comment=" Tighten the bikes. ")

    batch = fresh(batch)
    assert (batch.status, batch.assignee, batch.review_comment, batch.done_count) == (
        Status.ANNOTATING,
        annotator2,
        "Tighten the bikes.",
        4,
    )
    assert set(Annotation.objects.values_list("pk", flat=True)) == {box.pk for box in boxes}
    event = the_one_new_event(before)
    assert (event.action, event.from_status, event.to_status, event.actor, event.details, event.note) == (
        BatchEvent.Action.REOPENED,
        source,
        Status.ANNOTATING,
        cast["manager"],
        {"from_assignee": cast["annotator"].username, "to_assignee": annotator2.username},
        "Tighten the bikes.",
    )
    assert event.summary == "to annotator2, annotations kept: Tighten the bikes."


def test_reopening_to_the_same_annotator_is_allowed(project, cast):
    batch = batch_in(Status.DATASET, project, **cast)

    workflow.reopen(actor=cast["manager"], batch=batch, assignee=cast["annotator"], comment="One box is off.")

    assert (fresh(batch).status, fresh(batch).assignee) == (Status.ANNOTATING, cast["annotator"])


@pytest.mark.parametrize("comment", ["", "   ", "x" * 2001])
def test_reopening_without_a_usable_comment_is_refused_and_changes_nothing(project, cast, comment):
    batch = batch_in(Status.DATASET, project, **cast)
    before = last_event_id()

    with pytest.raises(WorkflowError) as caught:
        workflow.reopen(actor=cast["manager"], batch=batch, assignee=cast["annotator"], comment=comment)

    assert caught.value.kind == WorkflowError.INVALID
    assert fresh(batch).status == Status.DATASET and last_event_id() == before


def test_reopening_is_a_managers_move_and_refuses_a_non_annotator(project, cast):
    batch = batch_in(Status.DATASET, project, **cast)

    with pytest.raises(WorkflowError) as caught:
        workflow.reopen(actor=cast["reviewer"], batch=batch, assignee=cast["annotator"], comment="Fix")
    assert caught.value.kind == WorkflowError.FORBIDDEN
    with pytest.raises(WorkflowError) as caught:
        workflow.reopen(actor=cast["manager"], batch=batch, assignee=cast["reviewer"], comment="Fix")
    assert caught.value.kind == WorkflowError.INVALID
    assert fresh(batch).status == Status.DATASET


def test_a_part_split_again_numbers_its_own_parts_instead_of_piling_up_suffixes(batch, manager, annotator):
    rest = workflow.assign(actor=manager, batch=batch, assignees=[annotator], count=4).remainder

    again = workflow.assign(actor=manager, batch=fresh(rest), assignees=[annotator], count=2)

    assert fresh(batch).name == "Morning · part 1/2"
    assert [fresh(b).name for b in again.assigned] == ["Morning · part 2.1/2"]
    assert fresh(again.remainder).name == "Morning · part 2.2/2"


def test_a_split_names_its_parts_in_the_digits_of_whoever_splits_it(batch, manager, annotator):
    from django.utils import translation

    with translation.override("fa"):
        rest = workflow.assign(actor=manager, batch=batch, assignees=[annotator], count=4).remainder
        again = workflow.assign(actor=manager, batch=fresh(rest), assignees=[annotator], count=2)

    assert fresh(batch).name == "Morning · بخش ۱/۲"
    assert [fresh(b).name for b in again.assigned] == ["Morning · بخش ۲٫۱/۲"]  # read back, numbered below it
    assert fresh(again.remainder).name == "Morning · بخش ۲٫۲/۲"
