"""The rule book (batches/rules.py): the table itself, and that every path that offers or makes a move agrees with it.

The walk at the bottom visits every cell (a person's roles × whether the batch is theirs × column × move)
and asks the rule, the board's menu, the dialog endpoint, the drag endpoint and the workflow. If any of
them decides on its own, a cell disagrees and the test names it.
"""

from __future__ import annotations

import itertools
import re

import pytest
from django.db import transaction
from django.urls import reverse

from accounts.roles import grant_role, revoke_role
from batches import workflow
from batches.errors import WorkflowError
from batches.models import Batch
from batches.rules import MOVES, Membership, delete_move, drag_move, moves_for
from tests.batches.board_helpers import HTMX, client_for, seen, shown_message
from tests.factories import batch_in, make_batch, make_user

pytestmark = pytest.mark.django_db
Status = Batch.Status


# --- the table ----------------------------------------------------------------------------------------


def test_the_moves_table_matches_the_spec():
    table = {action: (set(move.sources), set(move.targets)) for action, move in MOVES.items()}

    assert table == {
        "assign": ({Status.UNASSIGNED}, {Status.ANNOTATING}),
        "reassign": ({Status.ANNOTATING}, {Status.ANNOTATING}),
        "submit": ({Status.ANNOTATING}, {Status.REVIEW, Status.DATASET}),
        "approve": ({Status.REVIEW}, {Status.DATASET}),
        "reject": ({Status.REVIEW}, {Status.ANNOTATING}),
        "reopen": ({Status.REVIEW, Status.DATASET}, {Status.ANNOTATING}),
        "reset": ({Status.ANNOTATING, Status.REVIEW, Status.DATASET}, {Status.UNASSIGNED}),
        "delete": ({Status.UNASSIGNED}, set()),
        "merge": ({Status.UNASSIGNED}, {Status.UNASSIGNED}),
        "reorder": (set(Status.values), set(Status.values)),
        "takeback": ({Status.ANNOTATING}, {Status.ANNOTATING}),
        "restore": ({Status.UNASSIGNED}, {Status.ANNOTATING, Status.REVIEW, Status.DATASET}),
        "relabel": ({Status.REVIEW, Status.DATASET}, {Status.ANNOTATING}),
    }


@pytest.mark.parametrize(
    ("source", "target", "action"),
    [
        (Status.UNASSIGNED, Status.ANNOTATING, "assign"),
        (Status.ANNOTATING, Status.REVIEW, "submit"),
        (Status.REVIEW, Status.DATASET, "approve"),
        (Status.REVIEW, Status.ANNOTATING, "reject"),
        (Status.ANNOTATING, Status.UNASSIGNED, "reset"),
        (Status.REVIEW, Status.UNASSIGNED, "reset"),
        (Status.DATASET, Status.UNASSIGNED, "reset"),
        (Status.UNASSIGNED, Status.REVIEW, None),
        (Status.UNASSIGNED, Status.DATASET, None),
        (Status.ANNOTATING, Status.DATASET, None),  # this project reviews: submit lands in Review
        (Status.DATASET, Status.REVIEW, None),
        (Status.DATASET, Status.ANNOTATING, None),
        (Status.ANNOTATING, Status.ANNOTATING, "reorder"),
        (Status.UNASSIGNED, Status.UNASSIGNED, "reorder"),
        (Status.REVIEW, Status.REVIEW, "reorder"),
    ],
)
def test_a_drag_from_one_column_to_another_means_one_move_or_none(project, source, target, action):
    batch = Batch(project=project, name="B", status=source)

    move = drag_move(batch, target)

    assert (move.action if move else None) == action


def test_submit_lands_in_dataset_when_the_project_needs_no_review(project):
    project.review_required = False
    batch = Batch(project=project, name="B", status=Status.ANNOTATING)

    assert drag_move(batch, Status.DATASET) == MOVES["submit"]
    assert drag_move(batch, Status.REVIEW) is None
    assert MOVES["submit"].menu_label(batch) == "Submit to Dataset"


def test_a_manager_is_offered_every_menu_move_of_each_column(project, manager):
    membership = Membership.read(manager, project)
    offered = {
        status: [move.action for move in moves_for(membership, Batch(project=project, name="B", status=status))]
        for status in Status.values
    }

    assert offered == {
        Status.UNASSIGNED: ["assign", "delete", "merge"],
        Status.ANNOTATING: ["reassign", "submit", "reset", "takeback"],
        Status.REVIEW: ["reopen", "reset", "relabel"],  # approving and rejecting is a reviewer's
        Status.DATASET: ["reopen", "reset", "relabel"],
    }


def test_a_non_member_is_told_so_by_every_rule(project, outsider):
    membership = Membership.read(outsider, project)
    batch = Batch(project=project, name="B", status=Status.UNASSIGNED)

    assert {move.permits(membership, batch) for move in MOVES.values()} == {"You are not a member of this project."}


# --- the walk: every cell, every path ----------------------------------------------------------------

ROLE_SETS = [roles for n in range(4) for roles in itertools.combinations(["manager", "reviewer", "annotator"], n)]


def _cast(project, manager, annotator2, reviewer, roles: tuple[str, ...], status: str, theirs: bool):
    """The person with these roles, and a batch in `status` assigned to them (theirs) or to annotator2."""
    person = make_user("person")
    grant_role(project, person, "annotator")
    holder = person if theirs else annotator2
    batch = batch_in(status, project, manager=manager, annotator=holder, reviewer=reviewer)
    for role in ["manager", "reviewer"]:
        if role in roles:
            grant_role(project, person, role)
    if "annotator" not in roles:
        revoke_role(project, person, "annotator")
    return person, Batch.objects.select_related("project", "assignee").get(pk=batch.pk)


def _menu_offers(client, batch: Batch) -> set[str]:
    response = client.get(reverse("board", args=[batch.project_id]), {"assignee": ""})  # Everyone
    if response.status_code == 404:
        return set()
    html = response.content.decode()
    card = re.search(rf'<article id="card-{batch.pk}".*?</article>', html, re.S).group(0)
    return set(re.findall(r'data-move="(\w+)"', card))


def _dialog_opens(client, batch: Batch, action: str) -> bool:
    url = reverse("batch_move_dialog", args=[batch.project_id, batch.pk, action])
    response = client.get(url, seen(batch), **HTMX)
    if response.status_code == 404:
        return False
    return "<dialog" in response.content.decode()


def _drag_accepted(client, batch: Batch, to: str) -> bool:
    """A drop the server takes (it opens the move's dialog or makes the move), rolled back afterwards."""
    with transaction.atomic():
        response = client.post(
            reverse("batch_move", args=[batch.project_id, batch.pk]), {**seen(batch), "to": to}, **HTMX
        )
        transaction.set_rollback(True)
    if response.status_code == 404:
        return False
    message = shown_message(response)
    return not (message and message["level"] == "error")


def _take_back_one_of_two(person, batch: Batch):
    """A take-back of a batch with one image done (inside the caller's rolled-back transaction)."""
    first = batch.images.order_by("pk").first()
    first.state = "no_objects"
    first.save(update_fields=["state"])
    expected = workflow.take_back_images(batch, "untouched").count()
    return workflow.take_back(actor=person, batch=batch, scope="untouched", expected=expected)


def _workflow_makes(action: str, person, batch: Batch, *, manager, annotator2, other_annotator) -> bool:
    """Whether the workflow makes the move (rolled back afterwards); any other refusal than input fails."""
    batch = Batch.objects.select_related("project", "assignee").get(pk=batch.pk)
    calls = {
        "assign": lambda: workflow.assign(actor=person, batch=batch, assignees=[annotator2]),
        "reassign": lambda: workflow.reassign(actor=person, batch=batch, assignee=other_annotator),
        "submit": lambda: workflow.submit(actor=person, batch=batch),
        "approve": lambda: workflow.approve(actor=person, batch=batch),
        "reject": lambda: workflow.reject(actor=person, batch=batch, comment="Fix it"),
        "reopen": lambda: workflow.reopen(actor=person, batch=batch, assignee=other_annotator, comment="Fix it"),
        "reset": lambda: workflow.delete_batch(actor=person, batch=batch),
        "delete": lambda: workflow.delete_batch(actor=person, batch=batch),
        "merge": lambda: workflow.merge(actor=person, batches=[batch, make_batch(batch.project, manager, images=1)]),
        "reorder": lambda: workflow.reorder(actor=person, batch=batch, before=batch),
        "takeback": lambda: _take_back_one_of_two(person, batch),
        "restore": lambda: workflow.restore(actor=person, batch=batch),
        "relabel": lambda: workflow.relabel(actor=person, batch=batch, assignee=other_annotator),
    }
    if action in ("reset", "delete") and batch.status not in MOVES[action].sources:
        # One delete call covers both rows: it picks the row by the batch's column.
        return False
    try:
        with transaction.atomic():
            calls[action]()
            transaction.set_rollback(True)
    except WorkflowError as error:
        assert error.kind in (WorkflowError.FORBIDDEN, WorkflowError.REFUSED), (action, error.kind, error.message)
        return False
    return True


@pytest.mark.parametrize("status", Status.values)
@pytest.mark.parametrize("roles", ROLE_SETS, ids=lambda roles: "+".join(roles) or "no-role")
@pytest.mark.parametrize("theirs", [True, False], ids=["theirs", "not-theirs"])
def test_every_path_agrees_with_the_rule_book(project, manager, annotator2, reviewer, status, roles, theirs):
    if status == Status.UNASSIGNED and theirs:
        pytest.skip("an Unassigned batch has no assignee")
    other_annotator = make_user("other")
    grant_role(project, other_annotator, "annotator")
    person, batch = _cast(project, manager, annotator2, reviewer, roles, status, theirs)
    client = client_for(person)
    membership = Membership.read(person, project)
    menu = _menu_offers(client, batch)

    disagreements = []
    for action, move in MOVES.items():
        rule = move.refusal(membership, batch) is None
        made = _workflow_makes(
            action, person, batch, manager=manager, annotator2=annotator2, other_annotator=other_annotator
        )
        paths = {"workflow": made}
        if move.menu:
            paths["menu"] = action in menu
        if move.dialog and (action not in ("reset", "delete") or delete_move(batch) == move):
            # A card has one Delete: its dialog is the reset outside Unassigned, delete for good inside.
            paths["dialog"] = _dialog_opens(client, batch, action)
        if move.drag and batch.status in move.sources:
            to = move.target_for(batch)
            if to and drag_move(batch, to) == move:
                paths["drag"] = _drag_accepted(client, batch, to)
        for path, allowed in paths.items():
            if allowed != rule:
                disagreements.append(f"{action}: rule says {rule}, {path} says {allowed}")

    assert disagreements == []
