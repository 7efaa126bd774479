"""Export jobs: exports with image files are made by a worker, listed on the page, downloaded by managers."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from batches.export.jobs import make_export
from batches.models import ExportJob, StoredFile
from batches.tasks import expire_exports
from tests.batches.export_helpers import build_dataset
from tests.task_helpers import run_worker

Status = ExportJob.Status


@pytest.fixture
def dataset(project, manager, annotator, reviewer):
    return build_dataset(project, manager=manager, annotator=annotator, reviewer=reviewer)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def export_url(project) -> str:
    return reverse("export", args=[project.pk])


def download_url(job) -> str:
    return reverse("export_download", args=[job.project_id, job.pk])


def with_images(dataset, **extra) -> dict:
    data = {"format": "coco", "batches": [batch.pk for batch in dataset.batches], "include_images": "on"}
    data.update(extra)
    return data


def zip_of(response) -> zipfile.ZipFile:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def assert_the_whole_dataset_with_images(archive: zipfile.ZipFile, dataset) -> None:
    assert archive.testzip() is None
    coco = json.loads(archive.read("annotations/instances_default.json"))
    assert sorted(entry["id"] for entry in coco["images"]) == sorted(image.pk for image in dataset.images)
    images = [name for name in archive.namelist() if name.startswith("images/")]
    assert len(images) == len(dataset.images)


# --- the whole way, on a real queue -------------------------------------------------------------------


@pytest.mark.xdist_group("task_queue")
@pytest.mark.django_db(transaction=True)
def test_an_export_with_images_is_made_by_a_worker_then_downloaded_from_the_page(task_backend, project, manager):
    from accounts.roles import grant_role
    from tests.factories import make_user

    people = {role: make_user(f"{role}-e2e") for role in ("annotator", "reviewer")}
    for role, user in people.items():
        grant_role(project, user, role)
    dataset = build_dataset(project, manager=manager, **people)
    client = client_for(manager)

    response = client.post(export_url(project), with_images(dataset), follow=True)

    job = ExportJob.objects.get()
    assert (job.status, job.requested_by, job.image_count) == (Status.QUEUED, manager, len(dataset.images))
    page = response.content.decode()
    assert "The export is being made" in page
    assert 'hx-trigger="every 2s"' in page  # the list polls while the job waits
    assert download_url(job) not in page

    run_worker()

    job.refresh_from_db()
    assert job.status == Status.DONE
    assert default_storage.size(job.file) == job.size
    assert not StoredFile.objects.exists()  # the ledger let go of the finished file
    partial = client.get(export_url(project), headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in partial  # done: the polling stops
    assert "Your export is ready to download." in partial
    assert download_url(job) in partial
    assert_the_whole_dataset_with_images(zip_of(client.get(download_url(job))), dataset)


# --- who may download ---------------------------------------------------------------------------------


@pytest.fixture
def finished_job(dataset, manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the immediate backend runs the job at commit
        client_for(manager).post(export_url(dataset.project), with_images(dataset))
    job = ExportJob.objects.get()
    assert job.status == Status.DONE
    return job


def test_a_manager_downloads_a_finished_export(finished_job, dataset, manager):
    assert_the_whole_dataset_with_images(zip_of(client_for(manager).get(download_url(finished_job))), dataset)


def test_a_non_member_gets_404_for_an_export(finished_job, outsider):
    assert client_for(outsider).get(download_url(finished_job)).status_code == 404


@pytest.mark.parametrize("role", ["annotator", "reviewer"])
def test_members_who_may_not_export_are_refused_an_export(finished_job, role, request):
    assert client_for(request.getfixturevalue(role)).get(download_url(finished_job)).status_code == 403


def test_an_export_is_not_found_under_another_project(finished_job, manager):
    from accounts.roles import grant_role
    from tests.factories import make_project

    other = make_project("Other")
    grant_role(other, manager, "manager")
    url = reverse("export_download", args=[other.pk, finished_job.pk])
    assert client_for(manager).get(url).status_code == 404


def test_an_export_that_is_not_ready_cannot_be_downloaded(dataset, manager):
    client = client_for(manager)
    client.post(export_url(dataset.project), with_images(dataset))  # queued, never run (no commit here)
    job = ExportJob.objects.get()
    assert job.status == Status.QUEUED
    assert client.get(download_url(job)).status_code == 404


@pytest.mark.parametrize("pk", ["99999999999999999999999", "0"])
def test_absurd_export_ids_are_404(dataset, manager, pk):
    url = f"/projects/{dataset.project.pk}/exports/{pk}/download"
    assert client_for(manager).get(url).status_code == 404


# --- which exports become jobs --------------------------------------------------------------------------


def test_a_small_label_only_export_still_streams_at_once(dataset, manager):
    response = client_for(manager).post(export_url(dataset.project), with_images(dataset, include_images=""))
    assert response.streaming
    assert not ExportJob.objects.exists()


def test_a_label_only_export_above_the_threshold_becomes_a_job(dataset, manager, settings):
    settings.EXPORT_STREAM_MAX_IMAGES = len(dataset.images) - 1
    response = client_for(manager).post(export_url(dataset.project), with_images(dataset, include_images=""))
    assert response.status_code == 302
    assert ExportJob.objects.get().options["include_images"] is False


def test_an_export_that_cannot_be_made_is_refused_on_the_page_not_queued(dataset, manager):
    data = with_images(dataset, batches=[dataset.review_batch.pk])
    response = client_for(manager).post(export_url(dataset.project), data)
    assert response.status_code == 200
    assert not ExportJob.objects.exists()


# --- failures, retries, expiry ---------------------------------------------------------------------------


def test_a_job_whose_batches_left_the_dataset_before_it_ran_fails_with_the_reason_on_the_page(dataset, manager):
    client = client_for(manager)
    client.post(export_url(dataset.project), with_images(dataset))
    job = ExportJob.objects.get()
    # As if the chosen batch had been sent back to review between the click and the worker.
    ExportJob.objects.filter(pk=job.pk).update(options={**job.options, "batch_ids": [dataset.review_batch.pk]})

    make_export(ExportJob.objects.get().pk)

    job = ExportJob.objects.get()
    assert job.status == Status.FAILED
    assert "is not in this project's Dataset column" in job.error
    assert not job.file and not StoredFile.objects.exists()
    page = client.get(export_url(dataset.project)).content.decode()
    assert "is not in this project&#x27;s Dataset column" in page


def test_a_job_run_again_after_its_worker_died_replaces_the_half_written_file(dataset, manager):
    client_for(manager).post(export_url(dataset.project), with_images(dataset))
    job = ExportJob.objects.get()
    # What a worker killed mid-write leaves: the job running, a partial file, the ledger naming it.
    partial = f"exports/{job.project_id}/{job.pk}-partial.zip"
    default_storage.save(partial, ContentFile(b"PK\x03\x04 half an archive"))
    StoredFile.objects.create(name=partial, upload="00000000-0000-0000-0000-000000000001")
    ExportJob.objects.filter(pk=job.pk).update(status=Status.RUNNING, file=partial)

    make_export(job.pk)

    job.refresh_from_db()
    assert job.status == Status.DONE and job.file != partial
    assert not default_storage.exists(partial)
    assert not StoredFile.objects.exists()
    with default_storage.open(job.file) as handle:
        assert_the_whole_dataset_with_images(zipfile.ZipFile(io.BytesIO(handle.read())), dataset)
    assert make_export(job.pk) is None  # a third run of a finished job does nothing


def test_when_the_queue_is_down_the_job_fails_with_a_clear_reason(
    dataset, manager, settings, django_capture_on_commit_callbacks
):
    settings.TASKS_BACKEND = "rq"
    settings.TASKS = {"default": settings.TASK_BACKENDS["rq"]}
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:1/0"}}
    with django_capture_on_commit_callbacks(execute=True):
        client_for(manager).post(export_url(dataset.project), with_images(dataset))
    job = ExportJob.objects.get()
    assert job.status == Status.FAILED
    assert "task queue could not be reached" in job.error


def test_old_export_files_expire_and_leave_storage(finished_job, settings, django_capture_on_commit_callbacks):
    settings.EXPORT_KEEP_DAYS = 7
    name = finished_job.file
    assert expire_exports(timezone.now() + dt.timedelta(days=6)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_exports(timezone.now() + dt.timedelta(days=8)) == 1
    finished_job.refresh_from_db()
    assert (finished_job.status, finished_job.file) == (Status.EXPIRED, "")
    assert not default_storage.exists(name)
    assert not StoredFile.objects.exists()


class StorageReadingInAThread(FileSystemStorage):
    """Reads what it saves from a thread of its own, as S3's multipart upload does."""

    def _save(self, name, content):
        saved: dict = {}
        reader = threading.Thread(target=lambda: saved.update(data=content.read()))
        reader.start()
        reader.join()
        return super()._save(name, ContentFile(saved["data"]))


@pytest.mark.django_db(transaction=True)
def test_an_export_is_written_by_a_storage_that_reads_it_from_another_thread(dataset, manager, monkeypatch, settings):
    # The export's snapshot is a database connection of the worker's thread (PostgreSQL): the pieces
    # must be made there, not in the storage's thread (the many-machines test found it on S3).
    monkeypatch.setattr("batches.export.jobs.default_storage", StorageReadingInAThread(location=settings.MEDIA_ROOT))
    client_for(manager).post(export_url(dataset.project), with_images(dataset))
    job = ExportJob.objects.get()
    ExportJob.objects.filter(pk=job.pk).update(status=Status.QUEUED)

    make_export(job.pk)

    job.refresh_from_db()
    assert job.status == Status.DONE, job.error
    with default_storage.open(job.file) as handle:
        assert_the_whole_dataset_with_images(zipfile.ZipFile(io.BytesIO(handle.read())), dataset)
