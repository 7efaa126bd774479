"""`manage.py cleanup_media`: files of uploads that died, files no row points to and stale temporary files."""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
import time
import uuid

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from batches import workflow
from batches.ingest.pipeline import Source, ingest
from batches.models import Project, StoredFile
from tests.batches import ingest_samples as samples
from tests.batches.ingest_samples import stored_files


@pytest.fixture(autouse=True)
def _temp_dir(tmp_path, monkeypatch):
    # The command also sweeps the temporary folder: never the machine's own in tests.
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))


def cleanup(*args: str) -> str:
    out = io.StringIO()
    call_command("cleanup_media", *args, stdout=out)
    return out.getvalue()


def age(name: str, hours: float = 3) -> None:
    """Make a local file look older, as if it had been there a while."""
    then = time.time() - hours * 3600
    os.utime(default_storage.path(name), (then, then))


def upload(manager, project, n: int = 2):
    sources = [Source.from_bytes(f"{i}.jpg", samples.jpeg()) for i in range(n)]
    return ingest(actor=manager, project=project, sources=sources).batch


def test_orphaned_files_are_removed_and_every_referenced_file_stays(project, manager):
    batch = upload(manager, project)
    kept = stored_files()
    orphan = default_storage.save(
        f"projects/{project.pk}/images/0123456789abcdef0123456789abcdef.jpg", ContentFile(b"x")
    )
    orphan_thumb = default_storage.save(
        f"projects/{project.pk}/thumbs/00000000000000000000000000000000.jpg", ContentFile(b"y")
    )
    for name in [orphan, orphan_thumb, *kept]:
        age(name)

    out = cleanup()
    assert f"removing {orphan}" in out
    assert "Removed 2 orphaned files (2 bytes)." in out
    assert stored_files() == kept
    assert batch.images.count() == 2


def test_a_dry_run_lists_and_removes_nothing(project, manager):
    upload(manager, project)
    orphan = default_storage.save(f"projects/{project.pk}/images/{'a' * 32}.jpg", ContentFile(b"x"))
    age(orphan)
    before = stored_files()
    out = cleanup("--dry-run")
    assert f"would remove {orphan}" in out
    assert "1 orphaned files (1 bytes) would be removed; run without --dry-run." in out
    assert stored_files() == before


def test_files_of_an_upload_in_progress_are_left_alone(project, manager):
    fresh = default_storage.save(f"projects/{project.pk}/images/{'b' * 32}.jpg", ContentFile(b"x"))
    out = cleanup()
    assert "No orphaned files" in out
    assert default_storage.exists(fresh)
    assert "removing" in cleanup("--min-age", "0")
    assert not default_storage.exists(fresh)


def test_the_files_of_a_deleted_project_are_orphans(project, manager):
    upload(manager, project)
    names = stored_files()
    for name in names:
        age(name)
    Project.objects.filter(pk=project.pk).delete()
    out = cleanup()
    assert f"Removed {len(names)} orphaned files" in out
    assert stored_files() == []


def test_files_outside_the_image_folders_are_never_touched(project, manager):
    other = default_storage.save("exports/keep-me.zip", ContentFile(b"zip"))
    age(other)
    assert "No orphaned files" in cleanup()
    assert default_storage.exists(other)


def test_a_clean_storage_says_so(project, manager):
    upload(manager, project)
    for name in stored_files():
        age(name)
    assert "No orphaned files: every stored image and thumbnail has its row." in cleanup()


# --- the ledger of files written before their rows, and temporary upload files ----------------------


def ledger_entry(project, name: str, *, minutes_ago: float, content: bytes = b"") -> str:
    """A file an upload recorded and began to write (empty: the disk was full), `minutes_ago`."""
    name = default_storage.save(f"projects/{project.pk}/images/{name}", ContentFile(content))
    StoredFile.objects.create(
        name=name, upload=uuid.uuid4(), created_at=timezone.now() - dt.timedelta(minutes=minutes_ago)
    )
    age(name, hours=minutes_ago / 60)
    return name


def test_files_left_by_an_upload_that_died_are_removed_with_their_ledger_rows(project, manager):
    batch = upload(manager, project)
    kept = stored_files()
    empty = ledger_entry(project, f"{'c' * 32}.jpg", minutes_ago=90)
    partial = ledger_entry(project, f"{'d' * 32}.jpg", minutes_ago=90, content=b"\xff\xd8\xff")
    gone = StoredFile.objects.create(name=f"projects/{project.pk}/thumbs/{'e' * 32}.jpg", upload=uuid.uuid4())
    StoredFile.objects.filter(pk=gone.pk).update(created_at=timezone.now() - dt.timedelta(hours=2))

    out = cleanup()

    assert f"removing {empty} (written by an upload that did not finish)" in out
    assert f"removing {partial} (written by an upload that did not finish)" in out
    assert "Removed 3 orphaned files (3 bytes)." in out
    assert "Of these: 3 left by uploads that did not finish." in out
    assert stored_files() == kept and batch.images.count() == 2
    assert not StoredFile.objects.exists()


def test_files_of_an_upload_still_writing_are_left_alone_and_said_so(project, manager):
    live = ledger_entry(project, f"{'f' * 32}.jpg", minutes_ago=5)

    out = cleanup()

    assert default_storage.exists(live) and StoredFile.objects.filter(name=live).exists()
    assert "No orphaned files: none older than 60 minutes." in out
    assert "Left alone: 1 files younger than 60 minutes" in out


def test_a_dry_run_lists_the_ledger_files_and_removes_nothing(project, manager):
    name = ledger_entry(project, f"{'0' * 32}.jpg", minutes_ago=90)

    out = cleanup("--dry-run")

    assert f"would remove {name} (written by an upload that did not finish)" in out
    assert "1 orphaned files (0 bytes) would be removed; run without --dry-run." in out
    assert default_storage.exists(name) and StoredFile.objects.filter(name=name).exists()


def test_stale_temporary_upload_files_are_removed_and_nothing_else_in_the_folder(settings, tmp_path, db):
    folder = tmp_path / "uploads"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    stale = [folder / "tmpa1b2c3d4.upload.jpg", folder / "tmpz9y8x7.upload", folder / "tmp_k2.upload.jp-g"]
    stale += [folder / "binaboard-spool-k2j3.zip"]
    young = folder / "tmpq1w2e3.upload.png"
    unrelated = folder / "notes.txt"
    then = time.time() - 3 * 3600
    for path in [*stale, young, unrelated]:
        path.write_bytes(b"data")
    for path in [*stale, unrelated]:
        os.utime(path, (then, then))

    out = cleanup()

    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt", "tmpq1w2e3.upload.png"]
    assert "Of these: 4 temporary upload files." in out
    assert "Left alone: 1 files younger than 60 minutes" in out


def test_files_of_a_batch_deleted_for_good_go_at_once_and_are_counted_apart(project, manager):
    batch = upload(manager, project, n=3)
    files = stored_files()
    workflow.delete_batch(actor=manager, batch=batch)
    assert all(default_storage.exists(name) for name in files)  # the request only recorded them

    assert "would remove" in cleanup("--dry-run", "-v", "2")
    assert all(default_storage.exists(name) for name in files)
    out = cleanup()  # the default grace period does not hold them back

    assert "Of these: 6 of batches deleted for good." in out
    assert not any(default_storage.exists(name) for name in files)
    assert not StoredFile.objects.exists()
