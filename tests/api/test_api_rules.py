"""Every move endpoint × every cast of roles × column: the API answers what the rule book says.

The same walk as tests/batches/test_rules.py (roles × whether the batch is theirs × column × move): a
move the rule book allows answers 200, one the person's roles do not allow 403 `forbidden`, one from
the wrong column 409 `refused`, and a batch the person does not see 404. Each call is rolled back.
"""

from __future__ import annotations

import pytest
from django.db import transaction

from accounts.roles import grant_role
from batches import workflow
from batches.errors import WorkflowError
from batches.models import Batch
from batches.rules import MOVES, Membership, sees
from tests.api.helpers import ApiClient
from tests.batches.test_rules import ROLE_SETS, _cast
from tests.factories import make_batch, make_user

pytestmark = pytest.mark.django_db
Status = Batch.Status


def _body(action: str, batch: Batch, *, annotator2, other_annotator, manager) -> dict:
    body = {"version": batch.version}
    if action == "assign":
        body["assignees"] = [annotator2.pk]
    elif action == "reassign":
        body["assignee"] = other_annotator.pk
    elif action == "reject":
        body["comment"] = "Fix the boxes"
    elif action == "reopen":
        body.update(assignee=other_annotator.pk, comment="Fix the boxes")
    elif action == "merge":
        other = make_batch(batch.project, manager, images=1)
        body.update(other=other.pk, other_version=other.version)
    elif action == "reorder":
        body["before"] = batch.pk
    elif action == "takeback":  # one image done, as tests/batches/test_rules.py (rolled back by the caller)
        first = batch.images.order_by("pk").first()
        if first is not None:
            first.state = "no_objects"
            first.save(update_fields=["state"])
        body.update(scope="untouched", expected=workflow.take_back_images(batch, "untouched").count())
    elif action == "relabel":
        body["assignee"] = other_annotator.pk
    return body


def expected_status(membership: Membership, batch: Batch, action: str) -> tuple[int, str | None]:
    if not membership.is_member or not sees(membership, batch):
        return 404, "not_found"
    refusal = MOVES[action].refusal(membership, batch)
    if refusal is None:
        return 200, None
    if refusal.kind == WorkflowError.FORBIDDEN:
        return 403, "forbidden"
    return 409, "refused"


@pytest.mark.parametrize("status", Status.values)
@pytest.mark.parametrize("roles", ROLE_SETS, ids=lambda roles: "+".join(roles) or "no-role")
@pytest.mark.parametrize("theirs", [True, False], ids=["theirs", "not-theirs"])
def test_every_move_endpoint_answers_as_the_rule_book_says(
    project, manager, annotator2, reviewer, status, roles, theirs
):
    if status == Status.UNASSIGNED and theirs:
        pytest.skip("an Unassigned batch has no assignee")
    other_annotator = make_user("other")
    grant_role(project, other_annotator, "annotator")
    person, batch = _cast(project, manager, annotator2, reviewer, roles, status, theirs)
    client = ApiClient(person)
    membership = Membership.read(person, project)

    disagreements = []
    for action in MOVES:
        want_status, want_code = expected_status(membership, batch, action)
        with transaction.atomic():
            body = _body(action, batch, annotator2=annotator2, other_annotator=other_annotator, manager=manager)
            response = client.post(f"/projects/{project.pk}/batches/{batch.pk}/{action}", body)
            transaction.set_rollback(True)
        got_code = response.json().get("code") if response.status_code >= 400 else None
        if (response.status_code, got_code) != (want_status, want_code):
            disagreements.append(
                f"{action}: rule book says {want_status} {want_code}, API {response.status_code} {response.content[:200]!r}"
            )
    assert not disagreements, "\n".join(disagreements)


def test_every_move_of_the_rule_book_has_an_endpoint(project, manager):
    batch = make_batch(project, manager, images=1)
    client = ApiClient(manager)
    for action in MOVES:
        response = client.post(f"/projects/{project.pk}/batches/{batch.pk}/{action}", {"version": 999})
        # stale (or its input refused first), never 404: the endpoint exists
        assert response.status_code in (409, 422), (action, response.status_code)
        assert response.json()["code"] in ("stale", "invalid")
