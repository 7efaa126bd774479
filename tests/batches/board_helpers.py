"""Shared steps for the board's view tests: batches put in a column through the workflow, and htmx requests."""

from __future__ import annotations

import json

from django.test import Client

from batches.models import Batch
from tests.factories import batch_in  # noqa: F401  (re-exported: the tests import it from here)

Status = Batch.Status
HTMX = {"HTTP_HX_REQUEST": "true"}


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
    message = json.loads(header).get("showMessage")
    return None if message is None else {key: value for key, value in message.items() if key != "undo"}


def undo_offered(response) -> dict | None:
    """The Undo a move's toast offers ({url, version, from, ...}), if any."""
    header = response.headers.get("HX-Trigger")
    return (json.loads(header).get("showMessage") or {}).get("undo") if header else None
