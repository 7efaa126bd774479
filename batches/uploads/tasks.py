"""The upload session's background work, as `django.tasks` tasks (the backend comes from settings.TASKS).

Arguments are plain ids, so any backend can carry them; the work is idempotent (see processing).
"""

from __future__ import annotations

from django.tasks import task

from .processing import process_files


@task()
def process_upload_files(session_pk: int, file_pks: list[int]) -> int:
    """One chunk's stored files → images in the session's batch."""
    return process_files(session_pk, file_pks)
