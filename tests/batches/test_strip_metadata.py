"""`manage.py strip_metadata`: files stored before ingest stripped metadata lose it once, safely."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command

from batches import workflow
from batches.models import Image, StoredFile
from tests.batches.ingest_samples import stored_files
from tests.batches.metadata_samples import (
    assert_no_metadata,
    pixels,
    stored_bytes,
    telling_jpeg,
    telling_png,
)

pytestmark = pytest.mark.django_db


def strip(*args: str) -> str:
    out = io.StringIO()
    call_command("strip_metadata", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def legacy_image(project, manager, data: bytes, ext: str) -> Image:
    """An image as ingest stored it before: the uploaded bytes as they were, metadata and all."""
    image = Image(project=project, width=120, height=80, sha256=f"{ext}-{len(data)}", original_name=f"old.{ext}")
    image.file.save(f"old.{ext}", ContentFile(data), save=False)
    image.thumbnail.save("thumb.jpg", ContentFile(telling_jpeg(32, 24)), save=False)
    batch = workflow.create_batch(actor=manager, project=project, name="Old", images=[image])
    return Image.objects.get(batch=batch)


def test_legacy_files_lose_their_metadata_and_keep_their_pixels(project, manager, django_capture_on_commit_callbacks):
    jpeg, png = telling_jpeg(), telling_png()
    photo = legacy_image(project, manager, jpeg, "jpg")
    scan = Image.objects.get(batch=legacy_image(project, manager, png, "png").batch)
    old_names = {photo.file.name, photo.thumbnail.name, scan.file.name, scan.thumbnail.name}

    with django_capture_on_commit_callbacks(execute=True):
        out = strip()

    assert "Stripped 4 files" in out
    photo.refresh_from_db()
    scan.refresh_from_db()
    for image, original in ((photo, jpeg), (scan, png)):
        assert_no_metadata(stored_bytes(image.file.name))
        assert_no_metadata(stored_bytes(image.thumbnail.name))
        assert pixels(stored_bytes(image.file.name)) == pixels(original)
    assert not old_names & set(stored_files())  # the old files are gone
    assert set(stored_files()) == {photo.file.name, photo.thumbnail.name, scan.file.name, scan.thumbnail.name}
    assert not StoredFile.objects.exists()
    assert "No stored file carries metadata." in strip()


def test_a_dry_run_lists_and_changes_nothing(project, manager):
    photo = legacy_image(project, manager, telling_jpeg(), "jpg")
    before = stored_files()

    out = strip("--dry-run")

    assert f"would strip {photo.file.name}" in out and "2 files carry metadata" in out
    assert stored_files() == before
    assert Image.objects.get(pk=photo.pk).file.name == photo.file.name


def test_a_row_that_changed_meanwhile_keeps_its_file_and_the_copy_goes(project, manager, monkeypatch):
    photo = legacy_image(project, manager, telling_jpeg(), "jpg")
    real_save = FileSystemStorage.save

    def save_then_row_moves_on(self, name, content, **kwargs):
        saved = real_save(self, name, content, **kwargs)
        Image.objects.filter(pk=photo.pk).update(file="projects/elsewhere.jpg", thumbnail="projects/elsewhere.jpg")
        return saved

    monkeypatch.setattr(FileSystemStorage, "save", save_then_row_moves_on)
    before = stored_files()

    strip()

    assert stored_files() == before
    assert not StoredFile.objects.exists()
