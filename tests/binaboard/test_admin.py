"""The task list in the admin: what is queued, running and failed (with its error), and a retry."""

from __future__ import annotations

import pytest
from django.tasks import TaskResultStatus
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from batches.models import ExportJob

pytestmark = pytest.mark.django_db


def task_row(status: str, **fields) -> DBTaskResult:
    return DBTaskResult.objects.create(
        status=status,
        args_kwargs={"args": [], "kwargs": {}},
        task_path="batches.tasks.cleanup_media",
        backend_name="default",
        run_after=timezone.now(),
        **fields,
    )


@pytest.fixture
def tasks_on_the_database(settings):
    settings.TASKS_BACKEND = "db"
    settings.TASKS = {"default": settings.TASK_BACKENDS["db"]}


def test_the_admin_lists_tasks_with_the_error_of_a_failed_one(admin_client, tasks_on_the_database):
    task_row(TaskResultStatus.READY)
    task_row(TaskResultStatus.RUNNING, started_at=timezone.now(), worker_ids=["w1"])
    task_row(
        TaskResultStatus.FAILED,
        exception_class_path="builtins.OSError",
        traceback="Traceback (most recent call last):\nOSError: the bucket is gone\n",
        worker_ids=["w1", "w2"],
    )

    page = admin_client.get(reverse("admin:django_tasks_database_dbtaskresult_changelist")).content.decode()

    assert page.count("cleanup_media") >= 3
    assert "OSError: the bucket is gone" in page
    for status in ("Ready", "Running", "Failed"):
        assert status in page


def test_retrying_puts_failed_tasks_back_on_the_queue_and_leaves_the_others(admin_client, tasks_on_the_database):
    failed = task_row(TaskResultStatus.FAILED, traceback="OSError: x", worker_ids=["w1"], finished_at=timezone.now())
    done = task_row(TaskResultStatus.SUCCESSFUL, finished_at=timezone.now())

    response = admin_client.post(
        reverse("admin:django_tasks_database_dbtaskresult_changelist"),
        {"action": "retry", "_selected_action": [str(failed.pk), str(done.pk)]},
        follow=True,
    )

    failed.refresh_from_db()
    done.refresh_from_db()
    assert (failed.status, failed.traceback, failed.worker_ids) == (TaskResultStatus.READY, "", [])
    assert done.status == TaskResultStatus.SUCCESSFUL
    page = response.content.decode()
    assert "1 task queued again." in page
    assert "1 task was not failed, so it was left alone." in page


def test_export_jobs_are_listed_read_only(admin_client, project, manager):
    ExportJob.objects.create(project=project, requested_by=manager, options={"format": "coco"}, status="failed")
    response = admin_client.get(reverse("admin:batches_exportjob_changelist"))
    assert response.status_code == 200
    assert "manager" in response.content.decode()
    assert admin_client.get(reverse("admin:batches_exportjob_add")).status_code == 403


@pytest.mark.parametrize("path", ["batches.tasks.renamed_long_ago", "builtins.len", "gone.module.task"])
def test_a_task_whose_path_names_no_task_any_more_is_listed_by_its_path(admin_client, tasks_on_the_database, path):
    # A task renamed by an upgrade, or rows left from the other TASKS_BACKEND: the page still answers.
    task_row(TaskResultStatus.FAILED, exception_class_path="builtins.OSError", traceback="OSError: x\n")
    old = task_row(TaskResultStatus.FAILED)
    DBTaskResult.objects.filter(pk=old.pk).update(task_path=path)

    response = admin_client.get(reverse("admin:django_tasks_database_dbtaskresult_changelist"))

    assert response.status_code == 200
    page = response.content.decode()
    assert f">{path.rsplit('.', 1)[-1]}<" in page and "cleanup_media" in page
    assert (
        admin_client.get(reverse("admin:django_tasks_database_dbtaskresult_change", args=[old.pk])).status_code == 200
    )
