"""Upload sessions, the worker side: stored files → full decode check, upright, clean, thumbnail → images.

Idempotent and safe to run twice at once: a file is claimed by a compare-and-set from `received` in
the transaction that creates its image, so a retried or duplicated task skips what is done, and a
worker killed mid-file leaves that file `received` (its new thumbnail in the ledger, for
cleanup_media) to be processed again by `process_waiting`.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Subquery
from django.tasks import task
from django.utils import timezone

from ..ingest.check import Checked, Refused, Task, check, read_at_most
from ..ingest.limits import Limits
from ..ingest.pipeline import discard
from ..models import Image, StoredFile, UploadFile, UploadPart, UploadSession
from ..notifications import upload_done
from ..workflow import add_processed_image, add_processed_images, close_upload_batch

log = logging.getLogger("batches.uploads")

OPEN = (UploadSession.Status.RECEIVING, UploadSession.Status.PROCESSING)


class _Lost(Exception):
    """The file was claimed by another worker, or the session was cancelled, while this one worked."""


# Files made into images per transaction. One commit per file cost as much as a third of the decode (a
# dozen queries each); a group shares them, and the card's "processing N / M" still moves every group.
GROUP = 10


def process_files(session_pk: int, file_pks: list[int], limits: Limits | None = None) -> int:
    """Process these files of the session (those still waiting); returns how many became images."""
    limits = limits or Limits.from_settings()
    session = UploadSession.objects.filter(pk=session_pk, status__in=OPEN).first()
    if session is None:
        return 0
    waiting = list(UploadFile.objects.filter(session=session, pk__in=file_pks, state=UploadFile.State.RECEIVED))
    made = 0
    for start in range(0, len(waiting), GROUP):
        made += process_group(session, waiting[start : start + GROUP], limits)
    complete_if_done(session_pk)
    return made


@dataclass(eq=False)  # compared by identity: `item in ready`
class _Made:
    """One checked file: its image (files written, row not yet saved) and the names it wrote."""

    upload_file: UploadFile
    image: Image
    written: list[str]
    replaced: bool  # a clean (or upright, or PNG) copy was written: the received file goes after the commit


def process_group(session: UploadSession, upload_files: list[UploadFile], limits: Limits) -> int:
    """A few files of the session → images, in one transaction; returns how many became images.

    Each file's new files are written (listed in the ledger first) as it is checked, so one file's bytes at
    a time are in memory. The images, the claims (compare-and-set from `received`) and the counts commit
    together: a worker killed before the commit leaves every file of the group `received`, its written
    files in the ledger for cleanup_media.
    """
    ledger = uuid.uuid4()
    # Two names per file, listed before any is written: the thumbnail and, if the file must change, its copy.
    planned = {
        upload_file.pk: (
            f"projects/{session.project_id}/thumbs/{uuid.uuid4().hex}.jpg",
            f"projects/{session.project_id}/images/{uuid.uuid4().hex}.{_ext(upload_file.stored)}",
        )
        for upload_file in upload_files
    }
    StoredFile.objects.bulk_create(
        [StoredFile(name=name, upload=ledger) for names in planned.values() for name in names]
    )
    made: list[_Made] = []
    refused: list[tuple[UploadFile, str]] = []
    try:
        for upload_file in upload_files:
            outcome = _check_and_write(session, upload_file, limits, planned[upload_file.pk], ledger)
            if isinstance(outcome, str):
                refused.append((upload_file, outcome))
            else:
                made.append(outcome)
        written = [name for item in made for name in item.written]
        try:
            ready, failed = _commit_group(session, made, refused, ledger)
        except _Lost:
            discard(written)
            StoredFile.objects.filter(upload=ledger).exclude(name__in=written).delete()
            return 0
        except IntegrityError:
            # The same content became an image of this project a moment ago (another upload's worker): the
            # group goes again file by file, so only that file is refused.
            discard(written)
            StoredFile.objects.filter(upload=ledger).exclude(name__in=written).delete()
            return sum(process_one(session, upload_file, limits) for upload_file in upload_files)
    except BaseException:
        discard([name for item in made for name in item.written])
        raise
    # Files another worker made into images first: what this one wrote for them goes.
    discard([name for item in made if item not in ready for name in item.written])
    # The received files that became clean copies, and those of the refused files: nobody's any more.
    discard(
        [item.upload_file.stored for item in ready if item.replaced] + [upload_file.stored for upload_file in failed]
    )
    return len(ready)


def _ext(name: str) -> str:
    return name.rsplit(".", 1)[-1] if "." in name.rsplit("/", 1)[-1] else "bin"


def _read_and_check(session: UploadSession, upload_file: UploadFile, limits: Limits) -> tuple[Checked | str, bytes]:
    """The file's verdict (or why it is refused) and the bytes it was checked from."""
    storage = Image.file.field.storage
    try:
        with storage.open(upload_file.stored, "rb") as handle:
            data = read_at_most(handle, limits.file_bytes + 1)
    except (OSError, ValueError):
        log.warning("stored file %s of upload %s is missing", upload_file.stored, session.pk)
        return "the stored file is missing; upload it again", b""
    task = Task(upload_file.pk, upload_file.original_name, data=data, sha256=upload_file.sha256)
    result = check(task, limits, keep_bytes=True)
    if isinstance(result, Refused):
        return result.reason, data
    return result, data


def _check_and_write(
    session: UploadSession, upload_file: UploadFile, limits: Limits, names: tuple[str, str], ledger: uuid.UUID
) -> _Made | str:
    result, data = _read_and_check(session, upload_file, limits)
    if isinstance(result, str):
        return result
    storage = Image.file.field.storage
    # check() hands back the very bytes it was given when they need no change.
    replaced = result.data is not None and result.data is not data
    image = Image(
        project_id=session.project_id,
        batch_id=session.batch_id,
        state=Image.State.NEW,
        width=result.width,
        height=result.height,
        sha256=upload_file.sha256,
        original_name=upload_file.original_name,
    )
    written: list[str] = []
    try:
        image.thumbnail = _save(storage, names[0], result.thumbnail, ledger, written)
        if replaced:
            copy = names[1] if names[1].endswith(f".{result.ext}") else f"{names[1]}.{result.ext}"
            image.file = _save(storage, copy, result.data, ledger, written, listed=copy == names[1])
        else:
            image.file = upload_file.stored
    except BaseException:
        discard(written)
        raise
    return _Made(upload_file, image, written, replaced)


def _save(storage, name: str, data: bytes, ledger: uuid.UUID, written: list[str], listed: bool = True) -> str:
    if not listed:  # a GIF or TIFF stored as PNG: a name of its own, in the ledger before its first byte
        StoredFile.objects.get_or_create(name=name, defaults={"upload": ledger})
    saved = storage.save(name, ContentFile(data))
    if saved != name:  # the storage chose another name: it goes in the ledger too
        StoredFile.objects.get_or_create(name=saved, defaults={"upload": ledger})
    written.append(saved)
    return saved


def _commit_group(
    session: UploadSession, made: list[_Made], refused: list[tuple[UploadFile, str]], ledger: uuid.UUID
) -> tuple[list[_Made], list[UploadFile]]:
    """Claim the group's files, create their images, refuse the refused: one transaction. Returns the images made
    and the files refused (a file another worker claimed first is in neither). Raises _Lost when the session
    was cancelled."""
    with transaction.atomic():
        # The session's counts, counting every file of the group as claimed: the update locks the session row
        # (as select_for_update would) and finds nothing when the session was cancelled. updated_at: the batch
        # page tells a session whose workers fell silent.
        if not UploadSession.objects.filter(pk=session.pk, status__in=OPEN).update(
            processed=F("processed") + len(made), failed=F("failed") + len(refused), updated_at=timezone.now()
        ):
            raise _Lost
        pks = [item.upload_file.pk for item in made] + [upload_file.pk for upload_file, _reason in refused]
        # Locked on PostgreSQL; on SQLite the transaction holds the database's write lock from its start.
        mine = set(
            UploadFile.objects.select_for_update()
            .filter(pk__in=pks, state=UploadFile.State.RECEIVED)
            .values_list("pk", flat=True)
        )
        ready = [item for item in made if item.upload_file.pk in mine]
        failed = [(upload_file, reason) for upload_file, reason in refused if upload_file.pk in mine]
        if len(ready) != len(made) or len(failed) != len(refused):  # another worker claimed some first
            UploadSession.objects.filter(pk=session.pk).update(
                processed=F("processed") - (len(made) - len(ready)), failed=F("failed") - (len(refused) - len(failed))
            )
        # The expected total stays: the card counts what is ready against what was sent.
        if ready:
            add_processed_images(batch_pk=session.batch_id, images=[item.image for item in ready])
            # Each file's image is the project's image of the same content (one per project: a constraint).
            # (No ordering: a single row, and Image's default ordering would join the batches for nothing.)
            same_content = Image.objects.filter(project_id=OuterRef("project_id"), sha256=OuterRef("sha256")).order_by()
            UploadFile.objects.filter(pk__in=[item.upload_file.pk for item in ready]).update(
                state=UploadFile.State.READY, stored="", image=Subquery(same_content.values("pk")[:1])
            )
        for upload_file, reason in failed:
            # Dropped from the batch, listed with its reason in the report.
            UploadFile.objects.filter(pk=upload_file.pk).update(
                state=UploadFile.State.FAILED, reason=reason[:500], stored=""
            )
        # The ledger keeps only what nobody owns now: the files of images another worker made first.
        kept = [name for item in made if item not in ready for name in item.written]
        StoredFile.objects.filter(upload=ledger).exclude(name__in=kept).delete()
    return ready, [upload_file for upload_file, _reason in failed]


def process_one(session: UploadSession, upload_file: UploadFile, limits: Limits) -> int:
    """One file on its own (after a group met a duplicate made by another upload a moment ago)."""
    result, data = _read_and_check(session, upload_file, limits)
    if isinstance(result, str):
        _fail(session, upload_file, result)
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
