"""`manage.py cleanup_media`: stored files that no row points to are found and removed (or listed)."""

from __future__ import annotations

import io
import os
import time

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from batches.ingest.pipeline import Source, ingest
from batches.models import Project
from tests.batches import ingest_samples as samples
from tests.batches.ingest_samples import stored_files


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
