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
        ("post", f"{p}/webhooks", {"url": "https://hooks.example/b", "events": ["batch.approved"], "active": True}),
        (
            "patch",
            f"{p}/webhooks/{w.webhook.pk}",
            {"url": "https://hooks.example/c", "events": ["export.ready"], "active": False, "new_secret": True},
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


HOSTILE_URLS = [
    "http://127.0.0.1/",
    "http://[::1]:80/",
    "http://0x7f.1/",
    "http://2130706433/",
    "http://[::ffff:10.0.0.1]/",
    "http://169.254.169.254/latest/meta-data",
    "http://user:pw@hooks.example/",
    "file:///etc/passwd",
    "gopher://hooks.example/",
    "javascript:alert(1)",
    "https://",
    "https://hooks.example:99999/",
    "https://\u202ehooks.example/",
    "https://hooks.example/\x00",
    "https://" + "a" * 3000 + ".example/",
    "http://localhost./",
]


def test_webhook_urls_that_lead_inside_are_field_errors_and_change_nothing():
    world = World()
    client = ApiClient(world.manager)
    p = f"/projects/{world.project.pk}/webhooks"
    problems = []
    before = database_state()
    for url in HOSTILE_URLS:
        for method, path in (("post", p), ("patch", f"{p}/{world.webhook.pk}")):
            response = _send(client, method, path, json.dumps({"url": url, "events": ["batch.approved"]}), problems)
            if response.status_code != 422 or [e["field"] for e in response.json().get("errors", [])] != ["url"]:
                problems.append(f"{method} {url[:40]!r}: {response.status_code} {response.content[:160]!r}")
    assert not problems, "\n".join(problems)
    assert database_state() == before


def test_no_hostile_label_import_answers_a_server_error():
    """Multipart and other bodies to the label import: bad zips, wrong fields, huge text. Never a 5xx, nothing made."""
    import io
    import zipfile

    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.api.helpers import API

    world = World()
    client = ApiClient(world.manager)
    path = f"{API}/projects/{world.project.pk}/label-imports"
    headers = client._headers({})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../evil.jpg", b"x")
        archive.writestr("annotations.json", "[" * 5000)
        archive.writestr("labels.txt", "\x00\xff")
    bad_zip = buffer.getvalue()
    problems = []
    before = database_state()
    bodies = [
        {},
        {"format": "coco"},
        {"archive": SimpleUploadedFile("a.zip", b"not a zip"), "format": "coco"},
        {"archive": SimpleUploadedFile("a.jpg", b"x"), "format": "coco"},
        {"archive": SimpleUploadedFile("a.zip", bad_zip), "format": "coco"},
        {"archive": SimpleUploadedFile("a.zip", bad_zip), "format": "yolo", "unknown": "refuse"},
        {"archive": SimpleUploadedFile("a.zip", bad_zip), "format": "voc", "mapping": "=\n==\n\x00=\u202e"},
        {"archive": SimpleUploadedFile("a.zip", bad_zip), "format": "\x00"},
        {"archive": SimpleUploadedFile("a.zip", bad_zip), "format": "coco", "unknown": "explode"},
        {"archive": SimpleUploadedFile("a.zip", bad_zip), "format": "coco", "mapping": "a = b\n" * 5000},
        {"archive": SimpleUploadedFile("a.zip", bad_zip), "format": "coco", "name": "x" * 30_000},
    ]
    for body in bodies:
        for item in body.values():
            if hasattr(item, "seek"):
                item.seek(0)
        with transaction.atomic():
            response = client.client.post(path, body, **headers)
            transaction.set_rollback(True)
        if response.status_code >= 500 or response.status_code == 201:
            problems.append(f"{sorted(body)}: {response.status_code} {response.content[:200]!r}")
    for raw in RAW_BODIES:
        response = _send(client, "post", f"/projects/{world.project.pk}/label-imports", raw, problems)
        if response.status_code != 400:
            problems.append(f"JSON {raw[:20]!r}: {response.status_code}")
    assert not problems, "\n".join(problems)
    assert database_state() == before
