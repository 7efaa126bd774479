""".zip archives through upload sessions: the archive arrives in parts, a worker reassembles and unpacks it.

The request side (`receive_part`) checks one part (its index, its length, its SHA-256 against the one
the browser computed) and stores it as it came, in the StoredFile ledger first, then owned by its
UploadPart row: nothing stays on the web server's disk between requests. `parts_received` says which
parts the session has, so a browser resumes where it stopped.

The worker side (`process_archive`, the task `process_upload_archive` enqueued by `finish`) streams
the parts into a temporary file on the worker (removed on every way out; a killed worker leaves a
`binaboard-spool-…` file that cleanup_media removes), runs the archive checks of `ingest.archives`, and
feeds the entries, a chunk at a time, into the same path as the browser's chunks: cheap checks,
dedupe by hash, stored, processed by `process_upload_files`. Run twice, it skips what the first run
recorded (contents by hash, refused names by name); the parts and their rows go in one transaction at
the end, with the refused entries, so a retried task either finds the parts and finishes or finds
nothing to do.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import tempfile
import uuid
import zipfile

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _

from ..ingest.archives import list_archive, printable_name
from ..ingest.limits import Limits, human_bytes
from ..ingest.pipeline import SPOOL_PREFIX, discard
from ..models import Image, StoredFile, UploadFile, UploadPart, UploadSession
from ..tasks import remove_files_later
from ..workflow import WorkflowError, close_upload_batch
from . import processing, sessions
from .processing import OPEN, complete_if_done
from .sessions import Arrival, receive_chunk, require_manager

log = logging.getLogger("batches.uploads")


class PartRefused(Exception):
    """The part cannot be taken (bad index, size or hash; the session takes no more)."""


def part_bytes() -> int:
    return settings.UPLOAD_PART_BYTES


def parts_received(session: UploadSession, archive: str) -> list[int]:
    """The indexes of the parts of this archive the session has stored."""
    return list(UploadPart.objects.filter(session=session, archive=archive).values_list("index", flat=True))


def receive_part(
    *,
    actor,
    session: UploadSession,
    archive: str,
    name: str,
    size: int,
    count: int,
    index: int,
    sha256: str,
    data: bytes,
) -> str:
    """Check and store one part; "received", or "known" when the session had it already."""
    require_manager(actor, session.project)
    limits = Limits.from_settings()
    if session.status != UploadSession.Status.RECEIVING:
        raise PartRefused(_("This upload takes no more files."))
    if size <= 0 or size > limits.archive_bytes:
        raise PartRefused(
            _("An archive sent in parts may hold at most %(size)s.") % {"size": human_bytes(limits.archive_bytes)}
        )
    if count != -(-size // part_bytes()):
        raise PartRefused(_("The number of parts does not match the archive's size."))
    if not 0 <= index < count:
        raise PartRefused(_("There is no such part of this archive."))
    if not data or len(data) > part_bytes():
        raise PartRefused(_("A part holds at most %(size)s.") % {"size": human_bytes(part_bytes())})
    if hashlib.sha256(data).hexdigest() != sha256:
        raise PartRefused(_("This part arrived damaged (its SHA-256 does not match); send it again."))
    name = printable_name(name)[-255:]
    other = UploadPart.objects.filter(session=session, archive=archive).exclude(index=index).first()
    if other is not None and (other.size, other.count) != (size, count):
        raise PartRefused(_("This part does not belong with the parts already sent for this archive."))
    if UploadPart.objects.filter(session=session, archive=archive, index=index).exists():
        return "known"
    storage = Image.file.field.storage
    ledger = uuid.uuid4()
    stored = f"projects/{session.project_id}/parts/{uuid.uuid4().hex}.part"
    StoredFile.objects.create(name=stored, upload=ledger)
    try:
        saved = storage.save(stored, ContentFile(data))
    except Exception:
        log.exception("could not store part %s of %s", index, name)
        discard([stored])
        raise PartRefused(_("could not be stored (storage error); try again")) from None
    if saved != stored:
        StoredFile.objects.get_or_create(name=saved, defaults={"upload": ledger})
    try:
        with transaction.atomic():
            fresh = UploadSession.objects.select_for_update().get(pk=session.pk)
            if fresh.status != UploadSession.Status.RECEIVING:
                raise PartRefused(_("This upload was cancelled; the files were not kept."))
            UploadPart.objects.create(
                session=session, archive=archive, name=name, size=size, count=count, index=index,
                sha256=sha256, length=len(data), stored=saved,
            )  # fmt: skip
            StoredFile.objects.filter(upload=ledger).delete()
            UploadSession.objects.filter(pk=session.pk).update(updated_at=timezone.now())
    except IntegrityError:  # the same part sent twice at once: the other one is kept
        discard([saved])
        return "known"
    except BaseException:
        discard([saved])
        raise
    return "received"


def pending_archives(session_pk: int) -> list[str]:
    return list(
        UploadPart.objects.filter(session_id=session_pk).values_list("archive", flat=True).distinct().order_by()
    )


def finish(*, actor, session: UploadSession) -> UploadSession:
    """`sessions.finish`, and each archive the session received in parts goes to a worker to be unpacked.

    Only the call that ends the receiving enqueues them (a repeated finish does not; a lost task is
    made up for by `process_waiting`).
    """
    receiving = UploadSession.objects.filter(pk=session.pk, status=UploadSession.Status.RECEIVING).exists()
    session = sessions.finish(actor=actor, session=session)
    if receiving and session.status == UploadSession.Status.PROCESSING:
        for archive in pending_archives(session.pk):
            process_upload_archive.enqueue(session.pk, archive)
        session.refresh_from_db()
    return session


def process_waiting(session_pk: int | None = None, limits: Limits | None = None) -> int:
    """Archives still in parts (a task was lost or its worker died), then every file still waiting, here."""
    open_sessions = UploadSession.objects.filter(status=UploadSession.Status.PROCESSING)
    if session_pk is not None:
        open_sessions = open_sessions.filter(pk=session_pk)
    for pk in list(open_sessions.values_list("pk", flat=True)):
        for archive in pending_archives(pk):
            process_archive(pk, archive, limits, enqueue=False)
    return processing.process_waiting(session_pk, limits)


# --- the worker side ---------------------------------------------------------------------------------


def process_archive(session_pk: int, archive: str, limits: Limits | None = None, enqueue: bool = True) -> int:
    """Reassemble, check and unpack one archive of the session into its files; how many entries were received.

    enqueue=False leaves the received entries waiting for the caller (tests, `process_waiting`).
    """
    limits = limits or Limits.from_settings()
    session = UploadSession.objects.filter(pk=session_pk, status__in=OPEN).select_related("project").first()
    if session is None:
        return 0
    parts = list(UploadPart.objects.filter(session=session, archive=archive).order_by("index"))
    if not parts:
        complete_if_done(session_pk)
        return 0
    first = parts[0]
    refused: list[tuple[str, str]] = []  # (name, reason) recorded with the parts' removal
    received = 0
    if [part.index for part in parts] != list(range(first.count)) or sum(p.length for p in parts) != first.size:
        refused.append((first.name, _("the archive arrived incomplete (parts are missing); upload it again")))
    else:
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - removed below on every way out
            prefix=SPOOL_PREFIX, suffix=".zip", dir=settings.FILE_UPLOAD_TEMP_DIR, delete=False
        )
        try:
            with handle:
                _reassemble(parts, handle)
            received = _unpack(session, first.name, handle.name, limits, refused, enqueue)
        except WorkflowError as exc:  # cancelled meanwhile, or the uploader no longer manages the project
            log.info("archive %s of upload %s stopped: %s", first.name, session_pk, exc.message)
            return received
        finally:
            with contextlib.suppress(OSError):
                os.unlink(handle.name)
    _close(session, archive, refused)
    complete_if_done(session_pk)
    return received


def _reassemble(parts: list[UploadPart], handle) -> None:
    storage = Image.file.field.storage
    for part in parts:
        with storage.open(part.stored, "rb") as source:
            shutil.copyfileobj(source, handle, 1024 * 1024)


def _unpack(session, archive_name: str, path: str, limits: Limits, refused: list, enqueue: bool) -> int:
    listing = list_archive(path, archive_name, limits)
    if listing.error:
        refused.append((archive_name, listing.error))
        return 0
    recorded = set(
        UploadFile.objects.filter(session=session, sha256="").values_list("original_name", flat=True)
    )  # refusals a first run of this task recorded already
    skipped = [entry for entry in listing.entries if entry.problem]
    refused.extend((entry.display[-255:], entry.problem) for entry in skipped if entry.display[-255:] not in recorded)
    readable = [entry for entry in listing.entries if not entry.problem]
    _raise_expected(session, len(readable) + len(refused))
    received = 0
    chunk = settings.UPLOAD_CHUNK_FILES
    actor = session.created_by
    with zipfile.ZipFile(path) as opened:
        for start in range(0, len(readable), chunk):
            arrivals = []
            for entry in readable[start : start + chunk]:
                try:
                    with opened.open(entry.member) as member:
                        data = member.read(limits.file_bytes + 1)
                except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
                    arrivals.append(Arrival(entry.display, refused=_("could not be read")))
                    continue
                if len(data) > limits.file_bytes:
                    refusal = _("file too large: over %(size)s") % {"size": human_bytes(limits.file_bytes)}
                    arrivals.append(Arrival(entry.display, refused=refusal))
                    continue
                arrivals.append(Arrival(entry.display, data=data))
            arrivals = [a for a in arrivals if not (a.refused and a.name[-255:] in recorded)]
            outcomes = receive_chunk(
                actor=actor, session=session, arrivals=arrivals, enqueue=enqueue, from_archive=True
            )
            received += sum(1 for outcome in outcomes if outcome.status == "received")
    return received


def _raise_expected(session: UploadSession, more: int) -> None:
    """The card's "processing N / M" counts the archive's entries as soon as they are known."""
    with transaction.atomic():
        fresh = UploadSession.objects.select_for_update().get(pk=session.pk)
        total = UploadFile.objects.filter(session=session).count() + more
        if total > fresh.expected:
            UploadSession.objects.filter(pk=session.pk).update(expected=total)
            if fresh.batch_id:
                close_upload_batch(batch_pk=fresh.batch_id, expected=total)


def _close(session: UploadSession, archive: str, refused: list[tuple[str, str]]) -> None:
    """In one transaction: the refused entries listed, the parts and their rows gone, the total settled."""
    with transaction.atomic():
        fresh = UploadSession.objects.select_for_update().filter(pk=session.pk, status__in=OPEN).first()
        if fresh is None:
            return
        parts = UploadPart.objects.filter(session=session, archive=archive)
        names = list(parts.values_list("stored", flat=True))
        if not names:  # another run of this task closed it already
            return
        UploadFile.objects.bulk_create(
            [
                UploadFile(
                    session=session, project_id=session.project_id, original_name=name[-255:],
                    state=UploadFile.State.FAILED, reason=reason[:500],
                )
                for name, reason in refused
            ]
        )  # fmt: skip
        parts.delete()
        remove_files_later(names)
        total = UploadFile.objects.filter(session=session).count()
        UploadSession.objects.filter(pk=session.pk).update(
            failed=F("failed") + len(refused), expected=total, updated_at=timezone.now()
        )
        if fresh.batch_id and fresh.status == UploadSession.Status.PROCESSING:
            close_upload_batch(batch_pk=fresh.batch_id, expected=total)


@task
def process_upload_archive(session_pk: int, archive: str) -> int:
    """One .zip of an upload session, on a worker: reassembled, checked, its entries into the session's files."""
    return process_archive(session_pk, archive)
