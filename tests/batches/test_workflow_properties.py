"""Random sequences of moves keep the board's guarantees (spec/WORKFLOW.md, "Guarantees").

Hypothesis draws a list of steps; each step names a move and two numbers that pick its batch and its
arguments among what the board holds at that moment. Valid moves must succeed and write one event;
a move with an old copy of a batch must be refused as stale and change nothing. After every step:
no image is lost or duplicated, every batch's stored counts are its real counts, Unassigned batches
have no assignee and no annotations, and annotations disappear only through a reset or with their image.
"""

from __future__ import annotations

import random

import pytest
from django.db import transaction
from django.db.models import Count, Q
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from accounts.roles import grant_role
from batches import workflow
from batches.models import Annotation, Batch, BatchEvent, Image, Suggestion
from batches.workflow import WorkflowError
from tests.batches.workflow_helpers import database_state, fresh, image_ids
from tests.factories import annotate, make_batch, make_user

Status = Batch.Status

STEPS = [
    "create",
    "restore",  # rework (#19)
    "take back",  # rework (#19)
    "relabel",  # rework (#19)
    "assign all",
    "assign part",
    "assign chosen",
    "assign several",
    "reassign",
    "submit",
    "approve",
    "reject",
    "reset",
    "delete",
    "merge",
    "annotate",
    "act on an old copy",
]


def pick(items: list, k: int):
    return items[k % len(items)]


class Board:
    """What the board must hold, kept beside the database while the steps run."""

    def __init__(self, project, manager, annotators, reviewer):
        self.project = project
        self.manager = manager
        self.annotators = annotators
        self.reviewer = reviewer
        self.label = project.label_classes.first()
        self.images: set[int] = set()  # created minus deleted for good
        self.annotations: set[int] = set()  # drawn minus reset or deleted with their image
        self.annotations_of: dict[int, set[int]] = {}
        self.copies: list[Batch] = []  # batches as some page once showed them
        self.reset_boxes: dict[int, dict[int, int]] = {}  # boxes per image a reset removed (rework #19)

    def batches(self, *statuses: str) -> list[Batch]:
        return list(
            Batch.objects.filter(project=self.project, status__in=statuses).select_related("project").order_by("pk")
        )

    # --- one step ---------------------------------------------------------------------------------------

    def run(self, step: str, a: int, b: int) -> None:
        self.copies.extend(Batch.objects.filter(project=self.project).order_by("pk"))
        before = database_state()
        events = BatchEvent.objects.count()
        done = getattr(self, "step_" + step.replace(" ", "_"))(a, b)
        event(f"{step}: {'nothing to act on' if not done else 'done'}")
        if done == "stale":
            assert database_state() == before, "a stale move changed something"
        elif done == "annotated":
            assert BatchEvent.objects.count() == events, "drawing a box is not a move"
        elif done:
            assert BatchEvent.objects.count() == events + 1, f"{step} did not write exactly one event"
        else:
            assert database_state() == before, f"{step} had nothing to act on but changed something"
        self.check()

    def step_create(self, a: int, b: int):
        batch = make_batch(self.project, self.manager, images=1 + a % 6)
        self.images |= image_ids(batch)
        return True

    def _assign(self, batch: Batch, assignees: list, **how):
        before = image_ids(batch)
        result = workflow.assign(actor=self.manager, batch=batch, assignees=assignees, **how)
        parts = [*result.assigned, *([result.remainder] if result.remainder else [])]
        sets = [image_ids(part) for part in parts]
        assert sum(len(s) for s in sets) == len(before) and set().union(*sets) == before, "a split lost images"
        return True

    def step_assign_all(self, a: int, b: int):
        waiting = self.batches(Status.UNASSIGNED)
        if not waiting:
            return False
        return self._assign(pick(waiting, a), [pick(self.annotators, b)])

    def step_assign_part(self, a: int, b: int):
        waiting = self.batches(Status.UNASSIGNED)
        if not waiting:
            return False
        batch = pick(waiting, a)
        return self._assign(batch, [pick(self.annotators, a)], count=1 + b % batch.image_count)

    def step_assign_chosen(self, a: int, b: int):
        waiting = self.batches(Status.UNASSIGNED)
        if not waiting:
            return False
        batch = pick(waiting, a)
        ids = sorted(image_ids(batch))
        chosen = random.Random(b).sample(ids, 1 + b % len(ids))
        return self._assign(batch, [pick(self.annotators, b)], image_ids=chosen)

    def step_assign_several(self, a: int, b: int):
        waiting = [batch for batch in self.batches(Status.UNASSIGNED) if batch.image_count >= 2]
        if not waiting:
            return False
        batch = pick(waiting, a)
        people = min(2 + b % 2, batch.image_count)
        assignees = random.Random(a).sample(self.annotators, people)
        count = None if b % 3 == 0 else people + b % (batch.image_count - people + 1)
        return self._assign(batch, assignees, count=count)

    def step_reassign(self, a: int, b: int):
        working = self.batches(Status.ANNOTATING)
        if not working:
            return False
        batch = pick(working, a)
        others = [user for user in self.annotators if user.pk != batch.assignee_id]
        workflow.reassign(actor=self.manager, batch=batch, assignee=pick(others, b))
        return True

    def step_submit(self, a: int, b: int):
        working = self.batches(Status.ANNOTATING)
        if not working:
            return False
        batch = pick(working, a)
        workflow.submit(actor=batch.assignee if b % 2 else self.manager, batch=batch)
        return True

    def step_approve(self, a: int, b: int):
        waiting = self.batches(Status.REVIEW)
        if not waiting:
            return False
        workflow.approve(actor=self.reviewer, batch=pick(waiting, a))
        return True

    def step_reject(self, a: int, b: int):
        waiting = self.batches(Status.REVIEW)
        if not waiting:
            return False
        workflow.reject(actor=self.reviewer, batch=pick(waiting, a), comment=f"Fix image {b}")
        return True

    def step_reset(self, a: int, b: int):
        started = self.batches(Status.ANNOTATING, Status.REVIEW, Status.DATASET)
        if not started:
            return False
        batch = pick(started, a)
        members = image_ids(batch)
        workflow.delete_batch(actor=self.manager, batch=batch)
        removed = {image: len(self.annotations_of.get(image, set())) for image in members}
        self.reset_boxes[batch.pk] = {image: count for image, count in removed.items() if count}
        for image in members:
            self.annotations -= self.annotations_of.pop(image, set())
        return True

    # --- rework (#19)
    def step_restore(self, a: int, b: int):
        waiting = [batch for batch in self.batches(Status.UNASSIGNED) if batch.restorable()]
        if not waiting:
            return False
        batch = pick(waiting, a)
        workflow.restore(actor=self.manager, batch=batch)
        boxes: dict[int, set[int]] = {}
        for pk, image in Annotation.objects.filter(image__batch=batch).values_list("pk", "image_id"):
            boxes.setdefault(image, set()).add(pk)
        assert {image: len(pks) for image, pks in boxes.items()} == self.reset_boxes.pop(batch.pk), "boxes lost"
        for image, pks in boxes.items():
            self.annotations_of[image] = pks
            self.annotations |= pks
        return True

    def step_take_back(self, a: int, b: int):
        working = [
            batch
            for batch in self.batches(Status.ANNOTATING)
            if 0 < workflow.take_back_images(batch, "untouched").count() < batch.image_count
        ]
        if not working:
            return False
        batch = pick(working, a)
        expected = workflow.take_back_images(batch, "untouched").count()
        rest = workflow.take_back(actor=self.manager, batch=batch, scope="untouched", expected=expected)
        assert not Annotation.objects.filter(image__batch=rest).exists(), "a touched image was taken back"
        return True

    def step_relabel(self, a: int, b: int):
        done = self.batches(Status.REVIEW, Status.DATASET)
        if not done:
            return False
        batch = pick(done, a)
        members = image_ids(batch)
        boxes = Annotation.objects.filter(image__batch=batch).count()
        workflow.relabel(actor=self.manager, batch=batch, assignee=pick(self.annotators, b))
        for image in members:
            self.annotations -= self.annotations_of.pop(image, set())
        assert Suggestion.objects.filter(image__batch=batch, previous=False).count() == boxes, "a box was lost"
        return True

    # --- end rework

    def step_delete(self, a: int, b: int):
        waiting = self.batches(Status.UNASSIGNED)
        if not waiting:
            return False
        batch = pick(waiting, a)
        members = image_ids(batch)
        workflow.delete_batch(actor=self.manager, batch=batch)
        self.images -= members
        for image in members:
            self.annotations -= self.annotations_of.pop(image, set())
        return True

    def step_merge(self, a: int, b: int):
        waiting = self.batches(Status.UNASSIGNED)
        if len(waiting) < 2:
            return False
        chosen = random.Random(a).sample(waiting, min(len(waiting), 2 + b % 2))
        everything = set().union(*(image_ids(batch) for batch in chosen))
        merged = workflow.merge(actor=self.manager, batches=chosen)
        assert image_ids(merged) == everything and fresh(merged).image_count == len(everything)
        return True

    def step_annotate(self, a: int, b: int):
        working = self.batches(Status.ANNOTATING)
        if not working:
            return False
        batch = pick(working, a)
        image = pick(list(Image.objects.filter(batch=batch).order_by("pk")), b)
        box = annotate(image, self.label, author=batch.assignee)
        self.annotations.add(box.pk)
        self.annotations_of.setdefault(image.pk, set()).add(box.pk)
        return "annotated"

    def step_act_on_an_old_copy(self, a: int, b: int):
        current = dict(Batch.objects.filter(project=self.project).values_list("pk", "version"))
        old = [copy for copy in self.copies if current.get(copy.pk) != copy.version]
        if not old:
            return False
        copy = pick(old, a)
        with pytest.raises(WorkflowError) as error:
            if copy.status == Status.REVIEW:
                workflow.approve(actor=self.reviewer, batch=copy)
            elif copy.status == Status.ANNOTATING:
                workflow.submit(actor=self.manager, batch=copy)
            else:
                # From Unassigned this would delete for good; from Dataset, reset.
                workflow.delete_batch(actor=self.manager, batch=copy)
        assert error.value.kind == WorkflowError.STALE, error.value.message
        return "stale"

    # --- the guarantees --------------------------------------------------------------------------------

    def check(self) -> None:
        rows = list(Image.objects.filter(project=self.project).values_list("pk", "batch__project_id"))
        assert sorted(pk for pk, _ in rows) == sorted(self.images), "images were lost or duplicated"
        assert {project for _, project in rows} <= {self.project.pk}
        counted = Batch.objects.filter(project=self.project).annotate(
            real_images=Count("images", distinct=True),
            real_done=Count("images", filter=~Q(images__state=Image.State.NEW), distinct=True),
            boxes=Count("images__annotations"),
        )
        for batch in counted:
            assert batch.image_count == batch.real_images > 0, f"{batch.name}: stored {batch.image_count} images"
            assert batch.done_count == batch.real_done, f"{batch.name}: stored {batch.done_count} done"
            if batch.status == Status.UNASSIGNED:
                assert batch.assignee_id is None and batch.boxes == 0 and batch.real_done == 0
            else:
                assert batch.assignee_id is not None
        drawn = set(Annotation.objects.filter(image__project=self.project).values_list("pk", flat=True))
        assert drawn == self.annotations, "annotations appeared or vanished outside a reset"


@pytest.fixture
def team(project, manager, annotator, annotator2, reviewer):
    annotator3 = make_user("annotator3")
    grant_role(project, annotator3, "annotator")
    return {"manager": manager, "annotators": [annotator, annotator2, annotator3], "reviewer": reviewer}


step = st.tuples(st.sampled_from(STEPS), st.integers(0, 1000), st.integers(0, 1000))


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=6, max_size=20), review_required=st.booleans())
def test_random_sequences_of_moves_keep_every_image_count_and_annotation(project, team, steps, review_required):
    # Each example runs in a transaction rolled back at its end, so every example starts from the same empty board.
    with transaction.atomic():
        project.review_required = review_required
        project.save(update_fields=["review_required"])
        board = Board(project, team["manager"], team["annotators"], team["reviewer"])
        board.step_create(3, 0)
        board.step_create(8, 0)
        for name, a, b in steps:
            board.run(name, a, b)
        transaction.set_rollback(True)
