"""Tasks for the queue tests, importable by a worker process."""

from __future__ import annotations

import time
from pathlib import Path

from django.db import OperationalError
from django.tasks import task


@task
def wait_for_release(folder: str) -> int:
    """Note an attempt, wait until the test creates `release`, then finish: a task to kill mid-way."""
    root = Path(folder)
    with (root / "attempts").open("a") as attempts:
        attempts.write("started\n")
    while not (root / "release").exists():
        time.sleep(0.05)
    (root / "done").write_text("finished")
    return len((root / "attempts").read_text().splitlines())


@task
def note_run(folder: str, lose_database_times: int = 0) -> int:
    """Note a run; the first `lose_database_times` runs fail as a lost database makes a query fail."""
    root = Path(folder)
    with (root / "runs").open("a") as runs:
        runs.write("run\n")
    count = len((root / "runs").read_text().splitlines())
    if count <= lose_database_times:
        raise OperationalError("server closed the connection unexpectedly")
    return count


@task
def divide_by_zero() -> float:
    return 1 / 0
