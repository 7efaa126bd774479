"""`manage.py import_images`: a folder or archive on the server, through the upload page's pipeline."""

from __future__ import annotations

import io
import os

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from batches.models import Batch, BatchEvent, UploadFile, UploadSession
from batches.reasons import translated
from batches.uploads.processing import process_waiting
from tests.batches import ingest_samples as samples
from tests.batches.ingest_samples import stored_files
from tests.factories import make_project


def import_images(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_images", *args, "--now", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "Street-09"
    (root / "north").mkdir(parents=True)
    (root / "img_0001.jpg").write_bytes(samples.jpeg())
    (root / "north" / "img_0002.png").write_bytes(samples.png())
    (root / "north" / "broken.jpg").write_bytes(samples.truncated_jpeg())
    (root / "notes.svg").write_bytes(samples.SVG_WITH_SCRIPT)
    (root / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    os.symlink("/etc/passwd", root / "north" / "link.jpg")
    return root


def test_a_folder_becomes_one_batch_named_after_it_with_the_same_report_as_the_page(project, manager, folder):
    out, err = import_images(str(project.pk), str(folder), "--as", "manager")
    batch = Batch.objects.get(project=project)
    assert batch.name == "Street-09"
    assert sorted(batch.images.values_list("original_name", flat=True)) == ["img_0001.jpg", "north/img_0002.png"]
    assert BatchEvent.objects.get(batch=batch).actor == manager
    assert "Kept 2 images as the new batch “Street-09” in Unassigned; refused 4 files." in out
    assert "north/broken.jpg: corrupt or truncated image: it cannot be decoded" in out
    assert "notes.svg: SVG drawings are not accepted" in out
    assert "north/link.jpg: skipped: symbolic link" in out
    assert ".DS_Store: skipped: operating-system metadata" in out
    assert f"Batch id {batch.pk}, 2 images" in out
    assert "Checking 6 files" in err
    assert "checked 3/3 (100%)" in err  # the 3 files past the cheap checks, decoded in full (a line per tenth)


def test_a_zip_inside_a_folder_is_refused_saying_so_in_the_readers_language(project, manager, folder):
    """It read "not an image: a zip-based file (only archives named .zip are unpacked)" of a file named .zip."""
    (folder / "north" / "more.zip").write_bytes(samples.zip_archive([("c.jpg", samples.jpeg(seed=9))]))
    out, _ = import_images(str(project.pk), str(folder), "--as", "manager")
    assert "north/more.zip: skipped: a .zip inside a folder is not unpacked; import the archive on its own" in out
    row = UploadFile.objects.get(original_name="north/more.zip")
    with translation.override("fa"):
        assert translated(row.reason) == "رد شد: بایگانی zip درون یک پوشه باز نمی‌شود؛ آن را جداگانه وارد کنید"


def test_an_archive_is_imported_with_its_entries_checked(project, manager, tmp_path):
    archive = tmp_path / "night-04.zip"
    archive.write_bytes(samples.zip_archive([("a.jpg", samples.jpeg()), ("../b.jpg", samples.jpeg())]))
    out, _ = import_images(project.name, str(archive), "--as", "manager", "--batch-name", "Night 4")
    batch = Batch.objects.get(project=project)
    assert (batch.name, batch.image_count) == ("Night 4", 1)
    assert "night-04.zip/../b.jpg: skipped: path leads outside the archive (..)" in out


def test_without_as_the_first_superuser_imports_and_the_command_says_so(project, superuser, folder):
    _, err = import_images(str(project.pk), str(folder), "--no-progress")
    assert "Importing as root, the first superuser" in err
    assert BatchEvent.objects.get().actor == superuser


def test_without_as_and_without_a_superuser_it_asks_for_a_manager(project, manager, folder):
    with pytest.raises(CommandError, match="--as USERNAME"):
        import_images(str(project.pk), str(folder))
    assert not Batch.objects.exists()


def test_a_user_who_is_not_a_manager_cannot_import(project, annotator, folder):
    with pytest.raises(CommandError, match="Only a manager of this project can upload images"):
        import_images(str(project.pk), str(folder), "--as", "annotator")
    assert stored_files() == []


def test_unknown_users_projects_and_paths_are_named_in_the_error(project, manager, folder, tmp_path):
    with pytest.raises(CommandError, match="no active user called 'nobody'"):
        import_images(str(project.pk), str(folder), "--as", "nobody")
    with pytest.raises(CommandError, match="No project has the id or name 'Mars'"):
        import_images("Mars", str(folder), "--as", "manager")
    with pytest.raises(CommandError, match="does not exist"):
        import_images(str(project.pk), str(tmp_path / "missing"), "--as", "manager")


def test_two_projects_with_the_same_name_need_the_id(project, manager, folder):
    make_project(project.name)
    with pytest.raises(CommandError, match="2 projects are called 'Street scenes'"):
        import_images(project.name, str(folder), "--as", "manager")


def test_when_nothing_is_good_the_command_fails_and_creates_nothing(project, manager, tmp_path):
    (tmp_path / "a.svg").write_bytes(samples.SVG_WITH_SCRIPT)
    with pytest.raises(CommandError, match=r"No image was kept, so no batch was created\."):
        import_images(str(project.pk), str(tmp_path), "--as", "manager")
    assert not Batch.objects.exists()
    assert stored_files() == []


def test_verbose_output_lists_the_kept_files_with_their_sizes(project, manager, folder):
    out = io.StringIO()
    call_command(
        "import_images",
        str(project.pk),
        str(folder),
        "--as",
        "manager",
        "--now",
        verbosity=2,
        stdout=out,
        stderr=io.StringIO(),
    )
    assert "Kept (2):" in out.getvalue()
    assert "img_0001.jpg: 64×48" in out.getvalue()


def test_a_large_folder_can_be_checked_by_a_process_pool(project, manager, tmp_path):
    for i in range(20):
        (tmp_path / f"{i:02}.jpg").write_bytes(samples.jpeg(200, 150))
    out, _ = import_images(str(project.pk), str(tmp_path), "--as", "manager", "--workers", "2")
    assert Batch.objects.get().image_count == 20
    assert "refused" not in out


def test_without_now_the_files_are_stored_and_left_to_the_workers(project, manager, folder, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    out = io.StringIO()
    call_command("import_images", str(project.pk), str(folder), "--as", "manager", stdout=out, stderr=io.StringIO())
    session = UploadSession.objects.get()
    assert session.status == UploadSession.Status.PROCESSING
    assert session.received == 3
    batch = Batch.objects.get()
    assert batch.is_processing
    assert batch.image_count == 0
    assert f"batch id {batch.pk} fills as they are processed" in out.getvalue()
    assert "notes.svg: SVG drawings are not accepted" in out.getvalue()
    process_waiting()
    session.refresh_from_db()
    batch.refresh_from_db()
    assert session.status == UploadSession.Status.DONE
    assert (batch.image_count, batch.is_processing) == (2, False)
