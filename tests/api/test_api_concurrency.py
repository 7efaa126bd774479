"""Optimistic concurrency: the version a client saw guards every move; two clients on one batch, one wins."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from accounts.roles import grant_role
from batches import workflow
from batches.models import Batch, BatchEvent
from tests.api.helpers import ApiClient
from tests.factories import batch_in, make_batch, make_user

Status = Batch.Status


@pytest.mark.django_db
def test_two_clients_move_one_batch_one_wins_the_other_is_told_who(project, manager, reviewer, annotator):
    second = make_user("reviewer2")
    grant_role(project, second, "reviewer")
    batch = batch_in(Status.REVIEW, project, manager=manager, annotator=annotator, reviewer=reviewer)
    url = f"/projects/{project.pk}/batches/{batch.pk}"

    first = ApiClient(reviewer).post(f"{url}/approve", {"version": batch.version})
    late = ApiClient(second).post(f"{url}/reject", {"version": batch.version, "comment": "Fix it"})

    assert first.status_code == 200
    assert first.json()["status"] == Status.DATASET
    assert late.status_code == 409
    body = late.json()
    assert body["code"] == "stale"
    assert body["changed_by"]["by"] == "reviewer" and body["changed_by"]["action"] == "approved"
    assert body["batch"] == {
        "id": batch.pk,
        "status": Status.DATASET,
        "version": batch.version + 1,
        "assignee": "annotator",
        "name": batch.name,
    }
    assert late["ETag"] == f'"{batch.version + 1}"'
    assert BatchEvent.objects.filter(batch=batch, action=BatchEvent.Action.REJECTED).count() == 0


@pytest.mark.django_db
def test_if_match_carries_the_version_and_a_move_without_one_is_refused(project, manager, annotator):
    batch = make_batch(project, manager, images=2)
    client = ApiClient(manager)
    url = f"/projects/{project.pk}/batches/{batch.pk}/assign"

    missing = client.post(url, {"assignees": [annotator.pk]})
    stale = client.post(url, {"assignees": [annotator.pk]}, HTTP_IF_MATCH=f'"{batch.version + 5}"')
    fine = client.post(url, {"assignees": [annotator.pk]}, HTTP_IF_MATCH=f'W/"{batch.version}"')

    assert (missing.status_code, missing.json()["code"]) == (428, "precondition")
    assert (stale.status_code, stale.json()["code"]) == (409, "stale")
    assert fine.status_code == 200
    assert Batch.objects.get(pk=batch.pk).status == Status.ANNOTATING


@pytest.mark.django_db
def test_a_refused_move_says_where_the_batch_is(project, manager):
    batch = make_batch(project, manager, images=2)
    response = ApiClient(manager).post(f"/projects/{project.pk}/batches/{batch.pk}/submit", {"version": batch.version})
    assert response.status_code == 409
    assert response.json()["code"] == "refused"
    assert response.json()["batch"]["status"] == Status.UNASSIGNED
    assert response.json()["changed_by"]["action"] == "created"


def race(requests: dict) -> dict:
    """Send the requests at once, one thread each (a barrier starts them together); the answers by name."""
    barrier = threading.Barrier(len(requests))
    answers = {}

    def run(name, send):
        try:
            barrier.wait(timeout=10)
            answers[name] = send()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in requests.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a request hung (deadlock?)"
    return answers


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_clients_racing_on_postgresql_one_200_one_409(project, manager, reviewer, annotator, monkeypatch):
    real = workflow.membership_now

    def slow(actor, project):  # hold the batch's lock a little, so the second request really waits on it
        time.sleep(0.05)
        return real(actor, project)

    monkeypatch.setattr(workflow, "membership_now", slow)
    second = make_user("reviewer2")
    grant_role(project, second, "reviewer")
    approver, rejecter = ApiClient(reviewer), ApiClient(second)
    for _round in range(3):
        batch = batch_in(Status.REVIEW, project, manager=manager, annotator=annotator, reviewer=reviewer)
        url = f"/projects/{project.pk}/batches/{batch.pk}"
        answers = race(
            {
                "approve": lambda url=url, v=batch.version: approver.post(f"{url}/approve", {"version": v}),
                "reject": lambda url=url, v=batch.version: rejecter.post(
                    f"{url}/reject", {"version": v, "comment": "Fix it"}
                ),
            }
        )
        codes = sorted(response.status_code for response in answers.values())
        assert codes == [200, 409], {a: r.content for a, r in answers.items()}
        loser = next(r for r in answers.values() if r.status_code == 409)
        assert loser.json()["code"] == "stale"
        decisions = BatchEvent.objects.filter(batch_id=batch.pk, action__in=["approved", "rejected"])
        assert decisions.count() == 1
