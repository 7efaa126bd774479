"""The task queue on both backends: a worker killed mid-task, readiness, periodic work."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core.management import call_command
from django.db import connection
from django.tasks import TaskResultStatus, default_task_backend
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from binaboard.management.commands import worker as worker_command
from binaboard.queue import enqueue_periodic, queue_ready, requeue_abandoned
from tests.binaboard.queue_tasks import wait_for_release
from tests.task_helpers import kill_worker, run_worker, start_worker, wait_for

pytestmark = [pytest.mark.xdist_group("task_queue")]


def attempts(folder) -> int:
    path = folder / "attempts"
    return len(path.read_text().splitlines()) if path.exists() else 0


def kill_mid_task(tmp_path, **env) -> str:
    """Enqueue the waiting task, let a worker start it, SIGKILL the worker; the task's id."""
    result = wait_for_release.enqueue(str(tmp_path))
    worker = start_worker(tmp_path / "worker.log", **env)
    try:
        wait_for(lambda: attempts(tmp_path) == 1, timeout=60, what="the worker to start the task")
    finally:
        kill_worker(worker)
    return result.id


@pytest.mark.django_db(transaction=True)
def test_a_task_whose_worker_was_killed_runs_again_and_finishes(task_backend, tmp_path):
    task_id = kill_mid_task(tmp_path)
    assert default_task_backend.get_result(task_id).status == TaskResultStatus.RUNNING  # nobody will finish it
    assert not (tmp_path / "done").exists()

    (tmp_path / "release").touch()
    time.sleep(1.1)
    run_worker(TASK_ABANDONED_SECONDS="1")

    result = default_task_backend.get_result(task_id)
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 2
    assert attempts(tmp_path) == 2
    assert (tmp_path / "done").read_text() == "finished"


@pytest.mark.django_db(transaction=True)
def test_a_task_killed_on_its_last_attempt_is_left_failed_with_the_reason(task_backend, tmp_path):
    task_id = kill_mid_task(tmp_path)
    (tmp_path / "release").touch()
    time.sleep(1.1)
    run_worker(TASK_ABANDONED_SECONDS="1", TASK_MAX_ATTEMPTS="1")

    result = default_task_backend.get_result(task_id)
    assert result.status == TaskResultStatus.FAILED
    assert "worker running this task stopped" in result.errors[-1].traceback
    assert attempts(tmp_path) == 1
    assert not (tmp_path / "done").exists()


@pytest.mark.django_db
def test_a_task_running_for_less_than_the_limit_is_left_alone(settings):
    settings.TASKS_BACKEND = "db"
    row = DBTaskResult.objects.create(
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now() - dt.timedelta(minutes=5),
        args_kwargs={"args": ["/nowhere"], "kwargs": {}},
        task_path="tests.binaboard.queue_tasks.wait_for_release",
        backend_name="default",
        run_after=timezone.now(),
        worker_ids=["w1"],
    )
    assert requeue_abandoned(dt.timedelta(minutes=30)) == (0, 0)
    assert requeue_abandoned(dt.timedelta(minutes=1)) == (1, 0)
    row.refresh_from_db()
    assert (row.status, row.started_at) == (TaskResultStatus.READY, None)
    assert requeue_abandoned(dt.timedelta(minutes=1)) == (0, 0)  # taken once, not twice


@pytest.mark.django_db
def test_periodic_cleanup_is_enqueued_once_per_interval_whichever_worker_asks(task_backend, settings):
    settings.PERIODIC_TASKS = {"batches.tasks.cleanup_media": 3600}
    assert enqueue_periodic() == ["batches.tasks.cleanup_media"]
    assert enqueue_periodic() == []
    assert enqueue_periodic(timezone.now() + dt.timedelta(hours=2)) == (
        ["batches.tasks.cleanup_media"] if task_backend == "db" else []  # Redis counts real seconds
    )


@pytest.mark.django_db
def test_readyz_checks_the_queue(task_backend, client, settings):
    queue_ready()
    assert client.get("/readyz").status_code == 200
    if task_backend == "rq":
        settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:1/0"}}
        assert client.get("/readyz").status_code == 503


@pytest.mark.django_db
def test_readyz_fails_when_the_task_table_is_missing(client, settings):
    settings.TASKS_BACKEND = "db"
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {DBTaskResult._meta.db_table} RENAME TO gone_tasks")
    assert client.get("/readyz").status_code == 503


@pytest.mark.django_db
def test_a_job_rq_itself_found_abandoned_runs_again_but_a_job_that_raised_does_not(settings, tmp_path):
    import django_rq
    import redis
    from django_tasks_rq.backend import Job
    from rq.job_lifecycle import record_job_failure

    from tests.task_helpers import TEST_REDIS_URL

    settings.TASKS_BACKEND = "rq"
    settings.TASKS = {"default": settings.TASK_BACKENDS["rq"]}
    settings.RQ_QUEUES = {"default": {"URL": TEST_REDIS_URL, "DEFAULT_TIMEOUT": -1}}
    client = redis.Redis.from_url(TEST_REDIS_URL)
    try:
        client.flushdb()
    except redis.ConnectionError:
        pytest.skip("Redis does not answer")
    queue = django_rq.get_queue("default", job_class=Job)
    lost, raised = (wait_for_release.enqueue(str(tmp_path)) for _ in range(2))
    for result, reason in ((lost, "Moved to FailedJobRegistry, due to AbandonedJobError"), (raised, "OSError: x")):
        job = Job.fetch(result.id, connection=queue.connection)
        queue.remove(job)
        with queue.connection.pipeline() as pipeline:
            record_job_failure(job, reason, pipeline)  # what RQ's registry cleanup / a failing task leave
            pipeline.execute()

    assert requeue_abandoned() == (1, 0)

    assert queue.job_ids == [lost.id]
    assert Job.fetch(raised.id, connection=queue.connection).get_status() == "failed"
    assert requeue_abandoned() == (0, 0)  # not twice
    client.flushdb()


@pytest.mark.django_db(transaction=True)
def test_a_worker_lowers_its_cpu_priority_so_requests_come_first(task_backend):
    assert "(WORKER_NICE=7)" in run_worker(WORKER_NICE="7")
    assert "WORKER_NICE" not in run_worker(WORKER_NICE="0")


def test_a_database_worker_with_nothing_to_do_looks_again_after_worker_poll_ms(settings, monkeypatch):
    # django-tasks-db's own default is a second: an upload's first chunk waited that long for nothing.
    settings.TASKS_BACKEND, settings.WORKER_POLL_MS, settings.WORKER_NICE = "db", 250, 0
    started = []
    monkeypatch.setattr(worker_command, "maintenance", lambda: None)
    monkeypatch.setattr(worker_command.OutageProofDBWorker, "run", lambda worker: started.append(worker.interval))
    call_command("worker", "--burst")
    assert started == [0.25]
