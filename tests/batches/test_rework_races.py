"""Restore and take back when two people act at once (PostgreSQL, real row locks; issue #19)."""

from __future__ import annotations

import pytest

from accounts.roles import grant_role
from batches import workflow
from batches.annotating import save_annotations
from batches.errors import WorkflowError
from batches.models import Annotation, Batch, Image
from tests.batches.test_workflow_races import ROUNDS, race, slow_moves, winner_and_loser  # noqa: F401
from tests.batches.workflow_helpers import annotate_some, batch_in, fresh
from tests.factories import make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
Status = Batch.Status


@pytest.fixture
def second_manager(project):
    user = make_user("manager2")
    grant_role(project, user, "manager")
    return user


def test_two_restores_at_once_restore_exactly_once(project, manager, annotator, second_manager):
    for _ in range(ROUNDS):
        batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=4)
        annotate_some(batch, annotator, 2)
        workflow.delete_batch(actor=manager, batch=fresh(batch))
        seen = fresh(batch)
        outcomes = race(
            first=lambda seen=seen: workflow.restore(actor=manager, batch=seen),
            second=lambda seen=seen: workflow.restore(actor=second_manager, batch=seen),
        )
        winner_and_loser(outcomes)
        assert Annotation.objects.filter(image__batch=batch).count() == 2


def test_a_take_back_and_a_save_at_once_never_move_a_touched_image(project, manager, annotator):
    label = project.label_classes.first()
    for _ in range(ROUNDS):
        batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=4)
        annotate_some(batch, annotator, 1)
        seen = fresh(batch)
        target = Image.objects.filter(batch=batch, state=Image.State.NEW).order_by("pk").first()
        box = [{"label_class": label.pk, "x": 1, "y": 1, "w": 5, "h": 5}]
        outcomes = race(
            take=lambda seen=seen: workflow.take_back(actor=manager, batch=seen, scope="untouched", expected=3),
            save=lambda target=target, box=box: save_annotations(actor=annotator, image=target, boxes=box),
        )
        failures = [o for o in outcomes.values() if isinstance(o, Exception)]
        assert len(failures) == 1 and isinstance(failures[0], WorkflowError), outcomes
        target.refresh_from_db()
        # Whoever won, an image with a box is in the annotator's batch, never in the taken-back one.
        for image in Image.objects.filter(annotations__isnull=False).select_related("batch"):
            assert image.batch.status == Status.ANNOTATING
        assert (target.batch_id == batch.pk) == isinstance(outcomes["take"], WorkflowError)
