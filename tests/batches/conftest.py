"""Fixtures shared by the batches tests."""

import os

import pytest

# Upload tests send archives in parts this small, so a few pictures make several parts.
UPLOAD_PART_BYTES = 4096


@pytest.fixture
def small_upload_parts(settings, transactional_db, tmp_path):
    """Uploads in parts of UPLOAD_PART_BYTES and chunks of two files, processed as they arrive, spooled under
    the test's own folder (so a test can see that nothing is left there)."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.UPLOAD_PART_BYTES = UPLOAD_PART_BYTES
    settings.UPLOAD_CHUNK_FILES = 2
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "spool")
    os.makedirs(settings.FILE_UPLOAD_TEMP_DIR)
