"""Shared steps for the board's view tests: batches put in a column through the workflow, and htmx requests."""

from __future__ import annotations

import json

from django.test import Client

from batches import workflow
from batches.models import Batch
from tests.factories import make_batch

Status = Batch.Status
HTMX = {"HTTP_HX_REQUEST": "true"}


def batch_in(status: str, project, *, manager, annotator=None, reviewer=None, images: int = 10, name=None) -> Batch:
    """A new batch moved through the workflow (never written directly) into `status`."""
    batch = make_batch(project, manager, images=images, name=name)
    if status == Status.UNASSIGNED:
        return batch
    batch = workflow.assign(actor=manager, batch=batch, assignees=[annotator]).assigned[0]
    if status == Status.ANNOTATING:
        return batch
    batch = workflow.submit(actor=manager, batch=batch)
    if status == Status.REVIEW or batch.status == status:
        return batch
    return workflow.approve(actor=reviewer, batch=batch)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def seen(batch: Batch) -> dict:
    """The fields every move posts: the batch's version and column as the person saw them."""
    return {"version": str(batch.version), "from": batch.status}


def shown_message(response) -> dict | None:
    """The {text, level} of the showMessage event an htmx answer triggers, if any."""
    header = response.headers.get("HX-Trigger")
    if not header:
        return None
    return json.loads(header).get("showMessage")
