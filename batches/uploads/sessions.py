"""Upload sessions, the request side: open one, receive a chunk of files, say which hashes it has, finish, cancel.

A chunk request does only the cheap checks (size, magic bytes, header and pixel limit, hash and
duplicate in the project) and stores the bytes as they came (their metadata goes on the worker, which
replaces the file; nothing serves a file before its image row exists); `processing` does the rest on a worker. Every
stored file is in the StoredFile ledger before its first byte is written, and leaves it in the
transaction that creates its UploadFile row, which owns the file from then on (cleanup_media knows).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from ..ingest.archives import is_system_file, printable_name
from ..ingest.check import STORED_EXT, Refusal, header_check
from ..ingest.limits import Limits
from ..ingest.pipeline import discard
from ..models import Image, Project, StoredFile, UploadFile, UploadPart, UploadSession
from ..reasons import translated
from ..workflow import WorkflowError, close_upload_batch, membership_now, open_upload_batch
from .processing import complete_if_done, process_upload_files

log = logging.getLogger("batches.uploads")

OPEN = (UploadSession.Status.RECEIVING, UploadSession.Status.PROCESSING)


@dataclass
class Arrival:
    """One file of a chunk: its name, and its bytes or why it was refused while it streamed in."""

    name: str
    data: bytes | None = None
    refused: str = ""


def arrivals_of(streamed: list, files) -> list[Arrival]:
    """A chunk's files in the order they arrived: `streamed` is the upload handler's list (None for a file it
    kept, (name, reason) for one it refused while streaming), `files` the kept files, in the same order."""
    received = iter(files)
    arrivals = []
    for arrival in streamed:
        if arrival is not None:
            arrivals.append(Arrival(arrival[0], refused=arrival[1]))
        elif (upload := next(received, None)) is not None:
            upload.seek(0)
            arrivals.append(Arrival(upload.name or "unnamed", data=upload.read()))
            upload.close()
    return arrivals


@dataclass
class Outcome:
    name: str
    sha256: str
    status: str  # "received", "failed" or "known" (this session has it already)
    reason: str = ""

    def as_json(self) -> dict:
        return {"name": self.name, "sha256": self.sha256, "status": self.status, "reason": translated(self.reason)}


def start_session(*, actor, project: Project, name: str, expected: int, fingerprint: str = "") -> UploadSession:
    """A new session and its batch, on the board at once as processing."""
    batch = open_upload_batch(actor=actor, project=project, name=name, expected=expected)
    return UploadSession.objects.create(
        project=project,
        created_by=actor,
        name=batch.name,
        expected=expected,
        fingerprint=fingerprint[:64],
        batch=batch,
    )


def find_resumable(*, actor, project: Project, fingerprint: str) -> UploadSession | None:
    """The person's unfinished session for the same file list, if there is one."""
    if not fingerprint:
        return None
    return (
        UploadSession.objects.filter(
            project=project, created_by=actor, fingerprint=fingerprint[:64], status=UploadSession.Status.RECEIVING
        )
        .order_by("-created_at")
        .first()
    )


def known_hashes(session: UploadSession, hashes: list[str]) -> list[str]:
    """Which of these contents the session has had already (received, made an image, or refused)."""
    found: set[str] = set()
    for start in range(0, len(hashes), 500):
        part = hashes[start : start + 500]
        found.update(UploadFile.objects.filter(session=session, sha256__in=part).values_list("sha256", flat=True))
    return [sha for sha in hashes if sha in found]


def receive_chunk(
    *,
    actor,
    session: UploadSession,
    arrivals: list[Arrival],
    limits: Limits | None = None,
    enqueue: bool = True,
    from_archive: bool = False,
) -> list[Outcome]:
    """Check and store one chunk; the stored files go to a worker as one task once the rows are committed.

    enqueue=False leaves them waiting for the caller to process (`import_images --now`). from_archive:
    the entries of an archive the session received in parts, unpacked by a worker after `finish`.
    """
    limits = limits or Limits.from_settings()
    _require_manager(actor, session.project)
    accepting = OPEN if from_archive else (UploadSession.Status.RECEIVING,)
    if session.status not in accepting:
        raise WorkflowError(
            _("This upload is %(status)s; it takes no more files.") % {"status": session.get_status_display()},
            kind=WorkflowError.STALE,
        )
    outcomes: list[Outcome] = []
    rows: list[UploadFile] = []
    ledger = uuid.uuid4()
    checked: list[tuple[Arrival, str, bytes | None, str]] = []  # arrival, sha, bytes to store, refusal
    exts: dict[int, str] = {}
    for arrival in arrivals:
        name = printable_name(arrival.name)[-255:]
        if arrival.refused or arrival.data is None:
            checked.append((Arrival(name), "", None, arrival.refused or "could not be read"))
            continue
        if is_system_file(name):
            checked.append((Arrival(name), "", None, "skipped: operating-system metadata, not a picture"))
            continue
        sha = hashlib.sha256(arrival.data).hexdigest()
        try:
            header = header_check(arrival.data, limits)
        except Refusal as refusal:
            checked.append((Arrival(name), sha, None, str(refusal)))
            continue
        except Exception:  # a header parser's complaint about broken bytes
            checked.append((Arrival(name), sha, None, "corrupt image: its header cannot be read"))
            continue
        exts[len(checked)] = STORED_EXT.get(header.fmt, header.fmt.lower())
        checked.append((Arrival(name), sha, arrival.data, ""))
    taken = _taken(session, [entry[1] for entry in checked if entry[1]])
    first_names = dict(taken["session"])  # content → the name it first came under in this session
    copies = _copies_recorded(session, checked, first_names)
    to_store: list[tuple[UploadFile, bytes, str]] = []
    for position, (arrival, sha, data, refusal) in enumerate(checked):
        if sha and sha in first_names:
            if arrival.name == first_names[sha] or arrival.name in copies:  # sent again (a resume): kept once
                outcomes.append(Outcome(arrival.name, sha, "known"))
                continue
            # Another file of this upload with the same content (two entries of a zip): listed, not lost.
            # Its row keeps no hash: the session's one row per content is the first file's.
            refusal = f"duplicate of {first_names[sha]} in this upload"
            copies.add(arrival.name)
            rows.append(
                UploadFile(
                    session=session, project_id=session.project_id, original_name=arrival.name,
                    state=UploadFile.State.FAILED, reason=refusal,
                )
            )  # fmt: skip
            outcomes.append(Outcome(arrival.name, sha, "failed", refusal))
            continue
        if sha:
            first_names[sha] = arrival.name
        if data is not None and sha in taken["project"]:
            refusal = taken["project"][sha]
        if refusal:
            rows.append(
                UploadFile(
                    session=session, project_id=session.project_id, sha256=sha, original_name=arrival.name,
                    state=UploadFile.State.FAILED, reason=refusal[:500],
                )
            )  # fmt: skip
            outcomes.append(Outcome(arrival.name, sha, "failed", refusal))
            continue
        row = UploadFile(
            session=session, project_id=session.project_id, sha256=sha, original_name=arrival.name, size=len(data)
        )
        to_store.append((row, data, exts[position]))
        outcomes.append(Outcome(arrival.name, sha, "received"))
    stored = _store(session, to_store, ledger)
    rows.extend(entry[0] for entry in to_store if entry[0].stored)
    for outcome, (row, *_data) in zip([o for o in outcomes if o.status == "received"], to_store, strict=True):
        if not row.stored:
            outcome.status, outcome.reason = "failed", "could not be stored (storage error); try again"
            rows.append(
                UploadFile(
                    session=session, project_id=session.project_id, sha256=row.sha256, original_name=row.original_name,
                    state=UploadFile.State.FAILED, reason=outcome.reason,
                )
            )  # fmt: skip
    _commit(session, rows, stored, ledger, outcomes, enqueue, accepting)
    return outcomes


def _require_manager(actor, project: Project) -> None:
    if not membership_now(actor, project).manages:
        raise WorkflowError(_("Only a manager of this project can upload images."), kind=WorkflowError.FORBIDDEN)


require_manager = _require_manager


def _copies_recorded(session: UploadSession, checked: list, first_names: dict[str, str]) -> set[str]:
    """Of the files that repeat a content under another name, those this session has listed already (a task
    run again after its worker was killed): one query, and none when no file repeats a content."""
    seen: dict[str, str] = {}
    names = []
    for arrival, sha, _data, _refusal in checked:
        if not sha:
            continue
        first = first_names.get(sha) or seen.setdefault(sha, arrival.name)
        if first != arrival.name:
            names.append(arrival.name)
    if not names:
        return set()
    return set(
        UploadFile.objects.filter(session=session, sha256="", original_name__in=names).values_list(
            "original_name", flat=True
        )
    )


def _taken(session: UploadSession, hashes: list[str]) -> dict[str, dict[str, str]]:
    """Contents this session has already (with the name each came under first), and contents the project has
    elsewhere (with why they are refused)."""
    mine: dict[str, str] = {}
    elsewhere: dict[str, str] = {}
    for start in range(0, len(hashes), 500):
        part = hashes[start : start + 500]
        for sha, original in UploadFile.objects.filter(session=session, sha256__in=part).values_list(
            "sha256", "original_name"
        ):
            mine[sha] = original
        for sha, original, batch_name in Image.objects.filter(
            project_id=session.project_id, sha256__in=part
        ).values_list("sha256", "original_name", "batch__name"):
            elsewhere[sha] = f"duplicate of {original} in batch {batch_name}"
        waiting = UploadFile.objects.filter(
            project_id=session.project_id, sha256__in=part, state=UploadFile.State.RECEIVED
        ).exclude(session=session)
        for sha, original in waiting.values_list("sha256", "original_name"):
            elsewhere.setdefault(sha, f"duplicate of {original}, being uploaded by another upload")
    return {"session": mine, "project": elsewhere}


def _store(session: UploadSession, to_store: list[tuple[UploadFile, bytes, str]], ledger: uuid.UUID) -> list[str]:
    """Write every file under a generated name, each in the ledger first; a file that fails keeps no name."""
    storage = Image.file.field.storage
    names = [f"projects/{session.project_id}/images/{uuid.uuid4().hex}.{ext}" for _, _, ext in to_store]
    StoredFile.objects.bulk_create([StoredFile(name=name, upload=ledger) for name in names])
    stored = []
    for (row, data, _ext), name in zip(to_store, names, strict=True):
        try:
            saved = storage.save(name, ContentFile(data))
        except Exception:
            log.exception("could not store %s", row.original_name)
            discard([name])
            continue
        if saved != name:
            StoredFile.objects.get_or_create(name=saved, defaults={"upload": ledger})
        row.stored = saved
        stored.append(saved)
    return stored


def _commit(
    session: UploadSession,
    rows: list[UploadFile],
    stored: list[str],
    ledger: uuid.UUID,
    outcomes,
    enqueue: bool,
    accepting=(UploadSession.Status.RECEIVING,),
) -> None:
    received = [row for row in rows if row.state == UploadFile.State.RECEIVED]
    failed = len(rows) - len(received)
    try:
        with transaction.atomic():
            fresh = UploadSession.objects.select_for_update().get(pk=session.pk)
            if fresh.status not in accepting:
                raise WorkflowError(_("This upload was cancelled; the files were not kept."), kind=WorkflowError.STALE)
            UploadFile.objects.bulk_create(rows)
            StoredFile.objects.filter(upload=ledger).delete()
            UploadSession.objects.filter(pk=session.pk).update(
                received=F("received") + len(received), failed=F("failed") + failed, updated_at=timezone.now()
            )
            ids = [row.pk for row in received]
            if ids and enqueue:
                transaction.on_commit(lambda: process_upload_files.enqueue(session.pk, ids))
    except IntegrityError:
        # Another request of this session (or another session) stored the same content a moment ago.
        discard(stored)
        for outcome in outcomes:
            if outcome.status == "received":
                outcome.status, outcome.reason = "retry", "sent twice at once; send it again"
    except BaseException:
        discard(stored)
        raise


def finish(*, actor, session: UploadSession) -> UploadSession:
    """The client has sent everything: the session processes what is left, and is done when the workers are.

    (A session with archives sent in parts finishes through `archives.finish`, which also hands them to workers.)
    """
    _require_manager(actor, session.project)
    with transaction.atomic():
        fresh = UploadSession.objects.select_for_update().get(pk=session.pk)
        if fresh.status == UploadSession.Status.RECEIVING:
            total = fresh.received + fresh.failed
            UploadSession.objects.filter(pk=fresh.pk, status=fresh.status).update(
                status=UploadSession.Status.PROCESSING, expected=total
            )
            if fresh.batch_id:
                close_upload_batch(batch_pk=fresh.batch_id, expected=total)
    complete_if_done(session.pk)
    session.refresh_from_db()
    return session


def cancel(*, actor, session: UploadSession) -> bool:
    """Stop the session: its stored files, its rows and its batch go. False when it had finished already."""
    _require_manager(actor, session.project)
    return discard_session(session)


def discard_session(session: UploadSession) -> bool:
    """Cancel without asking who (cleanup_media, for sessions their browser abandoned)."""
    with transaction.atomic():
        changed = UploadSession.objects.filter(pk=session.pk, status__in=OPEN).update(
            status=UploadSession.Status.CANCELLED, updated_at=timezone.now()
        )
        if not changed:
            return False
        files = UploadFile.objects.filter(session=session)
        storage_names = list(files.exclude(stored="").values_list("stored", flat=True))
        files.delete()
        parts = UploadPart.objects.filter(session=session)
        storage_names += list(parts.values_list("stored", flat=True))
        parts.delete()
        if session.batch_id:
            close_upload_batch(batch_pk=session.batch_id, cancelled=True)
        UploadSession.objects.filter(pk=session.pk).update(batch=None)
        transaction.on_commit(lambda: discard(storage_names))
    session.refresh_from_db()
    return True


def abandoned(hours: int):
    """Sessions still receiving whose browser has sent nothing for this long."""
    cutoff = timezone.now() - timedelta(hours=hours)
    return UploadSession.objects.filter(status=UploadSession.Status.RECEIVING, updated_at__lt=cutoff)
