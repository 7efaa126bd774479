"""Hostile input to every API endpoint: wrong types, huge numbers, NUL and bidi text, deep or broken JSON,
strange headers and query strings. Never a 5xx; a refused request changes nothing.
(tests/test_hostile_urls.py walks these URLs too, with form bodies; this sends JSON.)"""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from batches.models import Batch
from tests.api.helpers import ApiClient
from tests.api.world import World
from tests.test_hostile_urls import database_state

pytestmark = pytest.mark.django_db
Status = Batch.Status

HOSTILE_VALUES = [
    None,
    True,
    -1,
    0,
    10**30,
    -(10**30),
    1.5,
    float("nan"),
    float("inf"),
    "",
    "a\x00b",
    "\u202eevil\u2066",
    "\u0663",
    "x" * 30_000,
    [],
    [None, "x", 10**30],
    {},
    {"$gt": 1},
]
RAW_BODIES = [
    b"",
    b"{",
    b"[]",
    b'"x"',
    b"1",
    b"null",
    b"\xff\xfe",
    b"[" * 5000 + b"]" * 5000,
    b'{"a":' * 50 + b"1" + b"}" * 50,
]


def writes(w: World) -> list[tuple[str, str, dict]]:
    """Every endpoint that takes a body, with a body it would accept."""
    p = f"/projects/{w.project.pk}"
    car = w.label_class.pk
    un, an, rv, ds = (w.batches[s] for s in Status.values)
    box = {"label_class": car, "x": 1, "y": 1, "w": 5, "h": 5}
    other = w.upload.pk
    return [
        ("post", f"{p}/classes", {"name": "bus", "colour": "#123456", "key": 5}),
        ("patch", f"{p}/classes/{car}", {"name": "auto", "colour": "#654321", "key": 3}),
        ("post", f"{p}/members", {"who": "spare", "roles": ["annotator"]}),
        ("put", f"{p}/members/{w.spare.pk}", {"roles": ["reviewer"]}),
        (
            "post",
            f"{p}/batches/{un.pk}/assign",
            {"version": un.version, "assignees": [w.annotator.pk], "count": 1, "image_ids": None},
        ),
        ("post", f"{p}/batches/{an.pk}/reassign", {"version": an.version, "assignee": w.spare.pk}),
        ("post", f"{p}/batches/{an.pk}/submit", {"version": an.version}),
        ("post", f"{p}/batches/{rv.pk}/reopen", {"version": rv.version, "assignee": w.spare.pk, "comment": "fix"}),
        ("post", f"{p}/batches/{ds.pk}/reset", {"version": ds.version}),
        ("post", f"{p}/batches/{un.pk}/delete", {"version": un.version}),
        (
            "post",
            f"{p}/batches/{un.pk}/merge",
            {"version": un.version, "other": un.pk, "other_version": 1, "name": "m"},
        ),
        ("post", f"{p}/batches/{an.pk}/reorder", {"version": an.version, "before": rv.pk, "after": un.pk}),
        ("post", f"{p}/batches/{an.pk}/undo", {"version": an.version}),
        (
            "put",
            f"{p}/images/{w.image[Status.ANNOTATING].pk}/annotations",
            {"boxes": [box], "no_objects": False, "version": an.version},
        ),
        ("post", f"{p}/uploads", {"expected": 2, "name": "u", "fingerprint": "0" * 64}),
        ("post", f"{p}/uploads/{other}/known", {"hashes": ["0" * 64]}),
        (
            "post",
            f"{p}/exports",
            {"format": "coco", "include_images": False, "split": [80, 10, 10], "seed": 1, "batch_ids": [ds.pk]},
        ),
    ]


def _send(client, method, path, raw, problems, **headers):
    with transaction.atomic():
        response = client.send(method, path, raw=raw, **headers)
        transaction.set_rollback(True)
    if response.status_code >= 500:
        problems.append(
            f"{method.upper()} {path} {raw[:80]!r} {headers}: {response.status_code} {response.content[:200]!r}"
        )
    return response


def test_no_hostile_body_answers_a_server_error():
    world = World()
    client = ApiClient(world.manager)
    problems = []
    before = database_state()
    for method, path, valid in writes(world):
        for raw in RAW_BODIES:
            _send(client, method, path, raw, problems)
        for field in valid:
            for value in HOSTILE_VALUES:
                raw = json.dumps({**valid, field: value})  # NaN and Infinity go out as JSON's old extensions
                _send(client, method, path, raw, problems)
        # Nested inside lists and boxes too.
        if "boxes" in valid:
            for key in ("label_class", "x", "y", "w", "h"):
                for value in HOSTILE_VALUES:
                    body = {**valid, "boxes": [{**valid["boxes"][0], key: value}]}
                    _send(client, method, path, json.dumps(body), problems)
    assert not problems, "\n".join(problems)
    assert database_state() == before


def test_no_hostile_header_or_query_answers_a_server_error():
    world = World()
    client = ApiClient(world.manager)
    batch = world.batches[Status.ANNOTATING]
    p = f"/projects/{world.project.pk}"
    problems = []
    for value in ["", "\x00", "W/", '"', "9" * 40, "-1", "\u0663", "x" * 5000, 'W/"\u202e"']:
        _send(client, "post", f"{p}/batches/{batch.pk}/submit", "", problems, HTTP_IF_MATCH=value)
        response = ApiClient(secret=value).get(p)
        if response.status_code != 401:
            problems.append(f"token {value[:20]!r}: {response.status_code}")
        for name in ("status", "q", "assignee", "cursor", "limit"):
            response = client.get(f"{p}/batches", {name: value})
            if response.status_code >= 500:
                problems.append(f"?{name}={value[:20]!r}: {response.status_code}")
        for path in (f"{p}/batches/{batch.pk}/images", f"{p}/exports"):
            if client.get(path, {"cursor": value, "limit": value}).status_code >= 500:
                problems.append(f"{path} {value[:20]!r}")
    for cursor in ["WzEsMl0", "WyJ4IiwgMV0", "W251bGwsIDFd", "WzFlOTk5LCAxXQ", "W05hTiwgMV0", "WzEuMCwgLTFd"]:
        response = client.get(
            f"{p}/batches", {"cursor": cursor}
        )  # [1,2], ["x",1], [null,1], [1e999,1], [NaN,1], [1.0,-1]
        if response.status_code >= 500:
            problems.append(f"cursor {cursor}: {response.status_code} {response.content[:200]!r}")
    assert not problems, "\n".join(problems)
