"""Who may make each move: every cell of the "who may" table in spec/WORKFLOW.md, through batches.workflow."""

from __future__ import annotations

import pytest

from accounts.roles import grant_role, revoke_role
from batches import workflow
from batches.access import get_project_for
from batches.models import Batch
from batches.workflow import WorkflowError
from tests.batches.workflow_helpers import batch_in, database_state, fresh, last_event_id, new_events
from tests.factories import annotate, image_rows, make_batch, make_project, make_user

Status = Batch.Status

# Who may do each move. "annotator" is the batch's assignee; "annotator2" is another annotator of the project.
ALLOWED = {
    "create": {"manager", "superuser"},
    "assign": {"manager", "superuser"},
    "reassign": {"manager", "superuser"},
    "submit": {"manager", "annotator", "superuser"},
    "approve": {"reviewer", "superuser"},
    "reject": {"reviewer", "superuser"},
    "reset": {"manager", "superuser"},
    "delete": {"manager", "superuser"},
    "merge": {"manager", "superuser"},
}
PEOPLE = ["manager", "annotator", "annotator2", "reviewer", "outsider", "superuser", "inactive manager"]


@pytest.fixture
def people(project, manager, annotator, annotator2, reviewer, outsider, superuser):
    retired = make_user("retired")
    grant_role(project, retired, "manager")
    retired.is_active = False
    retired.save()
    return {
        "manager": manager,
        "annotator": annotator,
        "annotator2": annotator2,
        "reviewer": reviewer,
        "outsider": outsider,
        "superuser": superuser,
        "inactive manager": retired,
    }


def prepare(action: str, project, people: dict):
    """The batch(es) a move starts from, made by the cast; returns a callable doing the move as `actor`."""
    cast = {"manager": people["manager"], "annotator": people["annotator"], "reviewer": people["reviewer"]}
    if action == "create":
        return lambda actor: workflow.create_batch(actor=actor, project=project, name="Upload", images=image_rows(2))
    if action == "merge":
        first, second = make_batch(project, cast["manager"], images=2), make_batch(project, cast["manager"], images=3)
        return lambda actor: workflow.merge(actor=actor, batches=[first, second])
    source = {
        "assign": Status.UNASSIGNED,
        "delete": Status.UNASSIGNED,
        "reassign": Status.ANNOTATING,
        "submit": Status.ANNOTATING,
        "reset": Status.ANNOTATING,
        "approve": Status.REVIEW,
        "reject": Status.REVIEW,
    }[action]
    batch = batch_in(source, project, **cast)
    return {
        "assign": lambda actor: workflow.assign(actor=actor, batch=batch, assignees=[people["annotator2"]]),
        "reassign": lambda actor: workflow.reassign(actor=actor, batch=batch, assignee=people["annotator2"]),
        "submit": lambda actor: workflow.submit(actor=actor, batch=batch),
        "approve": lambda actor: workflow.approve(actor=actor, batch=batch),
        "reject": lambda actor: workflow.reject(actor=actor, batch=batch, comment="Fix the boxes"),
        "reset": lambda actor: workflow.delete_batch(actor=actor, batch=batch),
        "delete": lambda actor: workflow.delete_batch(actor=actor, batch=batch),
    }[action]


ALLOWED_CELLS = [(action, who) for action in ALLOWED for who in PEOPLE if who in ALLOWED[action]]
REFUSED_CELLS = [(action, who) for action in ALLOWED for who in PEOPLE if who not in ALLOWED[action]]


@pytest.mark.parametrize(("action", "who"), ALLOWED_CELLS)
def test_a_person_the_table_allows_can_make_the_move(project, people, action, who):
    move = prepare(action, project, people)
    before = last_event_id()

    move(people[who])

    events = new_events(before)
    assert len(events) == 1
    assert events[0].actor == people[who]


@pytest.mark.parametrize(("action", "who"), REFUSED_CELLS)
def test_a_person_the_table_does_not_allow_is_refused_and_nothing_changes(project, people, action, who):
    move = prepare(action, project, people)
    before = database_state()

    with pytest.raises(WorkflowError) as error:
        move(people[who])

    assert error.value.kind == WorkflowError.FORBIDDEN
    assert database_state() == before


@pytest.mark.parametrize("who", ["outsider", "inactive manager"])
def test_someone_who_is_not_an_active_member_is_told_so(project, people, who):
    move = prepare("assign", project, people)

    with pytest.raises(WorkflowError) as error:
        move(people[who])

    assert error.value.message == "You are not a member of this project."


def test_a_manager_of_another_project_may_not_move_batches_here(project, people):
    elsewhere = make_user("elsewhere")
    grant_role(make_project("Elsewhere"), elsewhere, "manager")
    move = prepare("delete", project, people)
    before = database_state()

    with pytest.raises(WorkflowError) as error:
        move(elsewhere)

    assert error.value.kind == WorkflowError.FORBIDDEN
    assert database_state() == before


def test_an_annotator_may_not_submit_a_batch_assigned_to_someone_else(project, people):
    move = prepare("submit", project, people)

    with pytest.raises(WorkflowError) as error:
        move(people["annotator2"])

    assert error.value.message == "Only the batch's assignee or a manager can submit it."


def test_an_annotator_loses_the_right_to_submit_once_the_batch_is_reassigned(project, people):
    batch = batch_in(Status.ANNOTATING, project, manager=people["manager"], annotator=people["annotator"])
    batch = workflow.reassign(actor=people["manager"], batch=batch, assignee=people["annotator2"])
    before = database_state()

    with pytest.raises(WorkflowError) as error:
        workflow.submit(actor=people["annotator"], batch=batch)

    assert error.value.kind == WorkflowError.FORBIDDEN
    assert database_state() == before
    workflow.submit(actor=people["annotator2"], batch=batch)
    assert fresh(batch).status == Status.REVIEW


def test_an_assignee_who_lost_the_annotator_role_may_not_submit(project, people):
    move = prepare("submit", project, people)
    revoke_role(project, people["annotator"], "annotator")

    with pytest.raises(WorkflowError) as error:
        move(people["annotator"])

    assert error.value.kind == WorkflowError.FORBIDDEN


def test_a_move_checks_the_roles_held_now_not_those_cached_for_the_page(project, people):
    manager = people["manager"]
    assert get_project_for(manager, project.pk).manages  # the page's view of the manager, read for the request
    move = prepare("delete", project, people)
    revoke_role(project, manager, "manager")

    with pytest.raises(WorkflowError) as error:
        move(manager)

    assert error.value.kind == WorkflowError.FORBIDDEN


def test_the_message_says_which_role_a_move_needs(project, people):
    move = prepare("approve", project, people)

    with pytest.raises(WorkflowError) as error:
        move(people["manager"])

    assert error.value.message == "Only a reviewer of this project can approve a batch."


# --- self-review ------------------------------------------------------------------------------------------


@pytest.fixture
def annotating_reviewer(project):
    """Someone who both annotates and reviews in this project."""
    user = make_user("both")
    grant_role(project, user, "annotator")
    grant_role(project, user, "reviewer")
    return user


def test_a_reviewer_may_not_approve_a_batch_assigned_to_them(project, manager, reviewer, annotating_reviewer):
    batch = batch_in(Status.REVIEW, project, manager=manager, annotator=annotating_reviewer)
    before = database_state()

    with pytest.raises(WorkflowError) as error:
        workflow.approve(actor=annotating_reviewer, batch=batch)

    assert error.value.kind == WorkflowError.FORBIDDEN
    assert "someone else must approve it" in error.value.message
    assert database_state() == before
    workflow.approve(actor=reviewer, batch=batch)
    assert fresh(batch).status == Status.DATASET


def test_a_reviewer_may_not_approve_a_batch_they_drew_boxes_in(project, manager, annotator, annotating_reviewer):
    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator)
    image = batch.images.first()
    annotate(image, project.label_classes.first(), author=annotating_reviewer)
    batch = workflow.submit(actor=annotator, batch=fresh(batch))
    before = database_state()

    with pytest.raises(WorkflowError) as error:
        workflow.approve(actor=annotating_reviewer, batch=batch)

    assert error.value.kind == WorkflowError.FORBIDDEN
    assert database_state() == before


def test_a_reviewer_who_also_annotates_may_approve_other_peoples_batches(
    project, manager, annotator, annotating_reviewer
):
    batch = batch_in(Status.REVIEW, project, manager=manager, annotator=annotator)

    workflow.approve(actor=annotating_reviewer, batch=batch)

    assert fresh(batch).status == Status.DATASET


def test_a_project_that_allows_self_review_lets_the_annotator_approve(project, manager, annotating_reviewer):
    project.allow_self_review = True
    project.save()
    batch = batch_in(Status.REVIEW, project, manager=manager, annotator=annotating_reviewer)

    workflow.approve(actor=annotating_reviewer, batch=batch)

    assert fresh(batch).status == Status.DATASET


# --- several roles -----------------------------------------------------------------------------------------


def test_a_manager_who_is_also_a_reviewer_may_approve(project, people):
    grant_role(project, people["manager"], "reviewer")
    move = prepare("approve", project, people)

    move(people["manager"])

    assert Batch.objects.get().status == Status.DATASET


def test_a_manager_may_submit_a_batch_assigned_to_someone_else(project, people):
    move = prepare("submit", project, people)

    move(people["manager"])

    assert Batch.objects.get().status == Status.REVIEW


def test_a_manager_who_also_annotates_may_be_assigned_and_submit_their_own_batch(project, people):
    manager = people["manager"]
    grant_role(project, manager, "annotator")
    batch = make_batch(project, manager, images=3)

    batch = workflow.assign(actor=manager, batch=batch, assignees=[manager]).assigned[0]
    workflow.submit(actor=manager, batch=batch)

    assert (fresh(batch).status, fresh(batch).assignee) == (Status.REVIEW, manager)


def test_a_reviewer_keeps_reviewing_after_losing_a_second_role(project, people):
    reviewer = people["reviewer"]
    grant_role(project, reviewer, "annotator")
    revoke_role(project, reviewer, "annotator")
    move = prepare("reject", project, people)

    move(reviewer)

    assert Batch.objects.get().status == Status.ANNOTATING
