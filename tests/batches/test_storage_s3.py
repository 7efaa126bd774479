"""The same storage tests on local disk and on S3 (django-storages against moto's S3 server on 127.0.0.1)."""

from __future__ import annotations

import datetime as dt
import errno
import io
import os
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from batches import workflow
from batches.ingest import pipeline
from batches.ingest.pipeline import Source, ingest
from batches.models import Batch, Image, StoredFile
from batches.workflow import WorkflowError
from tests.batches import ingest_samples as samples
from tests.batches.ingest_samples import stored_files
from tests.batches.metadata_samples import assert_no_metadata, telling_jpeg

CREDENTIALS = {"access_key": "testing", "secret_key": "testing", "region_name": "us-east-1"}


@pytest.fixture(scope="module")
def s3_endpoint():
    boto3 = pytest.importorskip("boto3")
    server_module = pytest.importorskip("moto.server")
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    yield endpoint, client
    server.stop()


@pytest.fixture(params=["local", "s3"])
def backend(request, settings):
    """Each test runs twice: on local disk (conftest's temporary MEDIA_ROOT), and on a fresh S3 bucket."""
    if request.param == "s3":
        endpoint, client = request.getfixturevalue("s3_endpoint")
        bucket = f"binaboard-{uuid.uuid4().hex[:12]}"
        client.create_bucket(Bucket=bucket)
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": bucket,
                    "endpoint_url": endpoint,
                    "addressing_style": "path",
                    "file_overwrite": True,
                    "default_acl": None,
                    "signature_version": "s3v4",
                    **CREDENTIALS,
                },
            },
        }
    return request.param


def fetch(client, url) -> tuple[int, str, bytes]:
    """What a browser gets for a media URL: on S3 the view redirects, and the bucket sends the bytes."""
    response = client.get(url)
    if response.status_code != 302:
        body = b"".join(response.streaming_content) if response.streaming else response.content
        return response.status_code, response.get("Content-Type", ""), body
    try:
        with urllib.request.urlopen(response["Location"], timeout=10) as answer:
            return answer.status, answer.headers["Content-Type"], answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read()


def upload(manager, project, *pairs, **kwargs):
    sources = [Source.from_bytes(name, data) for name, data in pairs]
    return ingest(actor=manager, project=project, sources=sources, **kwargs)


def names_of(batch) -> list[str]:
    return sorted(name for image in batch.images.all() for name in (image.file.name, image.thumbnail.name))


def test_the_backend_under_test_is_the_one_configured(backend):
    default_storage.save("probe.txt", ContentFile(b"probe"))
    kind = type(default_storage._wrapped).__name__
    assert kind == ("S3Storage" if backend == "s3" else "FileSystemStorage")
    assert default_storage.exists("probe.txt")


def test_an_upload_stores_files_and_thumbnails_and_only_members_get_them(backend, client, project, manager, outsider):
    client.force_login(manager)
    files = [samples.jpeg(), samples.SVG_WITH_SCRIPT]
    response = client.post(
        reverse("upload", args=[project.pk]),
        {"files": [SimpleUploadedFile("a.jpg", files[0]), SimpleUploadedFile("b.svg", files[1])]},
    )
    assert response.status_code == 200
    batch = Batch.objects.get(project=project)
    image = batch.images.get()
    assert stored_files() == names_of(batch)

    assert fetch(client, reverse("image_file", args=[image.pk])) == (200, "image/jpeg", files[0])
    status, content_type, thumb = fetch(client, reverse("image_thumbnail", args=[image.pk]))
    assert (status, content_type) == (200, "image/jpeg")
    assert thumb.startswith(b"\xff\xd8\xff")

    client.force_login(outsider)
    assert client.get(reverse("image_file", args=[image.pk])).status_code == 404


def test_refused_files_leave_nothing_in_storage(backend, project, manager):
    report = upload(
        manager,
        project,
        ("cut.jpg", samples.truncated_jpeg()),
        ("bomb.png", samples.bomb_png()),
        ("page.html", samples.HTML_PAGE),
        ("hostile.zip", samples.zip_archive([("../x.jpg", samples.jpeg())])),
    )
    assert report.batch is None
    assert stored_files() == []


def test_when_the_batch_cannot_be_created_the_stored_files_are_removed(backend, project, manager, monkeypatch):
    def refuse(**kwargs):
        raise WorkflowError("No.", kind=WorkflowError.INVALID)

    monkeypatch.setattr(pipeline, "create_batch", refuse)
    assert upload(manager, project, ("a.jpg", samples.jpeg()), ("b.jpg", samples.jpeg())).batch is None
    assert stored_files() == []


def test_a_batch_deleted_for_good_loses_its_files_only_after_the_commit(
    backend, project, manager, django_capture_on_commit_callbacks
):
    batch = upload(manager, project, ("a.jpg", samples.jpeg()), ("b.jpg", samples.jpeg())).batch
    names = names_of(batch)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        workflow.delete_batch(actor=manager, batch=batch)
    assert stored_files() == names  # the rows are gone, but the transaction has not committed yet
    for callback in callbacks:
        callback()
    assert stored_files() == []


def test_a_rolled_back_delete_keeps_the_files(backend, project, manager, django_capture_on_commit_callbacks):
    batch = upload(manager, project, ("a.jpg", samples.jpeg())).batch
    names = names_of(batch)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        workflow.delete_batch(actor=manager, batch=batch)
        raise RuntimeError("something failed after the delete")
    assert Batch.objects.filter(pk=batch.pk).exists()
    assert stored_files() == names


def test_cleanup_media_removes_what_no_row_points_to(backend, project, manager):
    batch = upload(manager, project, ("a.jpg", samples.jpeg())).batch
    orphan = default_storage.save(f"projects/{project.pk}/images/{'c' * 32}.jpg", ContentFile(b"orphan"))
    out = io.StringIO()
    call_command("cleanup_media", "--dry-run", "--min-age", "0", stdout=out)
    assert f"would remove {orphan}" in out.getvalue()
    assert default_storage.exists(orphan)
    call_command("cleanup_media", "--min-age", "0", stdout=io.StringIO())
    assert stored_files() == names_of(batch)


def test_a_storage_that_fails_half_way_leaves_no_file_without_its_row(backend, project, manager, monkeypatch):
    storage_class = type(storages["default"])
    real = storage_class._save
    calls = {"n": 0}

    def full(self, name, content):
        calls["n"] += 1
        if calls["n"] <= 3:
            return real(self, name, content)
        real(self, name, ContentFile(b""))  # what a failed write can leave: an empty file under the name
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(storage_class, "_save", full)
    report = upload(manager, project, *[(f"{i}.jpg", samples.jpeg(seed=900 + i)) for i in range(4)], workers=1)

    assert report.batch.image_count == 1
    assert stored_files() == names_of(report.batch)
    assert not StoredFile.objects.exists()


def test_cleanup_media_removes_the_files_of_an_upload_that_died(backend, project, manager):
    batch = upload(manager, project, ("a.jpg", samples.jpeg())).batch
    left = default_storage.save(f"projects/{project.pk}/images/{'d' * 32}.jpg", ContentFile(b""))
    # Recorded two hours ago by an upload that never finished; the file itself looks new.
    StoredFile.objects.create(name=left, upload=uuid.uuid4(), created_at=timezone.now() - dt.timedelta(hours=2))

    out = io.StringIO()
    call_command("cleanup_media", stdout=out)

    assert f"removing {left} (written by an upload that did not finish)" in out.getvalue()
    assert stored_files() == names_of(batch)
    assert not StoredFile.objects.exists()


def test_strip_metadata_rewrites_older_files_in_place_of_the_old_ones(
    backend, project, manager, django_capture_on_commit_callbacks
):
    image = Image(project=project, width=120, height=80, sha256="legacy", original_name="old.jpg")
    image.file.save("old.jpg", ContentFile(telling_jpeg()), save=False)
    image.thumbnail.save("thumb.jpg", ContentFile(samples.jpeg()), save=False)
    batch = workflow.create_batch(actor=manager, project=project, name="Old", images=[image])

    with django_capture_on_commit_callbacks(execute=True):
        call_command("strip_metadata", stdout=io.StringIO())

    image = batch.images.get()
    with default_storage.open(image.file.name, "rb") as handle:
        assert_no_metadata(handle.read())
    assert stored_files() == names_of(batch)


def test_a_missing_stored_file_is_a_404(backend, client, project, manager):
    image = upload(manager, project, ("a.jpg", samples.jpeg())).batch.images.get()
    default_storage.delete(image.file.name)
    client.force_login(manager)
    # The view presigns without asking the bucket first (a round trip per image); a private bucket
    # answers 403 for a key that is gone, as S3 does for whoever may not list the bucket.
    assert fetch(client, reverse("image_file", args=[image.pk]))[0] == (403 if backend == "s3" else 404)


def test_on_s3_a_member_is_redirected_to_a_short_lived_presigned_url_of_the_bucket(
    backend, client, project, manager, settings
):
    if backend != "s3":
        pytest.skip("local disk streams through the view (or nginx with MEDIA_X_ACCEL_REDIRECT)")
    settings.MEDIA_URL_EXPIRE_SECONDS = 120
    image = upload(manager, project, ("a.png", samples.png())).batch.images.get()
    client.force_login(manager)
    response = client.get(reverse("image_file", args=[image.pk]))
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    query = parse_qs(location.query)
    options = settings.STORAGES["default"]["OPTIONS"]
    assert f"{location.scheme}://{location.netloc}" == options["endpoint_url"]
    assert location.path == f"/{options['bucket_name']}/{image.file.name}"
    assert query["X-Amz-Expires"] == ["120"]
    assert query["response-content-type"] == ["image/png"]
    assert "X-Amz-Signature" in query
    assert response["Cache-Control"] == "private, max-age=60"
    # The signature is the permission: without it the private bucket refuses.
    unsigned = f"{location.scheme}://{location.netloc}{location.path}"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(unsigned, timeout=10)
    assert refused.value.code == 403


def test_a_process_pool_stores_through_the_same_backend(backend, project, manager):
    pairs = [(f"{i:02}.jpg", samples.jpeg(160, 120)) for i in range(20)]
    batch = upload(manager, project, *pairs, workers=2).batch
    assert batch.image_count == 20
    assert stored_files() == names_of(batch)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "django.core.files.storage.FileSystemStorage"),
        (
            {"STORAGE_BACKEND": "s3", "S3_BUCKET": "media", "S3_ENDPOINT_URL": "http://127.0.0.1:9000"},
            "storages.backends.s3.S3Storage media http://127.0.0.1:9000",
        ),
        ({"STORAGE_BACKEND": "s3"}, "STORAGE_BACKEND=s3 needs S3_BUCKET"),
        ({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND='ftp' is not supported (use local or s3)"),
    ],
)
def test_the_storage_is_chosen_from_the_environment_and_bad_values_fail_loudly(env, expected):
    code = (
        "from django.conf import settings; d = settings.STORAGES['default']; o = d.get('OPTIONS', {}); "
        "print(' '.join(filter(None, [d['BACKEND'], o.get('bucket_name'), o.get('endpoint_url')])))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("STORAGE_BACKEND", "S3_"))}
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "DJANGO_SETTINGS_MODULE": "binaboard.settings", "DEBUG": "1", **env},
        cwd=settings_dir(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert expected in (done.stdout + done.stderr)


def settings_dir() -> str:
    from django.conf import settings

    return str(settings.BASE_DIR)
