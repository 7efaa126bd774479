"""batches.annotating: saving one image's boxes, "no objects", review flags, and the workspace order."""

from __future__ import annotations

import math

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batches import annotating, workflow
from batches.models import Annotation, Batch, Image, LabelClass
from batches.rules import Membership
from batches.workflow import WorkflowError
from tests.factories import make_batch, make_project

Status = Batch.Status
State = Image.State


@pytest.fixture
def batch(project, manager, annotator):
    """Three 640×480 images in Annotating, assigned to the annotator."""
    made = make_batch(project, manager, images=3)
    return workflow.assign(actor=manager, batch=made, assignees=[annotator]).assigned[0]


@pytest.fixture
def car(project):
    return project.label_classes.get(name="car")


@pytest.fixture
def person(project):
    return project.label_classes.get(name="person")


def images_of(batch) -> list[Image]:
    return list(Image.objects.filter(batch=batch).select_related("project", "batch").order_by("id"))


def box(label, x=10, y=20, w=100, h=50) -> dict:
    return {"label_class": label.pk if isinstance(label, LabelClass) else label, "x": x, "y": y, "w": w, "h": h}


def snapshot(batch) -> tuple:
    """Everything a refused save must leave alone."""
    return (
        list(Annotation.objects.filter(image__batch=batch).order_by("id").values_list("id", "x", "y", "w", "h")),
        list(Image.objects.filter(batch=batch).order_by("id").values_list("state", flat=True)),
        Batch.objects.values_list("done_count", "status", "version").get(pk=batch.pk),
    )


def done_images(batch) -> int:
    return Image.objects.filter(batch=batch, state__in=[State.ANNOTATED, State.NO_OBJECTS]).count()


# --- saving ----------------------------------------------------------------------------------------


def test_it_stores_the_boxes_and_answers_with_what_it_stored(batch, annotator, car, person):
    image = images_of(batch)[0]

    result = annotating.save_annotations(
        actor=annotator, image=image, boxes=[box(car), box(person, x=200.5, y=100.25, w=40, h=30)]
    )

    stored = list(Annotation.objects.filter(image=image).order_by("id"))
    assert [(a.label_class, a.x, a.y, a.w, a.h, a.author) for a in stored] == [
        (car, 10, 20, 100, 50, annotator),
        (person, 200.5, 100.25, 40, 30, annotator),
    ]
    assert [a.pk for a in result.annotations] == [a.pk for a in stored]
    assert result.image.state == State.ANNOTATED
    assert (result.done_count, result.image_count) == (1, 3)
    assert Batch.objects.get(pk=batch.pk).done_count == 1


def test_a_save_replaces_the_image_s_boxes_and_leaves_other_images_alone(batch, annotator, car, person):
    first, second, _ = images_of(batch)
    annotating.save_annotations(actor=annotator, image=first, boxes=[box(car), box(car, x=300)])
    annotating.save_annotations(actor=annotator, image=second, boxes=[box(person)])

    annotating.save_annotations(actor=annotator, image=first, boxes=[box(person, x=5, y=5, w=7, h=9)])

    assert list(Annotation.objects.filter(image=first).values_list("label_class", "x", "y", "w", "h")) == [
        (person.pk, 5, 5, 7, 9)
    ]
    assert Annotation.objects.filter(image=second).count() == 1
    assert Batch.objects.get(pk=batch.pk).done_count == 2


def test_saving_no_boxes_makes_the_image_not_done_again(batch, annotator, car):
    image = images_of(batch)[0]
    annotating.save_annotations(actor=annotator, image=image, boxes=[box(car)])

    result = annotating.save_annotations(actor=annotator, image=image, boxes=[])

    assert result.image.state == State.NEW
    assert not Annotation.objects.filter(image=image).exists()
    assert Batch.objects.get(pk=batch.pk).done_count == 0


def test_no_objects_marks_an_image_done_without_a_box(batch, annotator, car):
    image = images_of(batch)[0]

    result = annotating.save_annotations(actor=annotator, image=image, boxes=[], no_objects=True)

    assert result.image.state == State.NO_OBJECTS
    assert Batch.objects.get(pk=batch.pk).done_count == 1
    # Boxes on an image marked "no objects": still done, counted once.
    annotating.save_annotations(actor=annotator, image=image, boxes=[box(car)])
    assert Image.objects.get(pk=image.pk).state == State.ANNOTATED
    assert Batch.objects.get(pk=batch.pk).done_count == 1


def test_no_objects_with_boxes_is_refused(batch, annotator, car):
    image = images_of(batch)[0]
    before = snapshot(batch)

    with pytest.raises(WorkflowError, match="no objects") as caught:
        annotating.save_annotations(actor=annotator, image=image, boxes=[box(car)], no_objects=True)

    assert caught.value.kind == WorkflowError.INVALID
    assert snapshot(batch) == before


def test_a_box_touching_the_right_and_bottom_edges_is_inside(batch, annotator, car):
    image = images_of(batch)[0]

    annotating.save_annotations(actor=annotator, image=image, boxes=[box(car, x=540, y=380, w=100, h=100)])

    assert Annotation.objects.get(image=image).w == 100


def test_a_manager_may_annotate_a_batch_assigned_to_someone_else(batch, manager, car):
    image = images_of(batch)[0]

    annotating.save_annotations(actor=manager, image=image, boxes=[box(car)])

    assert Annotation.objects.get(image=image).author == manager


def test_a_superuser_may_annotate(batch, superuser, car):
    image = images_of(batch)[0]

    annotating.save_annotations(actor=superuser, image=image, boxes=[box(car)])

    assert Annotation.objects.filter(image=image).count() == 1


BAD_BOXES = {
    "a negative x": [{"x": -1}],
    "a negative y": [{"y": -0.5}],
    "NaN": [{"x": math.nan}],
    "infinity": [{"w": math.inf}],
    "minus infinity": [{"y": -math.inf}],
    "a number as a string": [{"x": "10"}],
    "a boolean for a number": [{"h": True}],
    "a missing number": [{"w": None}],
    "a zero width": [{"w": 0}],
    "a negative height": [{"h": -10}],
    "a box under a pixel": [{"w": 0.5}],
    "a box past the right edge": [{"x": 600, "w": 41}],
    "a box past the bottom edge": [{"y": 479, "h": 2}],
    "a box far outside": [{"x": 5000}],
    "no label class": [{"label_class": None}],
    "a label class as text": [{"label_class": "car"}],
}


@pytest.mark.parametrize("changes", BAD_BOXES.values(), ids=BAD_BOXES.keys())
def test_bad_numbers_are_refused_and_nothing_is_saved(batch, annotator, car, changes):
    image = images_of(batch)[0]
    annotating.save_annotations(actor=annotator, image=image, boxes=[box(car)])
    before = snapshot(batch)
    bad = {**box(car, x=1), **changes[0]}

    with pytest.raises(WorkflowError) as caught:
        # A good box first: the whole list is refused, not just the bad box.
        annotating.save_annotations(actor=annotator, image=image, boxes=[box(car, x=300), bad])

    assert caught.value.kind == WorkflowError.INVALID
    assert caught.value.message.startswith("Box 2")
    assert snapshot(batch) == before


@pytest.mark.parametrize(
    "payload",
    [{"x": 1}, "boxes", 7, None, [["car", 1, 2, 3, 4]]],
    ids=["a dict instead of a list", "text", "a number", "null", "a list of lists"],
)
def test_a_box_list_of_the_wrong_shape_is_refused(batch, annotator, payload):
    image = images_of(batch)[0]
    before = snapshot(batch)

    with pytest.raises(WorkflowError) as caught:
        annotating.save_annotations(actor=annotator, image=image, boxes=payload)

    assert caught.value.kind == WorkflowError.INVALID
    assert snapshot(batch) == before


def test_more_boxes_than_the_limit_are_refused_and_nothing_is_saved(batch, annotator, car):
    image = images_of(batch)[0]
    before = snapshot(batch)

    with pytest.raises(WorkflowError, match="more than the 500") as caught:
        annotating.save_annotations(actor=annotator, image=image, boxes=[box(car, w=1, h=1)] * 1000)

    assert caught.value.kind == WorkflowError.INVALID
    assert snapshot(batch) == before


def test_exactly_the_limit_is_accepted(batch, annotator, car):
    image = images_of(batch)[0]

    annotating.save_annotations(actor=annotator, image=image, boxes=[box(car, w=1, h=1)] * annotating.MAX_BOXES)

    assert Annotation.objects.filter(image=image).count() == annotating.MAX_BOXES


def test_a_label_class_of_another_project_is_refused(batch, annotator, car):
    other = make_project("Elsewhere")
    foreign = other.label_classes.get(name="car")
    image = images_of(batch)[0]
    before = snapshot(batch)

    with pytest.raises(WorkflowError, match="not one of this project's classes"):
        annotating.save_annotations(actor=annotator, image=image, boxes=[box(car), box(foreign)])

    assert snapshot(batch) == before


def test_a_label_class_that_does_not_exist_is_refused(batch, annotator, car):
    image = images_of(batch)[0]
    before = snapshot(batch)

    with pytest.raises(WorkflowError, match="not one of this project's classes"):
        annotating.save_annotations(actor=annotator, image=image, boxes=[box(999_999)])

    assert snapshot(batch) == before


@pytest.mark.parametrize("who", ["outsider", "annotator2", "reviewer"])
def test_people_who_may_not_annotate_this_batch_are_refused(request, batch, car, who):
    actor = request.getfixturevalue(who)
    image = images_of(batch)[0]
    before = snapshot(batch)

    with pytest.raises(WorkflowError) as caught:
        annotating.save_annotations(actor=actor, image=image, boxes=[box(car)])

    assert caught.value.kind == WorkflowError.FORBIDDEN
    assert snapshot(batch) == before


@pytest.mark.parametrize("move", ["submit", "reset"])
def test_a_save_after_the_batch_left_annotating_is_refused_and_leaves_nothing(batch, manager, annotator, car, move):
    image = images_of(batch)[0]  # loaded while the batch was still in Annotating
    if move == "submit":
        workflow.submit(actor=manager, batch=batch)
    else:
        workflow.delete_batch(actor=manager, batch=batch)
    before = snapshot(batch)

    with pytest.raises(WorkflowError, match="no longer in Annotating") as caught:
        annotating.save_annotations(actor=annotator, image=image, boxes=[box(car)])

    assert caught.value.kind == WorkflowError.REFUSED
    assert snapshot(batch) == before


def test_a_save_for_an_image_deleted_meanwhile_is_refused(batch, manager, annotator, car):
    image = images_of(batch)[0]
    workflow.delete_batch(actor=manager, batch=batch)
    workflow.delete_batch(actor=manager, batch=Batch.objects.get(pk=batch.pk))

    with pytest.raises(WorkflowError, match="no longer exists") as caught:
        annotating.save_annotations(actor=annotator, image=image, boxes=[box(car)])

    assert caught.value.kind == WorkflowError.STALE
    assert not Annotation.objects.exists()


def test_the_save_costs_the_same_queries_for_one_box_and_for_five_hundred(batch, annotator, car):
    first, second, _ = images_of(batch)
    membership = Membership.read(annotator, batch.project)  # the view's, read once per request

    def queries(image, n):
        with CaptureQueriesContext(connection) as ctx:
            annotating.save_annotations(
                actor=annotator, image=image, boxes=[box(car, w=1, h=1)] * n, membership=membership
            )
        return len(ctx.captured_queries)

    # savepoint, lock image+batch, check classes, delete old boxes, insert new, set image state,
    # bump done count, release savepoint (inside a test's transaction atomic() is a savepoint); the first
    # save also notes the batch's activity, written at most every 30 s
    assert queries(first, 1) == 9
    assert queries(second, 500) == 8
    # Saving again changes neither state nor count: two queries fewer.
    assert queries(first, 500) == queries(second, 1) == 6


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    steps=st.lists(
        st.tuples(st.integers(min_value=0, max_value=2), st.sampled_from(["boxes", "none", "no_objects"])),
        max_size=15,
    )
)
def test_the_done_count_always_equals_the_images_that_are_done(project, manager, annotator, steps):
    made = make_batch(project, manager, images=3)
    batch = workflow.assign(actor=manager, batch=made, assignees=[annotator]).assigned[0]
    images = images_of(batch)
    car = project.label_classes.get(name="car")
    for index, what in steps:
        annotating.save_annotations(
            actor=annotator,
            image=images[index],
            boxes=[box(car)] if what == "boxes" else [],
            no_objects=what == "no_objects",
        )
        assert Batch.objects.get(pk=batch.pk).done_count == done_images(batch)
    for image in Image.objects.filter(batch=batch):
        assert (image.state == State.ANNOTATED) == image.annotations.exists()


# --- review flags and approval -----------------------------------------------------------------------


@pytest.fixture
def in_review(batch, manager):
    return workflow.submit(actor=manager, batch=batch)


def test_a_reviewer_flags_an_image_with_a_note_and_unflags_it(in_review, reviewer):
    image = images_of(in_review)[1]

    flagged = annotating.flag_image(actor=reviewer, image=image, flagged=True, note="  A car is missing.  ")

    assert (flagged.review_flag, flagged.review_note) == (True, "A car is missing.")
    assert Image.objects.filter(pk=image.pk, review_flag=True, review_note="A car is missing.").exists()

    annotating.flag_image(actor=reviewer, image=image, flagged=False, note="ignored")
    assert Image.objects.filter(pk=image.pk, review_flag=False, review_note="").exists()


@pytest.mark.parametrize("who", ["annotator", "manager", "outsider"])
def test_only_a_reviewer_may_flag(request, in_review, who):
    image = images_of(in_review)[0]

    with pytest.raises(WorkflowError) as caught:
        annotating.flag_image(actor=request.getfixturevalue(who), image=image, flagged=True, note="x")

    assert caught.value.kind == WorkflowError.FORBIDDEN
    assert not Image.objects.filter(review_flag=True).exists()


def test_flagging_outside_review_is_refused(batch, reviewer):
    image = images_of(batch)[0]

    with pytest.raises(WorkflowError, match="cannot be flagged") as caught:
        annotating.flag_image(actor=reviewer, image=image, flagged=True, note="x")

    assert caught.value.kind == WorkflowError.REFUSED
    assert not Image.objects.filter(review_flag=True).exists()


def test_an_over_long_note_is_refused(in_review, reviewer):
    image = images_of(in_review)[0]

    with pytest.raises(WorkflowError, match="under 1000"):
        annotating.flag_image(actor=reviewer, image=image, flagged=True, note="x" * 1001)

    assert not Image.objects.filter(review_flag=True).exists()


def test_approving_moves_the_batch_to_the_dataset_and_clears_the_flags(in_review, reviewer):
    image = images_of(in_review)[0]
    annotating.flag_image(actor=reviewer, image=image, flagged=True, note="fine after all")

    approved = workflow.approve(actor=reviewer, batch=in_review)

    assert approved.status == Status.DATASET
    assert not Image.objects.filter(batch=in_review, review_flag=True).exists()
    assert Image.objects.get(pk=image.pk).review_note == ""


def test_a_refused_approval_keeps_the_flags(in_review, reviewer, annotator):
    image = images_of(in_review)[0]
    annotating.flag_image(actor=reviewer, image=image, flagged=True, note="check")

    with pytest.raises(WorkflowError):
        workflow.approve(actor=annotator, batch=in_review)

    assert Image.objects.get(pk=image.pk).review_flag
    assert Batch.objects.get(pk=in_review.pk).status == Status.REVIEW


# --- workspace order -----------------------------------------------------------------------------------


def test_flagged_images_come_first_for_the_annotator_and_in_place_for_the_reviewer(in_review, reviewer):
    a, b, c = images_of(in_review)
    annotating.flag_image(actor=reviewer, image=c, flagged=True, note="")
    c.refresh_from_db()

    assert [i.pk for i in annotating.ordered_images(in_review)] == [c.pk, a.pk, b.pk]
    assert [i.pk for i in annotating.ordered_images(in_review, flagged_first=False)] == [a.pk, b.pk, c.pk]
    assert [x and x.pk for x in annotating.neighbours(in_review, c)] == [None, a.pk]
    assert [x and x.pk for x in annotating.neighbours(in_review, a)] == [c.pk, b.pk]
    assert [x and x.pk for x in annotating.neighbours(in_review, b)] == [a.pk, None]
    assert [x and x.pk for x in annotating.neighbours(in_review, c, flagged_first=False)] == [b.pk, None]
    assert [annotating.position_of(in_review, i) for i in (c, a, b)] == [0, 1, 2]
    assert annotating.position_of(in_review, c, flagged_first=False) == 2


def test_the_annotate_workspace_opens_at_the_first_flagged_image_else_the_first_not_done(
    batch, annotator, manager, reviewer, car
):
    a, b, c = images_of(batch)
    assert annotating.start_image(batch) == a
    annotating.save_annotations(actor=annotator, image=a, boxes=[box(car)])
    assert annotating.start_image(batch) == b
    assert annotating.start_image(batch, str(c.pk)) == c
    assert annotating.start_image(batch, "not a number") == b

    batch = workflow.submit(actor=manager, batch=Batch.objects.get(pk=batch.pk))
    annotating.flag_image(actor=reviewer, image=c, flagged=True, note="")
    assert annotating.start_image(batch) == c
    assert annotating.start_image(batch, for_review=True) == c


def test_an_image_of_another_batch_is_not_where_a_workspace_opens(batch, project, manager):
    other = make_batch(project, manager, images=1)
    stranger = Image.objects.get(batch=other)

    assert annotating.start_image(batch, stranger.pk) == images_of(batch)[0]


# --- races (PostgreSQL: real row locks) ------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(4))
def test_a_save_racing_a_submit_is_either_stored_before_it_or_refused(project, manager, annotator, attempt):
    import threading

    from django.db import connection as default_connection

    made = make_batch(project, manager, images=2)
    batch = workflow.assign(actor=manager, batch=made, assignees=[annotator]).assigned[0]
    image = images_of(batch)[0]
    car = project.label_classes.get(name="car")
    membership = Membership.read(annotator, project)
    barrier = threading.Barrier(2)
    outcome = {}

    def save():
        barrier.wait()
        try:
            annotating.save_annotations(actor=annotator, image=image, boxes=[box(car)], membership=membership)
            outcome["save"] = "stored"
        except WorkflowError as exc:
            outcome["save"] = exc.kind
        finally:
            default_connection.close()

    def submit():
        barrier.wait()
        try:
            workflow.submit(actor=manager, batch=batch)
        finally:
            default_connection.close()

    threads = [threading.Thread(target=save), threading.Thread(target=submit)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    after = Batch.objects.get(pk=batch.pk)
    assert after.status == Status.REVIEW
    assert outcome["save"] in {"stored", WorkflowError.REFUSED}
    stored = Annotation.objects.filter(image=image).count()
    assert stored == (1 if outcome["save"] == "stored" else 0)
    assert after.done_count == done_images(batch) == stored
