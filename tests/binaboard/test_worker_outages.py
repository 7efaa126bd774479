"""A worker that loses the database waits for it and carries on (binaboard/queue.py, "outages").

Under `make run` nothing restarts a worker that exits: thumbnails, exports, file removal, webhooks and
e-mails would stop until the developer restarted everything.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time

import psycopg
import pytest
from django.core.management import call_command
from django.db import OperationalError, ProgrammingError, connection
from django.tasks import TaskResultStatus, default_task_backend
from django_tasks_db.models import DBTaskResult, DBTaskResultQuerySet

from binaboard import queue
from binaboard.management.commands import worker as worker_command
from tests.binaboard.queue_tasks import divide_by_zero, note_run
from tests.task_helpers import start_worker, wait_for

pytestmark = [pytest.mark.xdist_group("task_queue")]

LOST = "server closed the connection unexpectedly"


@pytest.fixture
def db_queue(settings, monkeypatch):
    """The database queue, a worker with no maintenance pass, and outages waited out in a hundredth of a second."""
    settings.TASKS_BACKEND = "db"
    settings.TASKS = {"default": settings.TASK_BACKENDS["db"]}
    settings.WORKER_NICE = 0
    monkeypatch.setattr(worker_command, "maintenance", lambda: None)
    monkeypatch.setattr(queue, "OUTAGE_FIRST_WAIT", 0.01)


def fail_first(monkeypatch, owner, name: str, times: int, error: Exception) -> list[int]:
    """Make owner.name raise `error` its first `times` calls, then behave; the list counts the calls."""
    original = getattr(owner, name)
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) <= times:
            raise error
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, flaky)
    return calls


def runs(folder) -> int:
    path = folder / "runs"
    return len(path.read_text().splitlines()) if path.exists() else 0


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_cannot_fetch_waits_for_the_database_and_then_runs_the_task(
    db_queue, monkeypatch, tmp_path, caplog
):
    result = note_run.enqueue(str(tmp_path))
    calls = fail_first(monkeypatch, DBTaskResultQuerySet, "get_locked", 2, OperationalError(LOST))

    call_command("worker", "--burst")

    assert default_task_backend.get_result(result.id).status == TaskResultStatus.SUCCESSFUL
    assert runs(tmp_path) == 1
    assert len(calls) >= 3
    warnings = [r.getMessage() for r in caplog.records if r.name == "binaboard.queue"]
    assert sum("The database cannot be reached (OperationalError: " + LOST in m for m in warnings) == 2
    assert sum("The database answers again" in m for m in warnings) == 2


@pytest.mark.django_db(transaction=True)
def test_a_task_that_lost_the_database_while_running_goes_back_on_the_queue_and_runs_again(db_queue, tmp_path):
    result = note_run.enqueue(str(tmp_path), lose_database_times=1)

    call_command("worker", "--burst")

    finished = default_task_backend.get_result(result.id)
    assert finished.status == TaskResultStatus.SUCCESSFUL
    assert finished.return_value == 2
    assert len(finished.worker_ids) == 2


@pytest.mark.django_db(transaction=True)
def test_a_task_that_loses_the_database_on_every_try_is_left_failed_after_the_last(db_queue, settings, tmp_path):
    settings.TASK_MAX_ATTEMPTS = 3
    result = note_run.enqueue(str(tmp_path), lose_database_times=10)

    call_command("worker", "--burst")

    finished = default_task_backend.get_result(result.id)
    assert finished.status == TaskResultStatus.FAILED
    assert finished.errors[-1].exception_class_path == "django.db.utils.OperationalError"
    assert runs(tmp_path) == 3


@pytest.mark.django_db(transaction=True)
def test_a_finished_task_whose_outcome_could_not_be_written_is_written_later_not_run_again(
    db_queue, monkeypatch, tmp_path
):
    result = note_run.enqueue(str(tmp_path))
    calls = fail_first(monkeypatch, DBTaskResult, "set_successful", 4, OperationalError(LOST))

    call_command("worker", "--burst")

    finished = default_task_backend.get_result(result.id)
    assert finished.status == TaskResultStatus.SUCCESSFUL
    assert finished.return_value == 1
    assert runs(tmp_path) == 1
    assert len(calls) == 5


@pytest.mark.django_db(transaction=True)
def test_a_task_that_raises_any_other_error_still_fails_at_once(db_queue):
    result = divide_by_zero.enqueue()

    call_command("worker", "--burst")

    finished = default_task_backend.get_result(result.id)
    assert finished.status == TaskResultStatus.FAILED
    assert finished.errors[-1].exception_class_path == "builtins.ZeroDivisionError"


@pytest.mark.django_db(transaction=True)
def test_a_programming_error_still_stops_the_worker(db_queue, monkeypatch, tmp_path):
    note_run.enqueue(str(tmp_path))
    fail_first(monkeypatch, DBTaskResultQuerySet, "get_locked", 1, ProgrammingError("column does not exist"))

    with pytest.raises(ProgrammingError):
        call_command("worker", "--burst")


def test_the_wait_doubles_from_a_second_to_thirty_and_stops_when_the_worker_is_asked_to(monkeypatch, caplog):
    waits = []
    answers = iter([OperationalError(LOST)] * 6 + [None])

    def probe():
        error = next(answers)
        if error:
            raise error

    monkeypatch.setattr(queue.Outage, "pause", lambda self, seconds: waits.append(seconds) or True)
    assert queue.Outage("The database", probe, down=queue.DATABASE_DOWN).wait(OperationalError(LOST))
    assert waits == [1, 2, 4, 8, 16, 30, 30]
    assert [r.levelname for r in caplog.records if r.name == "binaboard.queue"] == ["WARNING", "WARNING"]

    # Lost again at once (or an error of the class that is no outage, which `SELECT 1` does not see): the wait
    # goes on doubling from where it was, not from a second again.
    answers = iter([None, None])
    outage = queue.Outage("The database", probe, down=queue.DATABASE_DOWN)
    assert outage.wait(OperationalError("no such table: x")) and outage.wait(OperationalError("no such table: x"))
    assert waits[-2:] == [1, 2]

    stopping = queue.Outage("The database", probe, down=queue.DATABASE_DOWN, keep_waiting=lambda: False)
    monkeypatch.undo()
    assert not stopping.wait(OperationalError(LOST))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_carries_on_after_postgresql_refused_it_for_a_while(db_queue, tmp_path):
    log = tmp_path / "worker.log"
    worker = start_worker(log, TASKS_BACKEND="db", WORKER_NICE="0")
    try:
        before = note_run.enqueue(str(tmp_path))  # run: the worker's loop holds its connection now
        wait_for(lambda: succeeded(before), timeout=60, what="the worker to run a first task")

        # As a restart would: every session ended, and new ones refused for a few seconds (this test's
        # own session stays: it lets them in again).
        with refused_connections():
            time.sleep(3)
            assert worker.poll() is None, log.read_text()
            assert "The database cannot be reached" in log.read_text()
        after = note_run.enqueue(str(tmp_path))

        wait_for(lambda: succeeded(after) or worker.poll() is not None, timeout=60, what="the task after the outage")
        assert worker.poll() is None, log.read_text()
        assert succeeded(after)
        assert log.read_text().count("The database cannot be reached") == 1
        assert "The database answers again" in log.read_text()
        assert runs(tmp_path) == 2
    finally:
        stop(worker)


def stop(worker: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


def succeeded(result) -> bool:
    return default_task_backend.get_result(result.id).status == TaskResultStatus.SUCCESSFUL


@contextlib.contextmanager
def refused_connections():
    """PostgreSQL ends every session on the test database but this test's, and refuses new ones until the end.

    A database cannot refuse connections to itself: the switch is made from the server's `postgres` database.
    """
    config = connection.settings_dict
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        own = cursor.fetchone()[0]
    name = connection.ops.quote_name(config["NAME"])
    with psycopg.connect(
        dbname="postgres",
        user=config["USER"],
        password=config["PASSWORD"] or None,
        host=config["HOST"] or "127.0.0.1",
        port=config["PORT"] or 5432,
        autocommit=True,
    ) as admin:
        admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
        try:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> %s",
                [config["NAME"], own],
            )
            yield
        finally:
            admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")


@pytest.fixture
def rq_queue(settings, monkeypatch):
    """RQ on the test's Redis, flushed; outages waited out in a hundredth of a second; signals restored after."""
    import redis

    from tests.task_helpers import TEST_REDIS_URL

    settings.TASKS_BACKEND = "rq"
    settings.TASKS = {"default": settings.TASK_BACKENDS["rq"]}
    settings.RQ_QUEUES = {"default": {"URL": TEST_REDIS_URL, "DEFAULT_TIMEOUT": -1}}
    monkeypatch.setattr(queue, "OUTAGE_FIRST_WAIT", 0.01)
    client = redis.Redis.from_url(TEST_REDIS_URL)
    try:
        client.flushdb()
    except redis.ConnectionError:
        pytest.skip("Redis does not answer")
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in handlers.items():
        signal.signal(sig, handler)
    client.flushdb()
    client.close()


def test_an_rq_worker_that_lost_redis_between_jobs_starts_its_loop_again_and_runs_the_job(
    rq_queue, monkeypatch, tmp_path, caplog
):
    import django_rq
    import redis
    from django_tasks_rq.backend import Job
    from rq.worker import BaseWorker

    result = note_run.enqueue(str(tmp_path))
    lost = redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    fail_first(monkeypatch, BaseWorker, "check_for_suspension", 2, lost)
    worker = django_rq.get_worker("default", job_class=Job, worker_class=queue.OutageProofRQWorker)

    assert worker.work(max_idle_time=1)  # without the outages, it would return after a second idle

    assert runs(tmp_path) == 1
    assert default_task_backend.get_result(result.id).status == TaskResultStatus.SUCCESSFUL
    warnings = [r.getMessage() for r in caplog.records if r.name == "binaboard.queue"]
    assert sum("Redis cannot be reached (ConnectionError: Error 111" in m for m in warnings) == 2
    assert sum("Redis answers again" in m for m in warnings) == 2


def test_an_rq_worker_asked_to_stop_while_redis_is_away_stops(rq_queue, monkeypatch):
    import django_rq
    import redis
    from django_tasks_rq.backend import Job
    from rq.worker import BaseWorker

    worker = django_rq.get_worker("default", job_class=Job, worker_class=queue.OutageProofRQWorker)
    lost = redis.exceptions.ConnectionError("Connection refused.")
    monkeypatch.setattr(BaseWorker, "check_for_suspension", lambda self, burst: (_ for _ in ()).throw(lost))
    monkeypatch.setattr(worker.connection, "ping", lambda: (_ for _ in ()).throw(lost))
    waits = []

    def pause(outage, seconds):
        waits.append(seconds)
        worker.request_stop(signal.SIGTERM, None)  # Ctrl-C under `make run`
        return outage.keep_waiting()

    monkeypatch.setattr(queue.Outage, "pause", pause)

    assert worker.work() is False
    assert waits == [queue.OUTAGE_FIRST_WAIT]
