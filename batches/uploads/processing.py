"""Upload sessions, the worker side: stored files → full decode check, upright, clean, thumbnail → images.

Idempotent and safe to run twice at once: a file is claimed by a compare-and-set from `received` in
the transaction that creates its image, so a retried or duplicated task skips what is done, and a
worker killed mid-file leaves that file `received` (its new thumbnail in the ledger, for
cleanup_media) to be processed again by `process_waiting`.
"""

from __future__ import annotations

import logging
import uuid

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.tasks import task
from django.utils import timezone

from ..ingest.check import Checked, Refused, Task, check
from ..ingest.limits import Limits
from ..ingest.pipeline import discard
from ..models import Image, StoredFile, UploadFile, UploadPart, UploadSession
from ..notifications import upload_done
from ..workflow import add_processed_image, close_upload_batch

log = logging.getLogger("batches.uploads")

OPEN = (UploadSession.Status.RECEIVING, UploadSession.Status.PROCESSING)


class _Lost(Exception):
    """The file was claimed by another worker, or the session was cancelled, while this one worked."""


def process_files(session_pk: int, file_pks: list[int], limits: Limits | None = None) -> int:
    """Process these files of the session (those still waiting); returns how many became images."""
    limits = limits or Limits.from_settings()
    session = UploadSession.objects.filter(pk=session_pk, status__in=OPEN).first()
    if session is None:
        return 0
    made = 0
    for upload_file in UploadFile.objects.filter(session=session, pk__in=file_pks, state=UploadFile.State.RECEIVED):
        made += process_one(session, upload_file, limits)
    complete_if_done(session_pk)
    return made


def process_one(session: UploadSession, upload_file: UploadFile, limits: Limits) -> int:
    storage = Image.file.field.storage
    try:
        with storage.open(upload_file.stored, "rb") as handle:
            data = handle.read(limits.file_bytes + 1)
    except (OSError, ValueError):
        log.warning("stored file %s of upload %s is missing", upload_file.stored, session.pk)
        _fail(session, upload_file, "the stored file is missing; upload it again")
        return 0
    result = check(Task(upload_file.pk, upload_file.original_name, data=data), limits, keep_bytes=True)
    if isinstance(result, Refused):
        _fail(session, upload_file, result.reason)
        return 0
    return _make_image(session, upload_file, result, data)


def _make_image(session: UploadSession, upload_file: UploadFile, result: Checked, data: bytes) -> int:
    storage = Image.file.field.storage
    ledger = uuid.uuid4()
    image = Image(
        project_id=session.project_id,
        width=result.width,
        height=result.height,
        sha256=upload_file.sha256,
        original_name=upload_file.original_name,
    )
    # check() hands back the very bytes it was given when they need no change.
    replaced = result.data is not None and result.data is not data
    names = [f"projects/{session.project_id}/thumbs/{uuid.uuid4().hex}.jpg"]
    if (
        replaced
    ):  # metadata out, turned upright, or a first frame as PNG: a new file; the received one goes after commit
        names.append(f"projects/{session.project_id}/images/{uuid.uuid4().hex}.{result.ext}")
    StoredFile.objects.bulk_create([StoredFile(name=name, upload=ledger) for name in names])
    try:
        image.thumbnail = storage.save(names[0], ContentFile(result.thumbnail))
        image.file = storage.save(names[1], ContentFile(result.data)) if replaced else upload_file.stored
        with transaction.atomic():
            if not UploadSession.objects.select_for_update().filter(pk=session.pk, status__in=OPEN).exists():
                raise _Lost
            claimed = UploadFile.objects.filter(pk=upload_file.pk, state=UploadFile.State.RECEIVED).update(
                state=UploadFile.State.READY, stored=""
            )
            if not claimed:
                raise _Lost
            add_processed_image(batch_pk=session.batch_id, image=image)
            UploadFile.objects.filter(pk=upload_file.pk).update(image=image)
            StoredFile.objects.filter(upload=ledger).delete()
            # updated_at: the batch page tells a session whose workers fell silent.
            UploadSession.objects.filter(pk=session.pk).update(processed=F("processed") + 1, updated_at=timezone.now())
    except _Lost:
        discard([name for name in (image.thumbnail.name, image.file.name if replaced else "") if name] + names)
        return 0
    except IntegrityError:
        # The same content became an image of this project a moment ago (another upload's worker).
        discard([name for name in (image.thumbnail.name, image.file.name if replaced else "") if name] + names)
        _fail(session, upload_file, "duplicate: another upload added the same image a moment ago")
        return 0
    except Exception:
        discard(names)
        raise
    if replaced:
        discard([upload_file.stored])
    return 1


def _fail(session: UploadSession, upload_file: UploadFile, reason: str) -> None:
    """Dropped from the batch, listed with its reason in the report; its stored file goes."""
    with transaction.atomic():
        failed = UploadFile.objects.filter(pk=upload_file.pk, state=UploadFile.State.RECEIVED).update(
            state=UploadFile.State.FAILED, reason=reason[:500], stored=""
        )
        if failed:
            UploadSession.objects.filter(pk=session.pk).update(failed=F("failed") + 1)
            # The expected total stays: the card counts what is ready against what was sent.
            transaction.on_commit(lambda: discard([upload_file.stored]))


def complete_if_done(session_pk: int) -> bool:
    """Once everything is sent and nothing waits: the session is done and its batch stops processing.

    Run after each worker's commit, so the last one to finish always sees nothing waiting.
    """
    if UploadFile.objects.filter(session_id=session_pk, state=UploadFile.State.RECEIVED).exists():
        return False
    if UploadPart.objects.filter(session_id=session_pk).exists():  # an archive still to unpack
        return False
    with transaction.atomic():
        session = UploadSession.objects.select_for_update().filter(pk=session_pk).first()
        if session is None or session.status != UploadSession.Status.PROCESSING:
            return False
        if UploadFile.objects.filter(session_id=session_pk, state=UploadFile.State.RECEIVED).exists():
            return False
        if UploadPart.objects.filter(session_id=session_pk).exists():
            return False
        UploadSession.objects.filter(pk=session_pk, status=UploadSession.Status.PROCESSING).update(
            status=UploadSession.Status.DONE
        )
        if session.batch_id:
            close_upload_batch(batch_pk=session.batch_id)
        upload_done(session)  # issue 18: the uploader is told, with the files refused
    return True


def process_waiting(session_pk: int | None = None, limits: Limits | None = None) -> int:
    """Every file still waiting (a worker died, a task was lost): processed here, in this process.

    (Archives still in parts: `archives.process_waiting` unpacks them first.)
    """
    sessions = UploadSession.objects.filter(status__in=OPEN)
    if session_pk is not None:
        sessions = sessions.filter(pk=session_pk)
    made = 0
    for pk in list(sessions.values_list("pk", flat=True)):
        waiting = list(
            UploadFile.objects.filter(session_id=pk, state=UploadFile.State.RECEIVED).values_list("pk", flat=True)
        )
        made += process_files(pk, waiting, limits)
    return made


@task
def process_upload_files(session_pk: int, file_pks: list[int]) -> int:
    """One chunk of an upload session, on a worker: its stored files → images in the session's batch.

    A second run skips the files the first made into images (each is claimed by a compare-and-set).
    """
    return process_files(session_pk, file_pks)
