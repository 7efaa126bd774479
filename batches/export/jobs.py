"""Export jobs: the same archive the export page streams, written by a worker into storage.

The zip comes from the export's own streaming writer and snapshot (core.py, snapshot.py), piece by
piece, through a file-like reader into `storage.save()`: local disk writes it chunk by chunk, S3 in
a multipart upload, so a worker's memory stays flat whatever the dataset.

A job may be run again (its worker was killed): the file a previous run began is removed, listed in
the StoredFile ledger from before its first byte, and a fresh one is written.
"""

from __future__ import annotations

import io
import logging
import queue
import threading
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.tasks import task
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Project

from ..files import delete_stored
from ..models import ExportJob, StoredFile
from ..notifications import export_ready
from ..webhooks import events as webhook_events
from .core import ExportError, ExportOptions
from .formats import prepare_export

log = logging.getLogger("batches.export")
Status = ExportJob.Status


def options_as_data(options: ExportOptions) -> dict:
    return {
        "format": options.format,
        "include_images": options.include_images,
        "split": list(options.split) if options.split else None,
        "seed": options.seed,
        "batch_ids": list(options.batch_ids) if options.batch_ids is not None else None,
    }


def options_from_data(data: dict) -> ExportOptions:
    return ExportOptions(
        format=data["format"],
        include_images=bool(data.get("include_images")),
        split=tuple(data["split"]) if data.get("split") else None,
        seed=data["seed"],
        batch_ids=tuple(data["batch_ids"]) if data.get("batch_ids") is not None else None,
    )


class PieceReader(io.RawIOBase):
    """A read-only, unseekable file over pieces handed over by another thread, for storage.save().

    The export's pieces must be made in the thread that opened its snapshot (the snapshot is a
    database connection of that thread), while a storage may read its file from threads of its own
    (S3's multipart upload does): the making thread puts pieces in a small queue, the storage reads
    them from here, so at most `PIPE_PIECES` pieces are in memory whatever the dataset.
    """

    def __init__(self):
        self.pieces: queue.Queue = queue.Queue(maxsize=PIPE_PIECES)
        self.left = b""
        self.ended = False
        self.reader_gone = threading.Event()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self.left:
            if self.ended:
                return 0
            piece = self.pieces.get()
            if piece is None:
                self.ended = True
                return 0
            if isinstance(piece, BaseException):
                self.ended = True
                raise OSError("the export stopped while it was being written") from piece
            self.left = piece
        size = min(len(buffer), len(self.left))
        buffer[:size] = self.left[:size]
        self.left = self.left[size:]
        return size

    def put(self, piece) -> bool:
        """Hand over one piece (None: the end; an exception: the making failed). False once the reader is gone."""
        while not self.reader_gone.is_set():
            try:
                self.pieces.put(piece, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False


PIPE_PIECES = 16


def save_pieces(storage, name: str, pieces: Iterable[bytes]) -> str:
    """storage.save() of the pieces, made here (this thread) while the storage writes them in a thread of its own."""
    reader = PieceReader()
    outcome: dict[str, object] = {}

    def write() -> None:
        try:
            outcome["name"] = storage.save(name, File(reader, name=name))
        except BaseException as exc:
            outcome["error"] = exc
        finally:
            reader.reader_gone.set()

    writer = threading.Thread(target=write, name="export-writer", daemon=True)
    writer.start()
    try:
        for piece in pieces:
            if piece and not reader.put(piece):
                break  # the storage failed: its error is raised below
        reader.put(None)
    except BaseException as exc:
        reader.put(exc)
        writer.join()
        raise
    writer.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["name"]


def exports_as_job(options: ExportOptions, image_count: int) -> bool:
    """Exports with image files, or of more images than EXPORT_STREAM_MAX_IMAGES, are made by a worker."""
    return options.include_images or image_count > settings.EXPORT_STREAM_MAX_IMAGES


def start_export_job(*, actor, project: Project, options: ExportOptions) -> ExportJob:
    """Check the export as the page would (ExportError if it cannot be made), then queue it for a worker."""
    export = prepare_export(project, options)
    export.close()
    with transaction.atomic():
        job = ExportJob.objects.create(
            project=project,
            requested_by=actor,
            options=options_as_data(options),
            image_count=sum(batch.image_count for batch in export.batches),
        )
        transaction.on_commit(lambda: _enqueue_export(job.pk))
    return job


def _enqueue_export(job_id: int) -> None:
    try:
        run_export.enqueue(job_id)
    except Exception:
        log.exception("could not enqueue export %s", job_id)
        ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(
            status=ExportJob.Status.FAILED,
            error=_("The task queue could not be reached; try again in a few minutes."),
            finished_at=timezone.now(),
        )


@task
def run_export(job_id: int) -> int | None:
    """Make one export job's zip; its size, or None when there was nothing (left) to do."""
    job = make_export(job_id)
    return job.size if job else None


def make_export(job_id: int) -> ExportJob | None:
    """Write the job's zip to storage and mark it ready, or failed with a reason; None when there is nothing to do."""
    claimed = _claim(job_id)
    if claimed is None:
        return None
    job, previous = claimed
    # The README and any failure reason are written in the language of the person who asked.
    requester = job.requested_by
    with translation.override((requester.language if requester else "") or settings.LANGUAGE_CODE):
        return _make_claimed_export(job, previous)


def _make_claimed_export(job: ExportJob, previous: str) -> ExportJob | None:
    if previous:  # a run before this one died while writing: its file goes
        delete_stored([previous])
        StoredFile.objects.filter(name=previous).delete()
    try:
        export = prepare_export(job.project, options_from_data(job.options))
    except ExportError as error:
        return _fail(job, error.message)
    try:
        saved = save_pieces(default_storage, job.file, export.stream())
        size = default_storage.size(saved)
    except Exception:
        _fail(job, _("The export could not be written to storage; try again, or ask an administrator."))
        raise
    finally:
        export.close()
    with transaction.atomic():
        done = ExportJob.objects.filter(pk=job.pk, status=Status.RUNNING, file=job.file).update(
            status=Status.DONE,
            file=saved,
            size=size,
            download_name=export.filename,
            finished_at=timezone.now(),
        )
        StoredFile.objects.filter(name__in={job.file, saved}).delete()
        webhook_events.export_ready(job)  # webhooks: queued once this commits
        if done:
            export_ready(job)  # issue 18: whoever asked is told, once this commits
    job.refresh_from_db()
    log.info("export %s of project %s ready: %s bytes", job.pk, job.project_id, size)
    return job


def _claim(job_id: int) -> tuple[ExportJob, str] | None:
    """Mark the job running under a fresh file name, listed in the ledger; (job, the previous run's file)."""
    with transaction.atomic():
        job = ExportJob.objects.select_related("project", "requested_by").filter(pk=job_id).first()
        # A failed job runs again when its task is retried (the admin's "retry"); a finished one never.
        if job is None or job.status not in {Status.QUEUED, Status.RUNNING, Status.FAILED}:
            return None
        previous = job.file
        name = f"exports/{job.project_id}/{job.pk}-{uuid.uuid4().hex}.zip"
        StoredFile.objects.create(name=name, upload=uuid.uuid4())
        # Compare-and-set: of two workers handed the same job, one writes it.
        if not ExportJob.objects.filter(pk=job.pk, status=job.status, file=previous).update(
            status=Status.RUNNING, file=name, error="", started_at=timezone.now(), finished_at=None
        ):
            transaction.set_rollback(True)
            return None
    job.status, job.file = Status.RUNNING, name
    return job, previous


def _fail(job: ExportJob, reason: str) -> None:
    with transaction.atomic():
        ExportJob.objects.filter(pk=job.pk, status=Status.RUNNING).update(
            status=Status.FAILED, error=reason, file="", finished_at=timezone.now()
        )
    if job.file:
        delete_stored([job.file])
        StoredFile.objects.filter(name=job.file).delete()
    log.warning("export %s of project %s failed: %s", job.pk, job.project_id, reason)
