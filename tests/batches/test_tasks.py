"""Background tasks of the batches app: files of deleted batches removed by workers, in bulk, never lost."""

from __future__ import annotations

import io
import uuid

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import transaction
from django.tasks import TaskResultStatus, default_task_backend
from django_tasks_db.models import DBTaskResult

from batches import tasks, workflow
from batches.files import S3_DELETE_PAGE, delete_stored
from batches.models import Batch, PendingRemoval, StoredFile
from tests.batches.test_storage_s3 import CREDENTIALS, s3_endpoint  # noqa: F401  (the moto server fixture)
from tests.factories import stored_image_rows
from tests.task_helpers import run_worker

pytestmark = [pytest.mark.xdist_group("task_queue")]


def stored_batch(project, manager, images: int = 3) -> tuple[Batch, list[str]]:
    batch = workflow.create_batch(
        actor=manager, project=project, name="Doomed", images=stored_image_rows(project, images)
    )
    names = [name for image in batch.images.all() for name in (image.file.name, image.thumbnail.name)]
    return batch, names


def listed_for_removal() -> list[str]:
    """Every name waiting for removal: in the ledger, or in a deletion's one-row list a worker expands."""
    pending = [name for names in PendingRemoval.objects.values_list("names", flat=True) for name in names.split("\n")]
    return [*StoredFile.objects.values_list("name", flat=True), *filter(None, pending)]


@pytest.mark.django_db(transaction=True)
def test_files_of_a_batch_deleted_for_good_are_removed_by_a_worker_not_the_request(task_backend, project, manager):
    batch, names = stored_batch(project, manager)

    workflow.delete_batch(actor=manager, batch=batch)

    assert not Batch.objects.filter(pk=batch.pk).exists()  # the rows went in the request ...
    assert all(default_storage.exists(name) for name in names)  # ... the files wait for a worker
    assert sorted(listed_for_removal()) == sorted(names)  # and are never forgotten
    run_worker()
    assert not any(default_storage.exists(name) for name in names)
    assert not StoredFile.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_delete_keeps_its_files_and_queues_nothing(settings, project, manager):
    settings.TASKS_BACKEND = "db"
    settings.TASKS = {"default": settings.TASK_BACKENDS["db"]}
    batch, names = stored_batch(project, manager)
    with pytest.raises(RuntimeError), transaction.atomic():
        workflow.delete_batch(actor=manager, batch=batch)
        raise RuntimeError("the request failed after the delete")
    assert Batch.objects.filter(pk=batch.pk).exists()
    assert all(default_storage.exists(name) for name in names)
    assert not StoredFile.objects.exists()
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db
def test_a_removal_run_again_after_a_crash_finishes_the_rest(project, manager):
    names = [default_storage.save(f"projects/{project.pk}/images/{n}.jpg", ContentFile(b"x")) for n in range(5)]
    run = uuid.uuid4()
    StoredFile.objects.bulk_create([StoredFile(name=name, upload=run) for name in names])
    default_storage.delete(names[0])  # the first run deleted this file, then died before its row went

    assert tasks.remove_files.call(str(run)) == 5
    assert not any(default_storage.exists(name) for name in names)
    assert not StoredFile.objects.exists()
    assert tasks.remove_files.call(str(run)) == 0  # and a third run finds nothing to do


@pytest.mark.django_db
def test_when_the_queue_is_down_the_ledger_keeps_the_files_for_cleanup_media(
    project, manager, settings, django_capture_on_commit_callbacks
):
    batch, names = stored_batch(project, manager)
    settings.TASKS_BACKEND = "rq"
    settings.TASKS = {"default": settings.TASK_BACKENDS["rq"]}
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:1/0"}}  # nothing listens there
    with django_capture_on_commit_callbacks(execute=True):
        workflow.delete_batch(actor=manager, batch=batch)
    assert all(default_storage.exists(name) for name in names)
    assert sorted(listed_for_removal()) == sorted(names)

    call_command("cleanup_media", min_age=0, stdout=io.StringIO())
    assert not any(default_storage.exists(name) for name in names)
    assert not StoredFile.objects.exists()


@pytest.mark.django_db
def test_on_s3_files_go_in_delete_objects_requests_of_1000(s3_endpoint, settings):  # noqa: F811
    endpoint, client = s3_endpoint
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
                "location": "site",
                **CREDENTIALS,
            },
        },
    }
    names = [f"projects/1/images/{n}.jpg" for n in range(S3_DELETE_PAGE * 2 + 5)]
    for name in names[:20]:
        default_storage.save(name, ContentFile(b"x"))
    s3 = default_storage.connection.meta.client
    calls = []
    s3.meta.events.register("before-parameter-build.s3.DeleteObjects", lambda params, **kwargs: calls.append(params))

    assert delete_stored(names) == set()

    assert [len(call["Delete"]["Objects"]) for call in calls] == [1000, 1000, 5]
    assert calls[0]["Delete"]["Objects"][0]["Key"] == "site/projects/1/images/0.jpg"  # the storage's prefix
    assert client.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


@pytest.mark.django_db(transaction=True)
def test_the_periodic_cleanup_runs_on_a_worker(task_backend, project):
    orphan = default_storage.save(f"projects/{project.pk}/images/orphan.jpg", ContentFile(b"x"))
    result = tasks.cleanup_media.enqueue()
    run_worker(CLEANUP_INTERVAL_SECONDS="3600")

    assert default_task_backend.get_result(result.id).status == TaskResultStatus.SUCCESSFUL
    assert default_storage.exists(orphan)  # younger than the grace period: an upload may be writing it
