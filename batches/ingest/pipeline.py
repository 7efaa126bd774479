"""Sources → checks → dedupe → storage → one new batch through workflow.create_batch.

Used by the upload view and `manage.py import_images`. A refused file never stops the others and
never leaves anything in storage; a run that keeps nothing creates no batch; when the batch cannot
be created, every file this run stored is removed again.

Every file is recorded in the StoredFile ledger before it is written, under the name it will have,
and the ledger rows go in the transaction that creates the image rows. What a crash leaves behind
(the process killed, the disk full half-way through a file) is therefore listed, and
`cleanup_media` removes it. Temporary files (spooled archives) are removed on every way out.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import tempfile
import threading
import time
import uuid
import zipfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.calendars import isolate, localise_digits

from ..models import Batch, Image, Project, StoredFile
from ..rules import Membership
from ..webhooks import events as webhook_events
from ..workflow import WorkflowError, create_batch
from .archives import is_system_file, list_archive, printable_name
from .check import Checked, Refused, Task, check, is_zip
from .limits import Limits

log = logging.getLogger("batches.ingest")

DEDUPE_CHUNK = 64  # hashes looked up per query
SPOOL_PREFIX = "binaboard-spool-"  # temporary copies of uploaded archives (cleanup_media knows the name)
LEDGER_CHUNK = 500  # ledger rows removed per query
PARALLEL_MIN_FILES = 8  # below this, handing files to the pool costs more than it saves


@dataclass
class Source:
    """One file handed in: an image or a .zip archive, as a path, bytes, or an uploaded file."""

    name: str
    path: str | None = None
    data: bytes | None = None
    upload: File | None = None  # stored as it is (an uploaded temporary file is moved, not copied)
    refused: str = ""  # refused on arrival (e.g. over the size limit while it streamed in)

    @classmethod
    def from_upload(cls, upload) -> Source:
        path = upload.temporary_file_path() if hasattr(upload, "temporary_file_path") else None
        data = None
        if path is None:
            upload.seek(0)
            data = upload.read()
        return cls(name=upload.name or "unnamed", path=path, data=data, upload=upload)

    @classmethod
    def from_path(cls, path: str | os.PathLike, name: str | None = None) -> Source:
        return cls(name=name or Path(path).name, path=os.fspath(path))

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> Source:
        return cls(name=name, data=data)

    def head(self, n: int = 8) -> bytes:
        if self.data is not None:
            return self.data[:n]
        with open(self.path, "rb") as handle:
            return handle.read(n)


@dataclass
class Outcome:
    name: str
    kept: bool
    reason: str = ""
    width: int = 0
    height: int = 0
    note: str = ""


@dataclass
class IngestReport:
    outcomes: list[Outcome] = field(default_factory=list)
    batch: Batch | None = None
    message: str = ""
    seconds: float = 0.0

    @property
    def kept(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.kept]

    @property
    def refused(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.kept]

    def summary(self) -> str:
        kept, refused = len(self.kept), len(self.refused)
        if self.batch is None:
            return self.message or localise_digits(
                ngettext(
                    "Nothing was kept; %(count)d file refused.", "Nothing was kept; %(count)d files refused.", refused
                )
                % {"count": refused}
            )
        # The counts in the page's digits (Persian in Persian); the batch's name as it was typed.
        values = {
            "images": localise_digits(ngettext("%(count)d image", "%(count)d images", kept) % {"count": kept}),
            "files": localise_digits(ngettext("%(count)d file", "%(count)d files", refused) % {"count": refused}),
            "name": isolate(self.batch.name),
        }
        if refused:
            return _("Kept %(images)s as the new batch “%(name)s” in Unassigned; refused %(files)s.") % values
        return _("Kept %(images)s as the new batch “%(name)s” in Unassigned.") % values


@dataclass
class _Plan:
    tasks: list[Task] = field(default_factory=list)
    early: list[tuple[int, Outcome]] = field(default_factory=list)  # refused before any check
    originals: dict[int, str] = field(default_factory=dict)  # task index → name kept for display
    sources: dict[int, Source] = field(default_factory=dict)  # task index → where its bytes live
    members: dict[int, tuple[str, str]] = field(default_factory=dict)  # task index → (archive path, entry)
    archives: dict[str, zipfile.ZipFile] = field(default_factory=dict)  # opened to store entries
    spooled: list[str] = field(default_factory=list)  # temporary files to remove at the end
    archive_names: list[str] = field(default_factory=list)
    upload: uuid.UUID = field(default_factory=uuid.uuid4)  # this run, in the StoredFile ledger


def ingest(
    *,
    actor,
    project: Project,
    sources: Iterable[Source],
    name: str = "",
    default_name: str = "",
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    limits: Limits | None = None,
    membership: Membership | None = None,
    then: Callable[[Batch, list[Image]], None] | None = None,
) -> IngestReport:
    """Check every source, keep the good images, and make them one new batch in Unassigned.

    `then(batch, images)` runs in the transaction that creates the batch (the label import adds the
    boxes there): when it raises, the batch, its rows and every stored file go, and the error is raised.
    """
    started = time.perf_counter()
    limits = limits or Limits.from_settings()
    name = (name or "").strip()
    if len(name) > 200:
        raise WorkflowError(_("A batch name has at most 200 characters."), kind=WorkflowError.INVALID)
    # Early, so nobody's files are checked for nothing (create_batch checks again, afresh).
    if membership is None or membership.user != actor or membership.project.pk != project.pk:
        membership = Membership.read(actor, project)
    if not membership.manages:
        raise WorkflowError(_("Only a manager of this project can upload images."), kind=WorkflowError.FORBIDDEN)
    if workers is None:
        workers = getattr(settings, "INGEST_WORKERS", 1)

    report = IngestReport()
    plan = _Plan()
    stored: list[str] = []
    committed = False
    try:
        _plan(plan, sources, limits)
        ordered: list[tuple[int, Outcome]] = list(plan.early)
        rows = _check_and_store(project, plan, limits, workers, progress, ordered, stored)
        ordered.sort(key=lambda pair: pair[0])
        report.outcomes = [outcome for _, outcome in ordered]
        if not rows:
            report.message = _("No image was kept, so no batch was created.")
            if not report.outcomes:
                report.message = _("No files were received, so no batch was created.")
            return report
        if not name:
            name = default_name or (PurePath(plan.archive_names[0]).stem if len(plan.archive_names) == 1 else "")
        report.batch = _create(actor, project, name[:200], rows, report, dict(ordered), stored, plan.upload, then)
        committed = report.batch is not None
        if committed:
            webhook_events.upload_finished(report.batch, refused=len(report.refused))
        return report
    finally:
        # Also on BaseException (an interrupted worker, a timeout): only a killed process skips
        # this, and the ledger then tells cleanup_media what it left behind.
        if not committed:
            _abandon(plan, stored)
        for archive in plan.archives.values():
            archive.close()
        for path in plan.spooled:
            Path(path).unlink(missing_ok=True)
        report.seconds = time.perf_counter() - started
        log.info(
            "ingest into project %s by %s: %d kept, %d refused in %.1f s%s",
            project.pk,
            getattr(actor, "username", actor),
            len(report.kept),
            len(report.refused),
            report.seconds,
            f" → batch {report.batch.pk}" if report.batch else "",
        )


def _plan(plan: _Plan, sources: Iterable[Source], limits: Limits) -> None:
    """Sort the sources into tasks to check, and what is refused before any decoding."""
    index = 0

    def refuse(display: str, reason: str) -> None:
        nonlocal index
        plan.early.append((index, Outcome(display, kept=False, reason=reason)))
        index += 1

    for source in sources:
        name = printable_name(source.name)
        if source.refused:
            refuse(name, source.refused)
            continue
        if is_system_file(name):
            refuse(name, "skipped: operating-system metadata, not a picture")
            continue
        if name.lower().endswith(".zip"):
            try:
                head = source.head()
            except OSError as exc:
                refuse(name, f"could not be read ({exc.strerror or exc})")
                continue
            if not is_zip(head):
                refuse(name, "not a valid zip archive")
                continue
            path = source.path
            if path is None:
                path = _spool(source.data, plan)
            listing = list_archive(path, name, limits)
            if listing.error:
                refuse(name, listing.error)
                continue
            plan.archive_names.append(name)
            for entry in listing.entries:
                if entry.problem:
                    refuse(entry.display, entry.problem)
                    continue
                plan.tasks.append(Task(index, entry.display, path=path, member=entry.member))
                plan.originals[index] = entry.name
                plan.members[index] = (path, entry.member)
                index += 1
            continue
        plan.tasks.append(Task(index, name, path=source.path, data=None if source.path else source.data))
        plan.originals[index] = name
        plan.sources[index] = source
        index += 1


def _spool(data: bytes, plan: _Plan) -> str:
    # In the upload folder, as the web upload's own temporary files: cleanup_media looks there for what a killed
    # process left behind.
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - removed by ingest
        prefix=SPOOL_PREFIX, suffix=".zip", dir=settings.FILE_UPLOAD_TEMP_DIR, delete=False
    )
    # Listed before writing: a full temporary disk fails the write, and the file must go all the same.
    plan.spooled.append(handle.name)
    with handle:
        handle.write(data)
    return handle.name


def _check_and_store(project, plan, limits, workers, progress, ordered, stored) -> list[Image]:
    rows: list[Image] = []
    seen: dict[str, str] = {}
    pending: list[Checked] = []
    total = len(plan.tasks)

    def flush() -> None:
        existing = {
            sha: (original, batch_name)
            for sha, original, batch_name in Image.objects.filter(
                project=project, sha256__in=[r.sha256 for r in pending]
            ).values_list("sha256", "original_name", "batch__name")
        }
        fresh = []
        for result in pending:
            if result.sha256 in existing:
                original, batch_name = existing[result.sha256]
                ordered.append((result.index, _refused(result, f"duplicate of {original} in batch {batch_name}")))
            else:
                fresh.append((result, *_new_row(project, plan, result)))
        # Into the ledger before the first byte is written, committed at once (ingest runs outside
        # any transaction): one query for the whole chunk.
        StoredFile.objects.bulk_create(
            [StoredFile(name=name, upload=plan.upload) for _, _, names in fresh for name in names]
        )
        for result, image, names in fresh:
            row = _store(plan, result, image, names, stored)
            if row is None:
                ordered.append((result.index, _refused(result, "could not be stored (storage error); try again")))
                continue
            row.ingest_index = result.index
            rows.append(row)
            ordered.append(
                (result.index, Outcome(result.name, True, width=result.width, height=result.height, note=result.note))
            )
        pending.clear()

    movable = {i for i, source in plan.sources.items() if source.upload is not None and source.path}
    for done, result in enumerate(_results(plan.tasks, limits, workers, movable), start=1):
        if isinstance(result, Refused):
            ordered.append((result.index, Outcome(result.name, kept=False, reason=result.reason)))
        elif result.sha256 in seen:
            ordered.append((result.index, _refused(result, f"duplicate of {seen[result.sha256]} in this upload")))
        else:
            seen[result.sha256] = plan.originals[result.index]
            pending.append(result)
            if len(pending) >= DEDUPE_CHUNK:
                flush()
        if progress:
            progress(done, total)
    if pending:
        flush()
    return rows


def _refused(result: Checked, reason: str) -> Outcome:
    return Outcome(result.name, kept=False, reason=reason)


def _new_row(project: Project, plan: _Plan, result: Checked) -> tuple[Image, list[str]]:
    """The image row to be, and the generated storage names of its file and thumbnail."""
    image = Image(
        project=project,
        width=result.width,
        height=result.height,
        sha256=result.sha256,
        original_name=plan.originals[result.index][-255:],
    )
    names = [
        Image.file.field.generate_filename(image, f"image.{result.ext}"),
        Image.thumbnail.field.generate_filename(image, "thumb.jpg"),
    ]
    return image, names


def _store(plan: _Plan, result: Checked, image: Image, names: list[str], stored: list[str]) -> Image | None:
    """Store the file and its thumbnail under their names (in the ledger already); None, and nothing left, on a storage error."""
    source = plan.sources.get(result.index)
    opened = None
    try:
        if result.data is not None:
            content = ContentFile(result.data)
        elif result.index in plan.members:
            path, member = plan.members[result.index]
            if path not in plan.archives:
                plan.archives[path] = zipfile.ZipFile(path)
            with plan.archives[path].open(member) as handle:
                content = ContentFile(handle.read())
        elif source is not None and source.upload is not None:
            content = source.upload
            content.seek(0)
        else:
            content = opened = File(open(source.path, "rb"))  # noqa: SIM115 - closed below
        image.file = _save(names[0], content, plan.upload)
        image.thumbnail = _save(names[1], ContentFile(result.thumbnail), plan.upload)
    except BaseException as exc:
        # A full disk leaves a partial file under the name being written: remove that one too.
        if isinstance(exc, Exception):
            log.exception("could not store %s", result.name)
        discard(names + [name for name in (image.file.name, image.thumbnail.name) if name and name not in names])
        if not isinstance(exc, Exception):
            raise
        return None
    finally:
        if opened is not None:
            opened.close()
    stored.extend(dict.fromkeys([*names, image.file.name, image.thumbnail.name]))
    return image


def _save(name: str, content, upload: uuid.UUID) -> str:
    """Write under the name already in the ledger; a storage that picks another name gets it recorded too."""
    saved = Image.file.field.storage.save(name, content)
    if saved != name:
        StoredFile.objects.get_or_create(name=saved, defaults={"upload": upload})
    return saved


def _abandon(plan: _Plan, stored: list[str]) -> None:
    """A run that made no batch: remove every file it wrote or began to write, as the ledger lists them."""
    try:
        listed = list(StoredFile.objects.filter(upload=plan.upload).values_list("name", flat=True))
    except DatabaseError:  # the database itself failed: cleanup_media finds the rest later
        log.exception("could not read the file ledger of upload %s", plan.upload)
        listed = []
    discard(list(dict.fromkeys([*stored, *listed])))


def discard(names: list[str]) -> None:
    """Remove stored files and their ledger rows; a file that cannot be removed keeps its row for cleanup_media."""
    storage = Image.file.field.storage
    removed = []
    for name in names:
        try:
            storage.delete(name)
        except Exception:  # OSError on disk; S3 raises its client's errors
            log.warning("could not delete stored file %s; cleanup_media will remove it", name, exc_info=True)
        else:
            removed.append(name)
    for start in range(0, len(removed), LEDGER_CHUNK):
        StoredFile.objects.filter(name__in=removed[start : start + LEDGER_CHUNK]).delete()


def _results(tasks: list[Task], limits: Limits, workers: int, movable: set[int]) -> Iterator[Checked | Refused]:
    """Each task's verdict, in task order: in this process, or in a pool when that is worth it.

    movable: tasks whose source is an uploaded temporary file, which storage moves into place, so
    their bytes need not come back from the check.
    """
    if workers <= 1 or len(tasks) < PARALLEL_MIN_FILES:
        archives: dict[str, zipfile.ZipFile] = {}
        try:
            for task in tasks:
                yield check(task, limits, keep_bytes=task.index not in movable, archives=archives)
        finally:
            for archive in archives.values():
                archive.close()
        return
    # A bounded window of tasks in flight, consumed in order: memory stays flat however many files.
    pool = _shared_pool(workers)
    pending = iter(tasks)
    window = deque((pool.submit(check, task, limits), task) for task in _take(pending, workers * 4))
    try:
        while window:
            future, task = window.popleft()
            try:
                result = future.result()
            except BrokenProcessPool:
                log.error("a checker process died while checking %s", task.name)
                _forget_pool(pool)
                yield Refused(task.index, task.name, "could not be checked: the checker process crashed")
                for rest in [t for _, t in window] + list(pending):
                    yield Refused(rest.index, rest.name, "not checked: a checker process crashed; upload it again")
                return
            window.extend((pool.submit(check, t, limits), t) for t in _take(pending, 1))
            yield result
    finally:
        for future, _ in window:  # interrupted: drop what has not started
            future.cancel()


def _take(iterator: Iterator[Task], n: int) -> list[Task]:
    taken = []
    for task in iterator:
        taken.append(task)
        if len(taken) == n:
            break
    return taken


_pool_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_pool_size = 0


def _shared_pool(workers: int) -> ProcessPoolExecutor:
    """One pool per process, kept between uploads: starting checker processes costs more than a small upload."""
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size != workers:
            if _pool is not None:
                _pool.shutdown(wait=False, cancel_futures=True)
            # Not fork: the web server and the tests run threads, and forking a threaded process can
            # deadlock. The fork server starts once, with Pillow and the checker already imported.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["batches.ingest.check"])
            _pool, _pool_size = ProcessPoolExecutor(max_workers=workers, mp_context=context), workers
        return _pool


def _forget_pool(broken: ProcessPoolExecutor) -> None:
    global _pool
    with _pool_lock:
        if _pool is broken:
            _pool = None
    broken.shutdown(wait=False, cancel_futures=True)


def _create(
    actor, project, name, rows: list[Image], report: IngestReport, outcomes: dict[int, Outcome], stored, upload, then
):
    """create_batch; if a concurrent upload took some of these images meanwhile, drop those and try once more."""
    for attempt in range(2):
        with transaction.atomic():
            try:
                batch = create_batch(actor=actor, project=project, name=name, images=rows)
            except WorkflowError as error:  # create_batch has undone its own writes
                exc = error
            else:
                if then is not None:
                    then(batch, rows)
                # Rows and files are one now: out of the ledger, in the same transaction.
                StoredFile.objects.filter(upload=upload).delete()
                return batch
        taken = set()
        if exc.kind == WorkflowError.INVALID and attempt == 0:
            shas = [row.sha256 for row in rows]
            taken = set(Image.objects.filter(project=project, sha256__in=shas).values_list("sha256", flat=True))
        if not taken:
            report.message = _("No batch was created: %(why)s") % {"why": exc.message}
            return None
        gone = [row for row in rows if row.sha256 in taken]
        names = [name for row in gone for name in (row.file.name, row.thumbnail.name)]
        discard(names)
        for name_ in names:
            stored.remove(name_)
        for row in gone:
            outcome = outcomes[row.ingest_index]
            outcome.kept = False
            outcome.reason = "duplicate: another upload added the same image a moment ago"
        rows = [row for row in rows if row.sha256 not in taken]
        if not rows:
            report.message = _("No image was kept, so no batch was created.")
            return None
    return None
