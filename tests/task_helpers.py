"""Running background tasks in tests: the `task_backend` fixture (tests/conftest.py) picks the queue,
these helpers run real worker processes against the test database, the test's media and Redis.

A test that hands work to a worker process needs committed rows: use `transactional_db`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
# Redis for the task tests: a database number of its own per test process (pytest-xdist workers run side
# by side and each flushes its database before a test), from 5 up. TEST_REDIS_URL (a run beside another
# one) names the first worker's database; as with TEST_DB_NAME, each xdist worker gets its own, counted up.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")


def _test_redis_url() -> str:
    worker = int(_WORKER) if _WORKER.isdigit() else 0
    given = os.environ.get("TEST_REDIS_URL")
    if not given:
        return f"redis://127.0.0.1:6379/{5 + worker % 10}"
    parts = urlsplit(given)
    first = parts.path.strip("/") or "0"
    if not first.isdigit():
        raise RuntimeError(f"TEST_REDIS_URL must end in a database number (redis://host:port/N), not {given!r}")
    # Redis has 16 databases (0-15) unless configured otherwise: the count wraps instead of running past them.
    return parts._replace(path=f"/{(int(first) + worker) % 16}").geturl()


TEST_REDIS_URL = _test_redis_url()


def database_url() -> str:
    """The URL of the database this test runs on (the test database, not DATABASE_URL's)."""
    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(config['NAME']).resolve()}"
    user = quote(config.get("USER") or "")
    password = f":{quote(config['PASSWORD'])}" if config.get("PASSWORD") else ""
    host = config.get("HOST") or "127.0.0.1"
    port = config.get("PORT") or 5432
    return f"postgresql://{user}{password}@{host}:{port}/{config['NAME']}"


def worker_env(**extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "TASKS_BACKEND": settings.TASKS_BACKEND,
        "REDIS_URL": TEST_REDIS_URL,
        "TASK_MAINTENANCE_SECONDS": "1",
        "LOG_LEVEL": "INFO",
    }
    env.update(extra)
    return env


def run_worker(timeout: float = 120, **env: str) -> str:
    """A worker in burst mode: maintenance once, every queued task, then it exits; its output."""
    done = subprocess.run(
        [sys.executable, "manage.py", "worker", "--burst"],
        env=worker_env(**env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def start_worker(log_path: Path, **env: str) -> subprocess.Popen:
    """A long-running worker in a process group of its own (RQ forks a child per task)."""
    return subprocess.Popen(
        [sys.executable, "manage.py", "worker"],
        env=worker_env(**env),
        cwd=ROOT,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def kill_worker(process: subprocess.Popen) -> None:
    """SIGKILL the worker and everything it started, as a crash or a lost machine would.

    RQ's work horse (the child running the task) leaves its parent's session, so it is found by
    walking the parent links, not by process group.
    """
    for pid in [process.pid, *descendants(process.pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait(timeout=10)


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # The parent id is the 2nd field after the command name, which may hold spaces.
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def wait_for(condition, timeout: float = 60, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")
