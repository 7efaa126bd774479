"""Cursor paging of batches and images: every batch that stays put is listed exactly once while others move."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from batches import workflow
from batches.models import Batch
from tests.api.helpers import ApiClient
from tests.factories import batch_in, make_batch

pytestmark = pytest.mark.django_db
Status = Batch.Status


def test_paging_is_stable_while_cards_move(project, manager, annotator):
    batches = [make_batch(project, manager, images=2, name=f"B{n:02}") for n in range(25)]
    client = ApiClient(manager)
    url = f"/projects/{project.pk}/batches"
    first = client.get(url, {"status": Status.UNASSIGNED, "limit": 10}).json()
    seen = [item["id"] for item in first["items"]]
    # Meanwhile: a batch already listed and one not listed yet are assigned (they leave the column),
    # and a new one is uploaded (it lands at the top, before the cursor).
    moved = [Batch.objects.get(pk=seen[3]), Batch.objects.get(pk=batches[2].pk)]
    for batch in moved:
        workflow.assign(actor=manager, batch=batch, assignees=[annotator])
    make_batch(project, manager, images=1, name="New")
    cursor = first["next_cursor"]
    while cursor:
        page = client.get(url, {"status": Status.UNASSIGNED, "limit": 10, "cursor": cursor}).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]

    stayed = {b.pk for b in batches} - {b.pk for b in moved}
    assert len(seen) == len(set(seen)), "a batch was listed twice"
    assert stayed <= set(seen), "a batch that stayed in its column was skipped"


def test_the_filters_are_the_boards(project, manager, annotator, annotator2):
    mine = make_batch(project, manager, images=2, name="Street north")
    workflow.assign(actor=manager, batch=mine, assignees=[annotator])
    theirs = make_batch(project, manager, images=2, name="Street south")
    workflow.assign(actor=manager, batch=theirs, assignees=[annotator2])
    make_batch(project, manager, images=2, name="Harbour")
    client = ApiClient(annotator)
    url = f"/projects/{project.pk}/batches"

    def ids(**params):
        return {item["id"] for item in client.get(url, params).json()["items"]}

    assert ids(q="street") == {mine.pk, theirs.pk}
    assert ids(assignee="me") == {mine.pk}
    assert ids(assignee=str(annotator2.pk)) == {theirs.pk}
    assert ids(status=Status.UNASSIGNED, q="harbour") == {Batch.objects.get(name="Harbour").pk}
    assert client.get(url, {"status": "nowhere"}).json()["code"] == "invalid"
    assert client.get(url, {"cursor": "not-a-cursor"}).status_code == 400


def test_images_page_by_id(project, manager):
    batch = make_batch(project, manager, images=7)
    client = ApiClient(manager)
    url = f"/projects/{project.pk}/batches/{batch.pk}/images"
    got, cursor = [], None
    while True:
        page = client.get(url, {"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        got += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert got == sorted(batch.images.values_list("pk", flat=True))


def _add_batches(project, manager, annotator, n: int) -> None:
    for k in range(n):
        batch = make_batch(project, manager, images=3 if k % 2 else 6)
        if k % 3 == 0:
            workflow.assign(actor=manager, batch=batch, assignees=[annotator])


def _query_counts(client, project) -> dict[str, int]:
    biggest = Batch.objects.filter(project=project).order_by("-image_count", "-pk").first()
    counts = {}
    for name, path in [
        ("batches", f"/projects/{project.pk}/batches?limit=200"),
        ("images", f"/projects/{project.pk}/batches/{biggest.pk}/images?limit=200"),
        ("projects", "/projects"),
    ]:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        counts[name] = len(queries)
    return counts


def test_list_endpoints_cost_the_same_queries_whatever_the_size(project, manager, annotator):
    client = ApiClient(manager)
    _add_batches(project, manager, annotator, 4)
    client.get("/projects")  # the token's last-used time is written once a minute: not in the counts below
    small = _query_counts(client, project)
    _add_batches(project, manager, annotator, 36)
    make_batch(project, manager, images=60)
    large = _query_counts(client, project)

    assert small == large
    assert large["batches"] <= 6, large
    assert large["images"] <= 7, large


@pytest.mark.parametrize("assignee", ["sam", "-1", "1.5", "99999999999999999999999", "۳"])
def test_an_assignee_filter_it_cannot_read_is_refused_not_dropped(project, manager, assignee):
    make_batch(project, manager, name="Street 1")
    answer = ApiClient(manager).get(f"/projects/{project.pk}/batches", {"assignee": assignee})
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid"


def test_the_assignee_filter_takes_me_and_ids(project, manager, annotator, annotator2):
    make_batch(project, manager, name="Street 1")
    theirs = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, name="Street 2")
    others = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator2, name="Street 3")

    def names(api, assignee):
        items = api.get(f"/projects/{project.pk}/batches", {"assignee": assignee}).json()["items"]
        return sorted(item["name"] for item in items)

    assert names(ApiClient(annotator), "me") == [theirs.name]
    assert names(ApiClient(manager), "me") == []
    assert names(ApiClient(manager), str(annotator2.pk)) == [others.name]
    assert names(ApiClient(manager), "") == ["Street 1", "Street 2", "Street 3"]
