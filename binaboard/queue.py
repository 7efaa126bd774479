"""The task queue around `django.tasks`: readiness, abandoned tasks, periodic work.

Tasks are declared with Django's `@task` and enqueued with `.enqueue()` (after commit, where they
depend on rows of the request); settings.TASKS_BACKEND picks where they wait ("db", "rq", "immediate").

What neither backend does by itself, and this module adds:

- **A worker that dies mid-task** (SIGKILL, out of memory, a lost machine) leaves its task marked
  running for ever with django-tasks-db (`db_worker` claims a row as RUNNING and only its own
  process ever finishes it); RQ moves such a job to the failed registry (without retrying it) once
  its heartbeat expires and another worker's hourly-ish maintenance notices. `requeue_abandoned()`
  puts a task still running TASK_ABANDONED_AFTER after it started back on the queue, up to
  TASK_MAX_ATTEMPTS tries in all, then leaves it failed with the reason; a job RQ itself moved to
  its failed list as abandoned is put back the same way. Tasks are written to be
  run again safely (idempotent), so a second run finishes what the first left.
- **A lost database or Redis** ends both backends' workers (systemd restarts them; `make run` does not).
  The workers here (`OutageProofDBWorker`, `OutageProofRQWorker`) wait for it with a capped backoff and
  carry on, without losing the task in hand or running a finished one twice.
- **Periodic work** (cleanup): django.tasks has no scheduler. Every worker runs `maintenance()`
  every TASK_MAINTENANCE_SECONDS, which also enqueues each of settings.PERIODIC_TASKS when its
  interval has passed since it was last enqueued (by any worker: the queue itself remembers).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
import time

import django_rq
import redis.exceptions
import rq
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import InterfaceError, OperationalError, close_old_connections, connection, connections
from django.tasks import TaskContext, TaskResultStatus
from django.tasks.signals import task_finished, task_started
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_rq.backend import Job
from rq.exceptions import NoSuchJobError, StopRequested
from rq.job import JobStatus
from rq.job_lifecycle import record_job_failure
from rq.registry import FailedJobRegistry, StartedJobRegistry

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
        requeued += _requeue_found_dead_by_rq(queue, connection)
    return requeued, failed


def _requeue_found_dead_by_rq(queue, connection) -> int:
    """Jobs RQ's own maintenance moved to its failed list because their worker's heartbeat stopped.

    RQ notices a dead worker sooner than TASK_ABANDONED_AFTER (its heartbeat lapses within minutes),
    but only fails the job; it is tried again here, up to TASK_MAX_ATTEMPTS in all.
    """
    registry = FailedJobRegistry(queue=queue, job_class=Job)
    requeued = 0
    for job_id in registry.get_job_ids(cleanup=False):
        try:
            job = Job.fetch(job_id, connection=connection)
        except NoSuchJobError:
            continue
        result = job.latest_result()
        if result is None or "AbandonedJobError" not in (result.exc_string or ""):
            continue  # it raised: a real failure, retried only by hand
        attempts = job.meta.get("attempts", 1)
        if attempts >= settings.TASK_MAX_ATTEMPTS:
            continue
        if not connection.set(f"binaboard:reap:{job.id}:{result.id}", 1, nx=True, ex=3600):
            continue
        job.meta["attempts"] = attempts + 1
        job.save_meta()
        registry.requeue(job)
        requeued += 1
        log.warning("task %s lost its worker (found by RQ): back on the queue", job.id)
    return requeued


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
            except DATABASE_DOWN + REDIS_DOWN as error:  # the worker's loop says more: no traceback each pass
                log.warning("task maintenance skipped, %s: %s", type(error).__name__, str(error).strip())
            except Exception:
                log.exception("task maintenance failed; trying again in %s s", settings.TASK_MAINTENANCE_SECONDS)
            finally:
                close_old_connections()
            self.stopped.wait(settings.TASK_MAINTENANCE_SECONDS)


# --- outages ------------------------------------------------------------------------------------------------

# What a lost database or Redis raises. Only these are ridden out: anything else (a bug, a missing
# table on PostgreSQL) still stops the worker with its traceback.
DATABASE_DOWN = (OperationalError, InterfaceError)
REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
OUTAGE_FIRST_WAIT = 1.0
OUTAGE_MAX_WAIT = 30.0


def close_database_connections() -> None:
    """Drop this thread's connections, broken ones included: the next query opens a fresh one."""
    for conn in connections.all(initialized_only=True):
        with contextlib.suppress(*DATABASE_DOWN):
            conn.close()


def database_answers() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


class Outage:
    """Waiting out a lost database or Redis: one warning, a wait doubling from a second to 30, one line when back.

    `wait()` returns True once `probe()` answers again, False if `keep_waiting()` turned false first
    (the worker was asked to stop).
    """

    def __init__(self, what: str, probe, *, down: tuple, keep_waiting=lambda: True):
        self.what = what
        self.probe = probe
        self.down = down
        self.keep_waiting = keep_waiting
        self.delay = OUTAGE_FIRST_WAIT
        self.answered_at = float("-inf")

    def wait(self, error: BaseException) -> bool:
        # Failing again soon after it answered (a flapping link; or an error of this class that is no outage,
        # such as SQLite's "no such table", which `SELECT 1` does not see) goes on doubling the wait rather
        # than starting at a second again: a warning every 30 s at most, not a busy loop.
        if time.monotonic() - self.answered_at > 2 * OUTAGE_MAX_WAIT:
            self.delay = OUTAGE_FIRST_WAIT
        log.warning(
            "%s cannot be reached (%s: %s); trying again in %.0f s, then every %.0f s at most",
            self.what,
            type(error).__name__,
            str(error).strip() or "no detail",
            self.delay,
            OUTAGE_MAX_WAIT,
        )
        began = time.monotonic()
        while self.pause(self.delay):
            self.delay = min(self.delay * 2, OUTAGE_MAX_WAIT)
            close_database_connections()
            try:
                self.probe()
            except self.down:
                continue
            self.answered_at = time.monotonic()
            log.warning("%s answers again after %.0f s; carrying on", self.what, self.answered_at - began)
            return True
        return False

    def pause(self, seconds: float) -> bool:
        """Sleep, in short steps so a request to stop is heard; whether to go on."""
        until = time.monotonic() + seconds
        while self.keep_waiting():
            left = until - time.monotonic()
            if left <= 0:
                return True
            time.sleep(min(left, 0.25))
        return False


class OutageProofDBWorker(Worker):
    """django-tasks-db's worker (`db_worker`), but a lost database is waited out instead of ending it.

    Under `make run` nothing restarts a worker that exits, so thumbnails, exports, file removal,
    webhooks and e-mails would silently stop until the developer restarts everything.

    - Lost while looking for or claiming a task: the claim's transaction rolled back, the task is still
      queued; wait, then look again.
    - Lost while a task runs (the task raised a connection error): it goes back on the queue, to run
      again (tasks are safe to run again) up to TASK_MAX_ATTEMPTS tries in all, not failed for good.
    - Lost while writing a finished task's outcome: wait and write it then; the task is not run twice.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.outage = Outage("The database", database_answers, down=DATABASE_DOWN, keep_waiting=lambda: self.running)

    def run(self) -> None:
        while True:
            try:
                return super().run()
            except DATABASE_DOWN as error:
                if not self.outage.wait(error):
                    return
                self.startup_delay = False  # no random pause at the restart of the loop

    def run_task(self, db_task_result: DBTaskResult) -> None:
        # django-tasks-db's run_task, except that the outcome is written however long the database is away.
        self.running_task = True
        try:
            outcome, value = self.call_task(db_task_result)
            self.write_outcome(db_task_result, outcome, value)
        finally:
            self.running_task = False

    def call_task(self, db_task_result: DBTaskResult) -> tuple[TaskResultStatus, object]:
        try:
            task = db_task_result.task
            task_result = db_task_result.task_result
            task_started.send(sender=type(task.get_backend()), task_result=task_result)
            if task.takes_context:
                value = task.call(TaskContext(task_result=task_result), *task_result.args, **task_result.kwargs)
            else:
                value = task.call(*task_result.args, **task_result.kwargs)
        except DATABASE_DOWN + REDIS_DOWN as error:
            return TaskResultStatus.READY, error
        except BaseException as error:  # as django-tasks-db: even a forced stop (SystemExit) is recorded
            return TaskResultStatus.FAILED, error
        return TaskResultStatus.SUCCESSFUL, value

    def write_outcome(self, db_task_result: DBTaskResult, outcome: TaskResultStatus, value: object) -> None:
        if outcome == TaskResultStatus.READY and len(db_task_result.worker_ids) >= settings.TASK_MAX_ATTEMPTS:
            outcome = TaskResultStatus.FAILED
        while True:
            try:
                if outcome == TaskResultStatus.READY:
                    self.requeue(db_task_result, value)
                    return
                if outcome == TaskResultStatus.SUCCESSFUL:
                    try:
                        db_task_result.set_successful(value)
                    except DATABASE_DOWN:
                        raise
                    except Exception as error:  # as django-tasks-db: e.g. a return value JSON cannot hold
                        outcome, value = TaskResultStatus.FAILED, error
                        continue
                else:
                    db_task_result.set_failed(value)
                break
            except DATABASE_DOWN as error:
                if not self.outage.wait(error):
                    log.warning(
                        "task %s: stopped before its outcome could be written; the maintenance puts it back "
                        "on the queue TASK_ABANDONED_SECONDS after it started",
                        db_task_result.pk,
                    )
                    return
        with contextlib.suppress(ImportError, SuspiciousOperation):
            task_finished.send(sender=type(db_task_result.task.get_backend()), task_result=db_task_result.task_result)

    def requeue(self, db_task_result: DBTaskResult, error: BaseException) -> None:
        # Compare-and-set on the start time, as the maintenance does: the task goes back once.
        DBTaskResult.objects.filter(
            pk=db_task_result.pk, status=TaskResultStatus.RUNNING, started_at=db_task_result.started_at
        ).update(status=TaskResultStatus.READY, started_at=None)
        log.warning(
            "task %s lost the database or Redis while running (%s): back on the queue",
            db_task_result.pk,
            type(error).__name__,
        )


class OutageProofRQWorker(rq.Worker):
    """RQ's worker (`rqworker`), but a lost Redis is waited out instead of ending it.

    RQ itself waits for Redis only while it waits for a job; lost anywhere else (a heartbeat, the end of
    a job, its maintenance) its work loop logs the error and returns, and the worker exits. Here the
    steps of that loop note a lost Redis, and the loop starts again once Redis answers. A job whose end
    could not be written stays in RQ's started list; RQ's maintenance moves it to the failed list when
    its heartbeat lapses and ours puts it back on the queue (requeue_abandoned), as for a worker that died.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stopping = False
        self.lost_redis: BaseException | None = None
        self.outage = Outage("Redis", self.connection.ping, down=REDIS_DOWN, keep_waiting=lambda: not self.stopping)

    @contextlib.contextmanager
    def noting_outage(self):
        try:
            yield
        except REDIS_DOWN as error:
            self.lost_redis = error
            raise

    def check_for_suspension(self, burst: bool):
        with self.noting_outage():
            return super().check_for_suspension(burst)

    def run_maintenance_tasks(self):
        with self.noting_outage():
            return super().run_maintenance_tasks()

    def execute_job(self, job, queue):
        with self.noting_outage():
            return super().execute_job(job, queue)

    def heartbeat(self, *args, **kwargs):
        with self.noting_outage():
            return super().heartbeat(*args, **kwargs)

    def request_stop(self, signum, frame):
        self.stopping = True
        try:
            super().request_stop(signum, frame)
        except REDIS_DOWN:  # it asks Redis whether a job is running: none can be, Redis being away
            raise StopRequested() from None

    def work(self, burst: bool = False, **options) -> bool:
        worked = False
        while True:
            self.lost_redis = None
            try:
                worked = super().work(burst=burst, **options) or worked
            except REDIS_DOWN as error:  # raised where RQ registers the worker's birth or death
                self.lost_redis = error
            if burst or self.stopping or self.lost_redis is None:
                return worked
            try:
                if not self.outage.wait(self.lost_redis):
                    return worked
                self.register_death()  # the last pass may not have said so: the next one registers anew
            except StopRequested:
                return worked
            except REDIS_DOWN:
                continue
