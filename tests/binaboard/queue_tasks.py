"""Tasks for the queue tests, importable by a worker process."""

from __future__ import annotations

import time
from pathlib import Path

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
