"""The task queue around `django.tasks`: readiness, abandoned tasks, periodic work.

Tasks are declared with Django's `@task` and enqueued with `.enqueue()` (after commit, where they
depend on rows of the request); settings.TASKS_BACKEND picks where they wait ("db", "rq", "immediate").

What neither backend does by itself, and this module adds:

- **A worker that dies mid-task** (SIGKILL, out of memory, a lost machine) leaves its task marked
  running for ever with django-tasks-db (`db_worker` claims a row as RUNNING and only its own
  process ever finishes it); RQ moves such a job to the failed registry (without retrying it) once
  its heartbeat expires and another worker's hourly-ish maintenance notices. `requeue_abandoned()`
  puts a task still running TASK_ABANDONED_AFTER after it started back on the queue, up to
  TASK_MAX_ATTEMPTS tries in all, then leaves it failed with the reason. Tasks are written to be
  run again safely (idempotent), so a second run finishes what the first left.
- **Periodic work** (cleanup): django.tasks has no scheduler. Every worker runs `maintenance()`
  every TASK_MAINTENANCE_SECONDS, which also enqueues each of settings.PERIODIC_TASKS when its
  interval has passed since it was last enqueued (by any worker: the queue itself remembers).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

import django_rq
from django.conf import settings
from django.db import close_old_connections
from django.tasks import TaskResultStatus
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult
from django_tasks_rq.backend import Job
from rq.exceptions import NoSuchJobError
from rq.job import JobStatus
from rq.job_lifecycle import record_job_failure
from rq.registry import StartedJobRegistry

log = logging.getLogger("binaboard.queue")

ABANDONED = "The worker running this task stopped (killed or lost) before it finished."
PERIODIC_KEY = "binaboard:periodic:{}"


def backend_kind() -> str:
    return settings.TASKS_BACKEND


# --- readiness ------------------------------------------------------------------------------------------


def queue_ready() -> None:
    """/readyz: the queue takes tasks (db: its table answers; rq: Redis answers)."""
    kind = backend_kind()
    if kind == "db":
        list(DBTaskResult.objects.order_by().values_list("pk", flat=True)[:1])
    elif kind == "rq":
        redis_connection().ping()


def redis_connection():
    return django_rq.get_connection(settings.TASK_QUEUES[0])


# --- abandoned tasks ---------------------------------------------------------------------------------------


def requeue_abandoned(older_than: dt.timedelta | None = None) -> tuple[int, int]:
    """Tasks running since before `older_than` ago go back on the queue, or fail after the last try.

    Returns (requeued, failed). Safe to run from many workers at once: each task is taken by one.
    """
    older_than = settings.TASK_ABANDONED_AFTER if older_than is None else older_than
    cutoff = timezone.now() - older_than
    kind = backend_kind()
    if kind == "db":
        return _requeue_abandoned_db(cutoff)
    if kind == "rq":
        return _requeue_abandoned_rq(cutoff)
    return 0, 0


def _requeue_abandoned_db(cutoff: dt.datetime) -> tuple[int, int]:
    requeued = failed = 0
    stale = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=cutoff)
    for pk, started_at, worker_ids in list(stale.values_list("pk", "started_at", "worker_ids")):
        # Compare-and-set on the start time: two workers' maintenance never both take one task.
        same_run = DBTaskResult.objects.filter(pk=pk, status=TaskResultStatus.RUNNING, started_at=started_at)
        if len(worker_ids) >= settings.TASK_MAX_ATTEMPTS:
            failed += same_run.update(
                status=TaskResultStatus.FAILED,
                finished_at=timezone.now(),
                exception_class_path="binaboard.queue.WorkerDied",
                traceback=f"{ABANDONED} Tried {len(worker_ids)} times; not retried again.",
            )
            log.error("task %s abandoned %s times: left failed", pk, len(worker_ids))
        elif same_run.update(status=TaskResultStatus.READY, started_at=None):
            requeued += 1
            log.warning("task %s abandoned by worker %s: back on the queue", pk, worker_ids[-1:])
    return requeued, failed


def _requeue_abandoned_rq(cutoff: dt.datetime) -> tuple[int, int]:
    connection = redis_connection()
    requeued = failed = 0
    for name in settings.TASK_QUEUES:
        queue = django_rq.get_queue(name, job_class=Job)
        registry = StartedJobRegistry(queue=queue, job_class=Job)
        for job_id in registry.get_job_ids(cleanup=False):
            try:
                job = Job.fetch(job_id, connection=connection)
            except NoSuchJobError:
                continue
            if job.get_status() != JobStatus.STARTED or not job.started_at or job.started_at >= cutoff:
                continue
            # One worker's maintenance takes the job; the key outlives the requeue.
            if not connection.set(f"binaboard:reap:{job.id}:{job.started_at.timestamp()}", 1, nx=True, ex=3600):
                continue
            attempts = job.meta.get("attempts", 1)
            registry.remove_executions(job)
            if attempts >= settings.TASK_MAX_ATTEMPTS:
                with connection.pipeline() as pipeline:
                    record_job_failure(job, f"{ABANDONED} Tried {attempts} times; not retried again.", pipeline)
                    pipeline.execute()
                failed += 1
                log.error("task %s abandoned %s times: left failed", job.id, attempts)
                continue
            job.meta["attempts"] = attempts + 1
            job.save_meta()
            job.started_at = None
            queue.enqueue_job(job)
            requeued += 1
            log.warning("task %s abandoned by worker %s: back on the queue", job.id, job.worker_name)
    return requeued, failed


# --- periodic work ------------------------------------------------------------------------------------------


def enqueue_periodic(now: dt.datetime | None = None) -> list[str]:
    """Enqueue each periodic task whose interval has passed since it was last enqueued; their paths."""
    now = now or timezone.now()
    kind = backend_kind()
    if kind not in {"db", "rq"}:
        return []
    enqueued = []
    for path, seconds in settings.PERIODIC_TASKS.items():
        if kind == "db":
            since = now - dt.timedelta(seconds=seconds)
            due = not DBTaskResult.objects.filter(task_path=path, enqueued_at__gt=since).exists()
        else:
            # SET NX: of all the workers asking in this interval, one gets to enqueue.
            due = redis_connection().set(PERIODIC_KEY.format(path), now.isoformat(), nx=True, ex=seconds)
        if due:
            import_string(path).enqueue()
            enqueued.append(path)
            log.info("periodic task %s enqueued", path)
    return enqueued


def maintenance() -> None:
    """One pass of what every worker does now and then: abandoned tasks back, periodic work due."""
    requeue_abandoned()
    enqueue_periodic()


class Maintenance(threading.Thread):
    """Runs maintenance() every TASK_MAINTENANCE_SECONDS beside a worker, until the process ends."""

    def __init__(self):
        super().__init__(name="task-maintenance", daemon=True)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                maintenance()
            except Exception:
                log.exception("task maintenance failed; trying again in %s s", settings.TASK_MAINTENANCE_SECONDS)
            finally:
                close_old_connections()
            self.stopped.wait(settings.TASK_MAINTENANCE_SECONDS)
