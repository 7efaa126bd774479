"""The upload session endpoints upload.js talks to, and the report page."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from batches.ingest.limits import Limits
from batches.models import Batch, Image, UploadFile, UploadSession
from batches.uploads import frames
from tests.batches import ingest_samples as samples
from tests.batches.ingest_samples import stored_files

HUGE = "9" * 30


@pytest.fixture(autouse=True)
def _tasks_inline(settings, transactional_db):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def start(client, project, expected=2, fingerprint="a" * 64) -> dict:
    response = client.post(
        reverse("upload_session_start", args=[project.pk]),
        {"expected": expected, "name": "Street", "fingerprint": fingerprint},
    )
    assert response.status_code in (200, 201), response.content
    return response.json()


def send(client, urls, *pairs):
    files = [SimpleUploadedFile(name.rsplit("/", 1)[-1], data) for name, data in pairs]
    return client.post(urls["files"], {"files": files, "path": [name for name, _ in pairs]})


def test_an_upload_over_http_makes_a_batch_that_fills_and_finishes(manager_client, project):
    session = start(manager_client, project)
    assert Batch.objects.get(pk=session["batch"]).is_processing
    response = send(
        manager_client, session["urls"], ("trip/a.jpg", samples.jpeg(seed=1)), ("trip/x.svg", samples.SVG_WITH_SCRIPT)
    )
    assert response.status_code == 200
    files = response.json()["files"]
    assert [f["status"] for f in files] == ["received", "failed"]
    assert files[0]["sha256"] == hashlib.sha256(samples.jpeg(seed=1)).hexdigest()
    finished = manager_client.post(session["urls"]["finish"]).json()
    assert finished["status"] == "done"
    assert (finished["processed"], finished["failed"]) == (1, 1)
    image = Image.objects.get()
    assert image.original_name == "trip/a.jpg"
    assert not Batch.objects.get(pk=session["batch"]).is_processing


def test_a_reload_gets_the_same_session_back_and_learns_what_it_has(manager_client, project):
    session = start(manager_client, project)
    send(manager_client, session["urls"], ("a.jpg", samples.jpeg(seed=1)))
    again = start(manager_client, project)
    assert again["session"] == session["session"]
    assert again["resumed"] is True
    have = hashlib.sha256(samples.jpeg(seed=1)).hexdigest()
    response = manager_client.post(
        session["urls"]["known"], json.dumps([have, "b" * 64]), content_type="application/json"
    )
    assert response.json() == {"known": [have]}


@pytest.mark.parametrize("body", ["not json", json.dumps({"a": 1}), json.dumps(["xyz"]), json.dumps(["a" * 64] * 1001)])
def test_known_refuses_anything_but_a_short_list_of_hashes(manager_client, project, body):
    session = start(manager_client, project)
    response = manager_client.post(session["urls"]["known"], body, content_type="application/json")
    assert response.status_code == 400
    assert "error" in response.json()


@pytest.mark.parametrize("expected", ["", "-1", "²", HUGE, "abc"])
def test_start_refuses_a_count_that_is_not_a_plain_number(manager_client, project, expected):
    response = manager_client.post(reverse("upload_session_start", args=[project.pk]), {"expected": expected})
    assert response.status_code == 400
    assert not UploadSession.objects.exists()


def test_a_chunk_with_too_many_files_is_refused_whole(manager_client, project, settings):
    settings.UPLOAD_CHUNK_FILES = 2
    session = start(manager_client, project)
    pairs = [(f"{n}.jpg", samples.jpeg(seed=n)) for n in range(3)]
    assert send(manager_client, session["urls"], *pairs).status_code == 413
    assert stored_files() == []


def test_cancel_over_http_removes_everything_and_the_report_says_so(manager_client, project):
    session = start(manager_client, project)
    send(manager_client, session["urls"], ("a.jpg", samples.jpeg(seed=1)))
    response = manager_client.post(session["urls"]["cancel"])
    assert response.status_code == 302
    assert stored_files() == []
    assert not Batch.objects.exists()
    assert UploadSession.objects.get().status == UploadSession.Status.CANCELLED
    report = manager_client.get(session["urls"]["report"])
    assert "Cancelled" in report.content.decode()
    late = send(manager_client, session["urls"], ("b.jpg", samples.jpeg(seed=2)))
    assert late.status_code == 409


def test_the_report_lists_refused_files_with_their_reasons(manager_client, project):
    session = start(manager_client, project)
    send(manager_client, session["urls"], ("broken.jpg", samples.truncated_jpeg()), ("a.jpg", samples.jpeg(seed=1)))
    manager_client.post(session["urls"]["finish"])
    html = manager_client.get(session["urls"]["report"]).content.decode()
    assert "broken.jpg" in html
    assert "corrupt or truncated" in html
    assert UploadFile.objects.filter(state=UploadFile.State.READY).count() == 1


@pytest.mark.parametrize("role", ["annotator", "reviewer"])
def test_members_who_are_not_managers_are_forbidden(client, project, manager, role, request):
    client.force_login(manager)
    session = start(client, project)
    client.force_login(request.getfixturevalue(role))
    assert client.post(reverse("upload_session_start", args=[project.pk]), {"expected": 1}).status_code == 403
    assert send(client, session["urls"], ("a.jpg", samples.jpeg())).status_code == 403
    assert client.get(session["urls"]["report"]).status_code == 403
    assert client.post(session["urls"]["cancel"]).status_code == 403
    assert stored_files() == []


def test_a_non_member_learns_nothing(client, project, manager, outsider):
    client.force_login(manager)
    session = start(client, project)
    client.force_login(outsider)
    for name in ("status", "report"):
        assert client.get(session["urls"][name]).status_code == 404
    for name in ("known", "files", "finish", "cancel"):
        assert client.post(session["urls"][name]).status_code == 404
    assert UploadSession.objects.get().status == UploadSession.Status.RECEIVING


def test_another_projects_session_is_not_found(client, project, manager):
    client.force_login(manager)
    session = start(client, project)
    url = reverse("upload_session_status", args=[project.pk + 1, session["session"]])
    assert client.get(url).status_code == 404


def test_the_batch_page_links_to_its_upload_report(manager_client, project):
    session = start(manager_client, project)
    send(manager_client, session["urls"], ("a.jpg", samples.jpeg(seed=1)))
    manager_client.post(session["urls"]["finish"])
    batch = Batch.objects.get()
    html = manager_client.get(batch.get_absolute_url()).content.decode()
    assert session["urls"]["report"] in html


def test_a_processing_card_says_how_far_it_is(manager_client, project, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    session = start(manager_client, project, expected=10_000)
    html = manager_client.get(reverse("board", args=[project.pk])).content.decode()
    assert "processing 0 / 10,000" in html
    assert session["batch"]


def test_ids_past_the_databases_integers_are_a_404_not_a_500(client, project, manager):
    client.force_login(manager)
    huge = "9" * 30
    assert client.get(f"/projects/{huge}/uploads/1/").status_code == 404
    assert client.get(f"/projects/{project.pk}/uploads/{huge}/status").status_code == 404
    assert client.post(f"/projects/{huge}/uploads/1/cancel").status_code == 404


# --- the framed chunk (batches/uploads/frames.py): what upload.js sends --------------------------


def framed_body(pairs, manifest=None) -> bytes:
    manifest = manifest if manifest is not None else [{"name": name, "size": len(data)} for name, data in pairs]
    raw = json.dumps(manifest).encode()
    return b"".join([len(raw).to_bytes(4, "big"), raw, *(data for _, data in pairs)])


def send_framed(client, urls, *pairs, body=None, **extra):
    body = framed_body(pairs) if body is None else body
    return client.post(urls["files"], body, content_type=frames.CONTENT_TYPE, **extra)


def test_a_framed_chunk_makes_the_same_images_as_a_multipart_one(manager_client, project):
    session = start(manager_client, project)
    response = send_framed(
        manager_client, session["urls"], ("trip/a.jpg", samples.jpeg(seed=1)), ("trip/x.svg", samples.SVG_WITH_SCRIPT)
    )
    assert response.status_code == 200, response.content
    files = response.json()["files"]
    assert [(f["name"], f["status"]) for f in files] == [("trip/a.jpg", "received"), ("trip/x.svg", "failed")]
    assert files[0]["sha256"] == hashlib.sha256(samples.jpeg(seed=1)).hexdigest()
    finished = manager_client.post(session["urls"]["finish"]).json()
    assert (finished["status"], finished["processed"], finished["failed"]) == ("done", 1, 1)
    assert Image.objects.get().original_name == "trip/a.jpg"


def test_a_resumed_framed_upload_sends_only_what_the_session_lacks(manager_client, project):
    session = start(manager_client, project, expected=3)
    photos = [(f"{n}.jpg", samples.jpeg(seed=n)) for n in range(3)]
    send_framed(manager_client, session["urls"], *photos[:2])
    hashes = [hashlib.sha256(data).hexdigest() for _, data in photos]
    known = manager_client.post(session["urls"]["known"], json.dumps(hashes), content_type="application/json").json()
    missing = [pair for pair, sha in zip(photos, hashes, strict=True) if sha not in known["known"]]
    assert [name for name, _ in missing] == ["2.jpg"]
    # A chunk sent twice (a retry after a lost answer) is harmless: what the session has is "known".
    again = send_framed(manager_client, session["urls"], photos[1], *missing).json()["files"]
    assert [f["status"] for f in again] == ["known", "received"]
    assert manager_client.post(session["urls"]["finish"]).json()["processed"] == 3


def test_a_framed_file_over_the_limit_is_refused_as_it_streams_and_the_rest_kept(manager_client, project, settings):
    settings.UPLOAD_MAX_FILE_BYTES = 4000
    session = start(manager_client, project)
    big = samples.noisy_jpeg(400, 300, seed=3)
    assert len(big) > 4000
    files = send_framed(manager_client, session["urls"], ("big.jpg", big), ("small.jpg", samples.jpeg(seed=2)))
    assert [(f["status"], f["reason"]) for f in files.json()["files"]] == [
        ("failed", "file too large: over 3.9 KB"),
        ("received", ""),
    ]
    assert len(stored_files()) == 2  # the small one and its thumbnail (the workers run inline here)


def test_a_framed_chunk_with_too_many_files_or_bytes_is_refused_whole(manager_client, project, settings):
    settings.UPLOAD_CHUNK_FILES = 2
    session = start(manager_client, project)
    pairs = [(f"{n}.jpg", samples.jpeg(seed=n)) for n in range(3)]
    assert send_framed(manager_client, session["urls"], *pairs).status_code == 413
    settings.UPLOAD_CHUNK_FILES = 20
    settings.UPLOAD_CHUNK_BYTES = 1000
    response = send_framed(manager_client, session["urls"], *pairs)
    assert response.status_code == 413
    assert "at most" in response.json()["error"]
    assert stored_files() == []
    assert not UploadFile.objects.exists()


PHOTO = ("a.jpg", samples.jpeg(seed=1))
MALFORMED = {
    "no manifest": b"\x00\x00",
    "manifest longer than the body": (10**6).to_bytes(4, "big") + b"[]",
    "manifest over its limit": (10**9).to_bytes(4, "big") + b"x" * 100,
    "manifest not JSON": b"\x00\x00\x00\x03[[[",
    "manifest not UTF-8": b"\x00\x00\x00\x02\xff\xfe",
    "manifest deeply nested": len(b"[" * 20_000).to_bytes(4, "big") + b"[" * 20_000,
    "manifest an object": framed_body([], manifest={"name": "a", "size": 1}),
    "manifest empty": framed_body([], manifest=[]),
    "entry without size": framed_body([PHOTO], manifest=[{"name": "a.jpg"}]),
    "size a float": framed_body([PHOTO], manifest=[{"name": "a.jpg", "size": float(len(PHOTO[1]))}]),
    "size true": framed_body([("a", b"x")], manifest=[{"name": "a", "size": True}]),
    "size negative": framed_body([PHOTO], manifest=[{"name": "a.jpg", "size": -1}]),
    "size huge": framed_body([PHOTO], manifest=[{"name": "a.jpg", "size": 10**30}]),
    "name not text": framed_body([PHOTO], manifest=[{"name": 7, "size": len(PHOTO[1])}]),
    "name too long": framed_body([PHOTO], manifest=[{"name": "a" * 1001, "size": len(PHOTO[1])}]),
    "body shorter than declared": framed_body([PHOTO])[:-10],
    "body longer than declared": framed_body([PHOTO]) + b"extra",
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_framed_chunk_is_a_clear_400_and_stores_nothing(manager_client, project, body):
    session = start(manager_client, project)
    response = send_framed(manager_client, session["urls"], body=body)
    assert response.status_code == 400, response.content
    assert response.json()["error"]
    assert stored_files() == []
    assert not UploadFile.objects.exists()


def test_a_body_cut_short_on_the_wire_or_without_a_length_is_refused():
    # (The test client cannot send less than its Content-Length says, nor an empty body with a type.)
    body = framed_body([PHOTO])
    with pytest.raises(frames.FrameError) as refused:
        frames.read_chunk(io.BytesIO(body[:-10]), len(body), Limits(), max_files=20, max_bytes=10**6)
    assert (refused.value.status, "interrupted" in refused.value.message) == (400, True)
    with pytest.raises(frames.FrameError) as refused:
        frames.read_chunk(io.BytesIO(body), 0, Limits(), max_files=20, max_bytes=10**6)
    assert (refused.value.status, "Content-Length" in refused.value.message) == (400, True)


def test_a_framed_chunk_needs_the_csrf_token_like_any_post(project, manager, client):
    client.force_login(manager)
    session = start(client, project)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(manager)
    assert send_framed(strict, session["urls"], PHOTO).status_code == 403
    assert not UploadFile.objects.exists()


def test_names_in_a_framed_chunk_lose_their_invisible_characters(manager_client, project):
    session = start(manager_client, project)
    files = send_framed(manager_client, session["urls"], ("trip/\u202eevil\x00.jpg", samples.jpeg(seed=1)))
    assert files.json()["files"][0]["name"] == "trip/evil.jpg"
