"""The API's work end to end: annotations with the workspace's validation, review flags, an upload session
with real files, and an export job downloaded as a zip COCO tools read."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from batches import workflow
from batches.models import Annotation, Batch, Image, UploadSession
from tests.api.helpers import API, ApiClient
from tests.api.world import stored_batch
from tests.factories import batch_in, jpeg_bytes

pytestmark = pytest.mark.django_db
Status = Batch.Status


def test_annotations_are_replaced_with_the_workspaces_checks(project, manager, annotator, reviewer):
    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, reviewer=reviewer, images=2)
    image = batch.images.order_by("pk").first()
    car = project.label_classes.get(name="car")
    client = ApiClient(annotator)
    url = f"/projects/{project.pk}/images/{image.pk}/annotations"
    box = {"label_class": car.pk, "x": 10, "y": 10, "w": 50, "h": 40}

    saved = client.put(url, {"boxes": [box, {**box, "x": 100}]})
    assert saved.status_code == 200, saved.content
    assert [b["x"] for b in saved.json()["boxes"]] == [10, 100]
    assert saved.json()["progress"] == {"done": 1, "total": 2}
    outside = client.put(url, {"boxes": [{**box, "x": 630}]})
    assert (outside.status_code, outside.json()["code"]) == (400, "invalid")
    assert "outside the image" in outside.json()["message"]
    assert client.put(url, {"boxes": [{**box, "label_class": 10**30}]}).status_code == 400
    assert client.get(url).json()["boxes"][0]["label_class"] == car.pk
    assert ApiClient(reviewer).put(url, {"boxes": []}).json()["code"] == "forbidden"

    batch = workflow.submit(actor=annotator, batch=Batch.objects.get(pk=batch.pk))
    late = client.put(url, {"boxes": [], "version": batch.version - 1})
    assert (late.status_code, late.json()["code"]) == (409, "stale")
    assert Annotation.objects.filter(image=image).count() == 2


def test_a_reviewer_flags_an_image_in_review(project, manager, annotator, reviewer):
    batch = batch_in(Status.REVIEW, project, manager=manager, annotator=annotator, reviewer=reviewer, images=2)
    image = batch.images.first()
    response = ApiClient(reviewer).put(
        f"/projects/{project.pk}/images/{image.pk}/flag", {"flagged": True, "note": "blurry\x00"}
    )
    assert response.status_code == 200
    image.refresh_from_db()
    assert image.review_flag and image.review_note == "blurry"


def test_an_upload_session_takes_files_in_chunks_and_resumes(project, manager, django_capture_on_commit_callbacks):
    client = ApiClient(manager)
    files = [jpeg_bytes(64, 48, colour=(n * 40, 10, 10)) for n in range(3)]
    fingerprint = hashlib.sha256(b"my file list").hexdigest()
    started = client.post(
        f"/projects/{project.pk}/uploads", {"expected": 3, "name": "Drone", "fingerprint": fingerprint}
    )
    assert started.status_code == 201, started.content
    session = started.json()
    chunk = {"files": [SimpleUploadedFile(f"img{n}.jpg", data) for n, data in enumerate(files[:2])]}
    with django_capture_on_commit_callbacks(execute=True):  # the workers' part runs as the request commits
        sent = client.client.post(
            API + session["urls"]["files"][len(API) :], chunk, HTTP_AUTHORIZATION=f"Bearer {client.secret}"
        )
    assert sent.status_code == 200, sent.content
    assert [f["status"] for f in sent.json()["files"]] == ["received", "received"]

    resumed = client.post(f"/projects/{project.pk}/uploads", {"expected": 3, "fingerprint": fingerprint})
    assert resumed.status_code == 200 and resumed.json()["resumed"] and resumed.json()["id"] == session["id"]
    hashes = [hashlib.sha256(data).hexdigest() for data in files]
    known = client.post(f"/projects/{project.pk}/uploads/{session['id']}/known", {"hashes": hashes})
    assert known.json()["known"] == hashes[:2]
    rest = {"files": [SimpleUploadedFile("img2.jpg", files[2]), SimpleUploadedFile("notes.jpg", b"not a picture")]}
    with django_capture_on_commit_callbacks(execute=True):
        client.client.post(
            API + session["urls"]["files"][len(API) :], rest, HTTP_AUTHORIZATION=f"Bearer {client.secret}"
        )
        finished = client.post(f"/projects/{project.pk}/uploads/{session['id']}/finish")
    assert finished.status_code == 200
    report = client.get(f"/projects/{project.pk}/uploads/{session['id']}").json()
    assert report["status"] == UploadSession.Status.DONE, report
    assert [r["name"] for r in report["refused"]] == ["notes.jpg"]
    batch = Batch.objects.get(pk=report["batch"])
    assert batch.image_count == 3 and not batch.is_processing


def test_an_upload_session_takes_a_framed_chunk_too(project, manager, django_capture_on_commit_callbacks):
    client = ApiClient(manager)
    files = [(f"drone/{n}.jpg", jpeg_bytes(64, 48, colour=(n * 40, 10, 10))) for n in range(2)]
    session = client.post(f"/projects/{project.pk}/uploads", {"expected": 2}).json()
    manifest = json.dumps([{"name": name, "size": len(data)} for name, data in files]).encode()
    body = len(manifest).to_bytes(4, "big") + manifest + b"".join(data for _, data in files)
    url = API + session["urls"]["files"][len(API) :]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {client.secret}"}
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.client.post(url, body, content_type="application/vnd.binaboard.chunk", **auth)
        client.post(f"/projects/{project.pk}/uploads/{session['id']}/finish")
    assert sent.status_code == 200, sent.content
    assert [(f["name"], f["status"]) for f in sent.json()["files"]] == [
        ("drone/0.jpg", "received"),
        ("drone/1.jpg", "received"),
    ]
    report = client.get(f"/projects/{project.pk}/uploads/{session['id']}").json()
    assert (report["status"], report["processed"]) == (UploadSession.Status.DONE, 2)
    bad = client.client.post(url, body[:-1], content_type="application/vnd.binaboard.chunk", **auth)
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid")
    assert "sum of its files" in bad.json()["message"]


def test_files_must_come_as_multipart(project, manager):
    client = ApiClient(manager)
    session = client.post(f"/projects/{project.pk}/uploads", {"expected": 1}).json()
    response = client.post(f"/projects/{project.pk}/uploads/{session['id']}/files", {"files": ["x"]})
    assert (response.status_code, response.json()["code"]) == (400, "invalid")


def test_an_export_job_is_started_followed_and_downloaded_as_coco(project, manager, annotator, reviewer):
    batch = stored_batch(project, manager, n=2)
    batch = workflow.assign(actor=manager, batch=batch, assignees=[annotator]).assigned[0]
    car = project.label_classes.get(name="car")
    Annotation.objects.create(image=batch.images.first(), label_class=car, x=1, y=2, w=10, h=12, author=annotator)
    batch = workflow.submit(actor=manager, batch=batch)
    workflow.approve(actor=reviewer, batch=batch)
    client = ApiClient(manager)

    started = client.post(f"/projects/{project.pk}/exports", {"format": "coco", "split": [80, 10, 10], "seed": 7})
    assert started.status_code == 202, started.content
    job = started.json()
    from batches.export.jobs import make_export

    make_export(job["id"])  # the worker (tests run tasks at commit; the test transaction never commits)
    status = client.get(f"/projects/{project.pk}/exports/{job['id']}").json()
    assert status["status"] == "done" and status["download_url"]
    download = client.client.get(status["download_url"], HTTP_AUTHORIZATION=f"Bearer {client.secret}")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    names = [n for n in archive.namelist() if n.endswith(".json")]
    coco = json.loads(archive.read(next(n for n in names if "train" in n or "instances" in n)))
    assert {c["name"] for c in coco["categories"]} >= {"car"}
    bad = client.post(f"/projects/{project.pk}/exports", {"format": "coco", "split": [50, 10, 10]})
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid")
    assert client.post(f"/projects/{project.pk}/exports", {"batch_ids": [10**6]}).status_code == 400
    assert Image.objects.filter(project=project).count() == 2
