"""The batch page's background work: export jobs that include the batch, files waiting for removal, a silent upload."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from batches.models import ExportJob, StoredFile, UploadSession
from tests.batches.board_helpers import client_for
from tests.factories import make_batch

pytestmark = pytest.mark.django_db


def page_of(batch, user) -> str:
    return client_for(user).get(reverse("batch_detail", args=[batch.project_id, batch.pk])).content.decode()


def job(project, manager, status, batch_ids, **extra) -> ExportJob:
    options = {"format": "coco", "include_images": True, "split": None, "seed": 1, "batch_ids": batch_ids}
    return ExportJob.objects.create(
        project=project, requested_by=manager, options=options, status=status, image_count=4, **extra
    )


def test_a_manager_sees_the_exports_that_include_the_batch_and_why_one_failed(project, manager):
    batch = make_batch(project, manager, images=4)
    other = make_batch(project, manager, images=2)
    job(project, manager, ExportJob.Status.DONE, [batch.pk])
    job(project, manager, ExportJob.Status.FAILED, None, error="The export could not be written to storage.")
    job(project, manager, ExportJob.Status.QUEUED, [other.pk])

    html = page_of(batch, manager)

    assert html.count("data-export-job=") == 2
    assert 'data-export-job="done"' in html and "Download on the export page" in html
    assert 'data-export-job="failed"' in html and "could not be written to storage" in html
    assert 'data-export-job="queued"' not in html  # that export is of another batch


def test_an_annotator_sees_no_export_jobs(project, manager, annotator):
    batch = make_batch(project, manager, images=4)
    job(project, manager, ExportJob.Status.FAILED, None, error="Nope.")
    assert "data-export-job" not in page_of(batch, annotator)


def test_files_waiting_for_removal_are_counted_and_late_ones_are_a_problem(project, manager):
    batch = make_batch(project, manager, images=1)
    now = timezone.now()
    StoredFile.objects.bulk_create(
        [
            StoredFile(name=f"projects/{project.pk}/images/a.jpg", upload=uuid.uuid4(), created_at=now - dt.timedelta(minutes=5)),
            StoredFile(name=f"projects/{project.pk}/images/b.jpg", upload=uuid.uuid4(), created_at=now),  # being written
            StoredFile(name=f"projects/{project.pk + 1}/images/c.jpg", upload=uuid.uuid4(), created_at=now - dt.timedelta(hours=2)),
        ]
    )  # fmt: skip
    html = page_of(batch, manager)
    assert 'data-removals="1"' in html and "1 file of this project is waiting" in html
    assert "is a worker running?" not in html

    StoredFile.objects.filter(name__endswith="a.jpg").update(created_at=now - dt.timedelta(hours=2))
    assert "This is late: is a worker running?" in page_of(batch, manager)


def test_an_upload_whose_workers_fell_silent_says_so(project, manager):
    batch = make_batch(project, manager, images=1)
    session = UploadSession.objects.create(
        project=project, created_by=manager, name=batch.name, expected=5, batch=batch,
        status=UploadSession.Status.PROCESSING,
    )  # fmt: skip
    batch.__class__.objects.filter(pk=batch.pk).update(processing_total=5)
    html = page_of(batch, manager)
    assert "data-processing" in html and "data-stalled" not in html

    UploadSession.objects.filter(pk=session.pk).update(updated_at=timezone.now() - dt.timedelta(hours=1))
    assert "No worker has processed a file of this upload" in page_of(batch, manager)


def test_a_quiet_batch_shows_no_background_panel(project, manager):
    assert "data-background-work" not in page_of(make_batch(project, manager, images=2), manager)
