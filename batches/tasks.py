"""Background work of the batches app, declared with Django's `django.tasks` (see binaboard/queue.py).

Every task may run more than once (a worker killed mid-task has its task run again): each one is
written so that a second run finishes what the first left and repeats nothing harmful.
"""

from __future__ import annotations

import io

from django.core.management import call_command
from django.tasks import task

from .uploads.processing import process_files


@task
def cleanup_media() -> str:
    """The periodic cleanup: what `manage.py cleanup_media` removes, with its default grace period."""
    out = io.StringIO()
    call_command("cleanup_media", stdout=out)
    return out.getvalue()[-2000:]


@task
def process_upload_files(session_pk: int, file_pks: list[int]) -> int:
    """One chunk of an upload session: its stored files → images in the session's batch.

    A second run skips the files the first made into images (each is claimed by a compare-and-set).
    """
    return process_files(session_pk, file_pks)
