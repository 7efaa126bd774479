"""Two people acting on the same batch at the same moment: exactly one wins, the other is told it changed.

Real concurrency needs real row locks, so these run on PostgreSQL only. Each side runs in its own
thread with its own connection; a barrier starts them together, and every move is slowed down a
little while it holds the batch's lock, so the second one really arrives while the first is inside.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection
from django.urls import reverse

from accounts.roles import grant_role
from batches import workflow
from batches.models import Batch, BatchEvent, Image
from batches.workflow import WorkflowError
from tests.batches.board_helpers import HTMX, client_for, seen
from tests.batches.workflow_helpers import batch_in, fresh, image_ids
from tests.factories import make_batch, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

Status = Batch.Status
ROUNDS = 3


@pytest.fixture(autouse=True)
def slow_moves(monkeypatch):
    """Each move pauses just after it has read (and locked) the batch, widening the window for a clash."""
    real = workflow.membership_now

    def slow_membership(actor, project):
        time.sleep(0.05)
        return real(actor, project)

    monkeypatch.setattr(workflow, "membership_now", slow_membership)


def race(**moves) -> dict[str, object]:
    """Run the moves at once, one thread each; what each returned or raised, by name."""
    barrier = threading.Barrier(len(moves))
    outcomes: dict[str, object] = {}

    def run(name, move):
        try:
            barrier.wait(timeout=10)
            outcomes[name] = move()
        except Exception as error:
            outcomes[name] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in moves.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a move hung (deadlock?)"
    return outcomes


def winner_and_loser(outcomes: dict[str, object]) -> tuple[str, WorkflowError]:
    failures = {name: o for name, o in outcomes.items() if isinstance(o, Exception)}
    assert len(failures) == 1, f"expected exactly one move to fail, got {outcomes}"
    ((loser_name, error),) = failures.items()
    assert isinstance(error, WorkflowError), f"{loser_name} crashed: {error!r}"
    assert error.kind == WorkflowError.STALE, error.message
    (winner,) = set(outcomes) - {loser_name}
    return winner, error


@pytest.fixture
def second_reviewer(project):
    user = make_user("reviewer2")
    grant_role(project, user, "reviewer")
    return user


@pytest.fixture
def second_manager(project):
    user = make_user("manager2")
    grant_role(project, user, "manager")
    return user


def test_an_approve_and_a_reject_at_once_let_exactly_one_through(
    project, manager, annotator, reviewer, second_reviewer
):
    for _ in range(ROUNDS):
        batch = batch_in(Status.REVIEW, project, manager=manager, annotator=annotator, reviewer=reviewer)
        events = BatchEvent.objects.filter(batch=batch).count()

        outcomes = race(
            approve=lambda b=batch: workflow.approve(actor=reviewer, batch=b),
            reject=lambda b=batch: workflow.reject(actor=second_reviewer, batch=b, comment="Too loose"),
        )

        winner, error = winner_and_loser(outcomes)
        after = fresh(batch)
        assert after.status == {"approve": Status.DATASET, "reject": Status.ANNOTATING}[winner]
        assert after.version == batch.version + 1
        assert BatchEvent.objects.filter(batch=batch).count() == events + 1
        who = {"approve": "reviewer (approved", "reject": "reviewer2 (rejected"}[winner]
        assert who in error.message


def test_an_assign_and_a_delete_at_once_let_exactly_one_through(project, manager, annotator, second_manager):
    for _ in range(ROUNDS):
        batch = make_batch(project, manager, images=10)
        images = image_ids(batch)
        events = BatchEvent.objects.count()

        outcomes = race(
            assign=lambda b=batch: workflow.assign(actor=manager, batch=b, assignees=[annotator], count=4),
            delete=lambda b=batch: workflow.delete_batch(actor=second_manager, batch=b),
        )

        winner, error = winner_and_loser(outcomes)
        assert BatchEvent.objects.count() == events + 1
        if winner == "delete":
            assert not Batch.objects.filter(pk=batch.pk).exists()
            assert not Image.objects.filter(pk__in=images).exists()
            assert "manager2 (deleted" in error.message
        else:
            remainder = outcomes["assign"].remainder
            assert (fresh(batch).status, fresh(batch).image_count, fresh(remainder).image_count) == (
                Status.ANNOTATING,
                4,
                6,
            )
            assert image_ids(batch) | image_ids(remainder) == images
            assert "manager (assigned" in error.message


def test_two_assigns_at_once_give_the_batch_to_exactly_one_annotator(
    project, manager, annotator, annotator2, second_manager
):
    for _ in range(ROUNDS):
        batch = make_batch(project, manager, images=10)
        images = image_ids(batch)
        batches_before = Batch.objects.count()
        events = BatchEvent.objects.count()

        outcomes = race(
            first=lambda b=batch: workflow.assign(actor=manager, batch=b, assignees=[annotator], count=3),
            second=lambda b=batch: workflow.assign(actor=second_manager, batch=b, assignees=[annotator2], count=7),
        )

        winner, _ = winner_and_loser(outcomes)
        assert BatchEvent.objects.count() == events + 1
        assert Batch.objects.count() == batches_before + 1  # one remainder, not two
        result = outcomes[winner]
        expected = {"first": (annotator, 3, 7), "second": (annotator2, 7, 3)}[winner]
        assert (fresh(batch).assignee, fresh(batch).image_count, fresh(result.remainder).image_count) == expected
        assert image_ids(batch) | image_ids(result.remainder) == images


def test_two_merges_of_the_same_batches_in_opposite_order_do_not_deadlock(project, manager, second_manager):
    for _ in range(ROUNDS):
        one, two = make_batch(project, manager, images=2), make_batch(project, manager, images=3)
        images = image_ids(one) | image_ids(two)
        events = BatchEvent.objects.count()

        outcomes = race(
            forward=lambda a=one, b=two: workflow.merge(actor=manager, batches=[a, b]),
            backward=lambda a=one, b=two: workflow.merge(actor=second_manager, batches=[b, a]),
        )

        winner, _ = winner_and_loser(outcomes)
        assert BatchEvent.objects.count() == events + 1
        merged = fresh(outcomes[winner])
        assert (merged.image_count, image_ids(merged)) == (5, images)


def test_a_reset_and_a_submit_at_once_let_exactly_one_through(project, manager, annotator, second_manager):
    for _ in range(ROUNDS):
        batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator)
        events = BatchEvent.objects.filter(batch=batch).count()

        outcomes = race(
            submit=lambda b=batch: workflow.submit(actor=annotator, batch=b),
            reset=lambda b=batch: workflow.delete_batch(actor=second_manager, batch=b),
        )

        winner, _ = winner_and_loser(outcomes)
        assert fresh(batch).status == {"submit": Status.REVIEW, "reset": Status.UNASSIGNED}[winner]
        assert BatchEvent.objects.filter(batch=batch).count() == events + 1


def test_merging_y_into_x_while_z_goes_into_y_lets_exactly_one_through(project, manager, second_manager):
    """Both dialogs were opened before either merge: the one that loses saw a batch that changed."""
    for _ in range(ROUNDS):
        x = make_batch(project, manager, images=2, name="X")
        y = make_batch(project, manager, images=3, name="Y")
        z = make_batch(project, manager, images=4, name="Z")
        images = image_ids(x) | image_ids(y) | image_ids(z)
        events = BatchEvent.objects.count()
        # Each side passes the batches as its dialog showed them (their versions then).
        seen_x, seen_y, seen_z = fresh(x), fresh(y), fresh(z)

        outcomes = race(
            y_into_x=lambda x=seen_x, y=seen_y: workflow.merge(actor=manager, batches=[x, y]),
            z_into_y=lambda y=seen_y, z=seen_z: workflow.merge(actor=second_manager, batches=[y, z]),
        )

        winner, _ = winner_and_loser(outcomes)
        assert BatchEvent.objects.count() == events + 1
        merged = fresh(outcomes[winner])
        if winner == "y_into_x":
            assert (merged.pk, merged.image_count) == (x.pk, 5)
            assert fresh(z).image_count == 4
        else:
            assert (merged.pk, merged.image_count) == (y.pk, 7)
            assert fresh(x).image_count == 2
        assert image_ids(x) | image_ids(y) | image_ids(z) == images


def test_merge_dialogs_posted_at_once_never_merge_in_more_than_the_manager_saw(project, manager, second_manager):
    """Through the move endpoint: the other batch's version comes from the dialog, not from a fresh read."""
    for _ in range(ROUNDS):
        x = make_batch(project, manager, images=2, name="X")
        y = make_batch(project, manager, images=3, name="Y")
        z = make_batch(project, manager, images=4, name="Z")
        first, second = client_for(manager), client_for(second_manager)

        def post(client, target, other):
            data = {**seen(target), "action": "merge", "dialog": "1", "other": f"{other.pk}:{other.version}"}
            return client.post(reverse("batch_move", args=[project.pk, target.pk]), data, **HTMX)

        race(
            y_into_x=lambda c=first, t=x, o=y: post(c, t, o),
            z_into_y=lambda c=second, t=y, o=z: post(c, t, o),
        )

        after_x, after_y = fresh_or_none(x), fresh_or_none(y)
        assert after_x is not None and after_x.image_count in (2, 5)  # never 9: Y with Z in it
        if after_x.image_count == 5:
            assert after_y is None and fresh(z).image_count == 4
        else:
            assert after_y is not None and after_y.image_count == 7


def fresh_or_none(batch: Batch) -> Batch | None:
    return Batch.objects.filter(pk=batch.pk).first()
