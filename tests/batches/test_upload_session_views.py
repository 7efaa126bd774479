"""The upload session endpoints upload.js talks to, and the report page."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from batches.models import Batch, Image, UploadFile, UploadSession
from tests.batches import ingest_samples as samples
from tests.batches.ingest_samples import stored_files

HUGE = "9" * 30


@pytest.fixture(autouse=True)
def _tasks_inline(settings, transactional_db):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


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
