"""Uploads that fail half-way, the hard way: a full disk, an interruption, a killed process.

Afterwards (and after `cleanup_media` for the killed process, which cannot clean up after itself)
nothing is left: no stored file without its image row, no ledger row, no temporary file.
"""

from __future__ import annotations

import errno
import io
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command
from django.db import connection

from batches.ingest.pipeline import SPOOL_PREFIX, Source, ingest
from batches.models import Image, StoredFile
from tests.batches import ingest_samples as samples
from tests.batches.ingest_samples import stored_files

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def temp_dir(tmp_path, monkeypatch):
    """A temporary folder of the test's own, so "no temporary file is left" can be checked."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def referenced_files() -> set[str]:
    return {name for pair in Image.objects.values_list("file", "thumbnail") for name in pair}


def assert_nothing_left(temp_dir: Path) -> None:
    assert set(stored_files()) == referenced_files()
    assert not StoredFile.objects.exists()
    assert list(temp_dir.iterdir()) == []


def cleanup(*args: str) -> str:
    out = io.StringIO()
    call_command("cleanup_media", *args, stdout=out)
    return out.getvalue()


def archive_of(n: int) -> bytes:
    return samples.zip_archive([(f"photo_{i}.jpg", samples.jpeg(seed=700 + i)) for i in range(n)])


class Interrupted(BaseException):
    """What a worker timeout or Ctrl-C raises: not an Exception, so no `except Exception` catches it."""


def failing_storage(monkeypatch, *, after: int, error: BaseException, partial: bytes = b"") -> None:
    """Local storage that writes `after` files, then leaves `partial` bytes of the next one and raises."""
    real = FileSystemStorage._save
    calls = {"n": 0}

    def save(self, name, content):
        calls["n"] += 1
        if calls["n"] <= after:
            return real(self, name, content)
        path = Path(self.path(name))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(partial)  # what a full disk leaves: the start of the file, or nothing at all
        raise error

    monkeypatch.setattr(FileSystemStorage, "_save", save)


@pytest.mark.django_db
def test_a_disk_that_fills_up_half_way_leaves_no_file_without_its_row(manager, project, monkeypatch, temp_dir):
    # Three images and a half are written (file, thumbnail, file, ...), then every write fails.
    failing_storage(monkeypatch, after=7, error=OSError(errno.ENOSPC, "No space left on device"), partial=b"\xff\xd8")

    report = ingest(actor=manager, project=project, sources=[Source.from_bytes("trip.zip", archive_of(6))], workers=1)

    assert len(report.kept) == 3 and report.batch.image_count == 3
    assert {o.reason for o in report.refused} == {"could not be stored (storage error); try again"}
    assert_nothing_left(temp_dir)
    assert "No orphaned files" in cleanup("--min-age", "0")


@pytest.mark.django_db
def test_a_disk_full_on_the_first_file_makes_no_batch_and_leaves_nothing(manager, project, monkeypatch, temp_dir):
    failing_storage(monkeypatch, after=0, error=OSError(errno.ENOSPC, "No space left on device"))

    report = ingest(actor=manager, project=project, sources=[Source.from_bytes("a.jpg", samples.jpeg())], workers=1)

    assert report.batch is None
    assert_nothing_left(temp_dir)


@pytest.mark.django_db
def test_an_upload_interrupted_between_a_file_and_its_thumbnail_leaves_nothing(manager, project, monkeypatch, temp_dir):
    failing_storage(monkeypatch, after=5, error=Interrupted())

    with pytest.raises(Interrupted):
        ingest(actor=manager, project=project, sources=[Source.from_bytes("trip.zip", archive_of(6))], workers=1)

    assert stored_files() == []
    assert_nothing_left(temp_dir)


CHILD = """
import os, sys, time
import django
django.setup()
from django.contrib.auth import get_user_model
from django.core.files.storage import FileSystemStorage
from batches.ingest.pipeline import Source, ingest
from batches.models import Project

real = FileSystemStorage._save

def slow(self, name, content):
    saved = real(self, name, content)
    print("saved", saved, flush=True)
    time.sleep(0.3)
    return saved

FileSystemStorage._save = slow
project = Project.objects.get(pk=int(sys.argv[1]))
actor = get_user_model().objects.get(pk=int(sys.argv[2]))
with open(sys.argv[3], "rb") as handle:
    data = handle.read()
ingest(actor=actor, project=project, sources=[Source.from_bytes("trip.zip", data)], workers=1)
print("finished", flush=True)
"""


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{os.path.abspath(db['NAME'])}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_files_of_a_killed_upload_are_found_and_removed_by_cleanup_media(manager, project, temp_dir, tmp_path):
    source = tmp_path / "trip.zip"
    source.write_bytes(archive_of(8))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "binaboard.settings",
        "DEBUG": "1",
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "STORAGE_BACKEND": "local",
        "TMPDIR": str(temp_dir),
    }
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(project.pk), str(manager.pk), str(source)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(120, child.kill)  # a child that never prints must not hang the suite
    watchdog.start()
    try:
        saved = [child.stdout.readline() for _ in range(5)]  # two images and a file of the third
        assert all(line.startswith("saved") for line in saved), (saved, child.stderr.read())
    finally:
        watchdog.cancel()
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert not Image.objects.exists() and len(stored_files()) >= 5  # what the crash left
    assert any(path.name.startswith(SPOOL_PREFIX) for path in temp_dir.iterdir())

    left_alone = cleanup()  # the default grace period: it could be a live upload
    assert "Left alone:" in left_alone and len(stored_files()) >= 5
    time.sleep(0.01)
    out = cleanup("--min-age", "0")

    assert "left by uploads that did not finish" in out and "temporary upload files" in out
    assert stored_files() == []
    assert_nothing_left(temp_dir)
