"""Background work of the batches app, declared with Django's `django.tasks` (see binaboard/queue.py).

Every task may run more than once (a worker killed mid-task has its task run again): each one is
written so that a second run finishes what the first left and repeats nothing harmful.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import uuid
from collections.abc import Sequence

from django.conf import settings
from django.core.management import call_command
from django.db import connections, transaction
from django.db.models import F, QuerySet
from django.tasks import task
from django.utils import timezone

from .files import delete_stored
from .models import ExportJob, Image, PendingRemoval, ResetSnapshot, StoredFile

log = logging.getLogger("batches.tasks")

# Ledger rows read and files deleted per round (S3 takes 1,000 keys per DeleteObjects request).
REMOVAL_PAGE = 1000


def remove_files_later(names: Sequence[str]) -> None:
    """Inside the transaction that deletes the rows naming these files: the files go after commit, on a worker.

    The names are written to the StoredFile ledger in the same transaction, so a file is never
    forgotten: if the task cannot be enqueued or its worker dies, the ledger still lists it and
    `cleanup_media` (or the task run again) removes it. A rolled-back delete keeps its files and
    writes no ledger rows.
    """
    names = list(dict.fromkeys(name for name in names if name))
    if not names:
        return
    run = uuid.uuid4()
    for start in range(0, len(names), REMOVAL_PAGE):
        StoredFile.objects.bulk_create(
            [StoredFile(name=name, upload=run) for name in names[start : start + REMOVAL_PAGE]],
            ignore_conflicts=True,  # a name the ledger lists already stays listed once
        )
    transaction.on_commit(lambda: _enqueue_removal(run))


def remove_image_files_later(images: QuerySet[Image]) -> None:
    """remove_files_later() for the files and thumbnails of these images, in one statement whatever their number.

    The names are listed in one PendingRemoval row (string_agg / group_concat of the rows' names): at
    50,000 images a ledger row per file took seconds in the request; the worker expands the list.
    Call it before the image rows are deleted, in the same transaction.
    """
    run = uuid.uuid4()
    connection = connections[images.db]
    sql, params = (
        images.annotate(_f=F("file"), _t=F("thumbnail")).values_list("_f", "_t").order_by().query.sql_with_params()
    )
    glue = "chr(10)" if connection.vendor == "postgresql" else "char(10)"
    agg = "string_agg" if connection.vendor == "postgresql" else "group_concat"
    table = connection.ops.quote_name(PendingRemoval._meta.db_table)
    run_param = PendingRemoval._meta.get_field("run").get_db_prep_value(run, connection)
    at_param = PendingRemoval._meta.get_field("created_at").get_db_prep_value(timezone.now(), connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (run, names, created_at) SELECT %s, COALESCE({agg}(s._f || {glue} || s._t, {glue}), ''), %s "
            f"FROM ({sql}) AS s",
            [run_param, at_param, *params],
        )
    transaction.on_commit(lambda: _enqueue_removal(run))


def expand_pending_removals(run: str | uuid.UUID | None = None) -> int:
    """Move the names of pending removals (all, or one run's) into the StoredFile ledger, in pages; how many rows."""
    moved = 0
    pending = PendingRemoval.objects.all() if run is None else PendingRemoval.objects.filter(run=run)
    for pk in list(pending.values_list("pk", flat=True)):
        with transaction.atomic():
            row = PendingRemoval.objects.select_for_update().filter(pk=pk).first()
            if row is None:  # another worker took it
                continue
            names = list(dict.fromkeys(name for name in row.names.split("\n") if name))
            for start in range(0, len(names), REMOVAL_PAGE):
                StoredFile.objects.bulk_create(
                    [
                        StoredFile(name=name, upload=row.run, created_at=row.created_at)
                        for name in names[start : start + REMOVAL_PAGE]
                    ],
                    ignore_conflicts=True,
                )
            row.delete()
            moved += 1
    return moved


def _enqueue_removal(run: uuid.UUID) -> None:
    try:
        remove_files.enqueue(str(run))
    except Exception:  # the queue is down: the ledger keeps the names for cleanup_media
        log.exception("could not enqueue the removal of files of run %s; cleanup_media will remove them", run)


@task
def remove_files(run: str) -> int:
    """Delete the files the ledger lists for one removal run, in pages; the number removed.

    A file is deleted before its ledger row, so a run cut short leaves rows whose files may be gone
    already: deleting them again is harmless. A file that cannot be deleted keeps its row.
    """
    expand_pending_removals(run)
    removed = 0
    last = 0
    while page := list(
        StoredFile.objects.filter(upload=run, pk__gt=last).order_by("pk").values_list("pk", "name")[:REMOVAL_PAGE]
    ):
        last = page[-1][0]
        names = [name for _, name in page]
        failed = delete_stored(names)
        done = [pk for pk, name in page if name not in failed]
        StoredFile.objects.filter(pk__in=done).delete()
        removed += len(done)
    return removed


# --- export files -------------------------------------------------------------------------------------


def expire_exports(now: dt.datetime | None = None) -> int:
    """Export files older than EXPORT_KEEP_DAYS leave storage (on a worker); their jobs read "expired"."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.EXPORT_KEEP_DAYS)
    expired = 0
    old = ExportJob.objects.filter(status=ExportJob.Status.DONE, finished_at__lt=cutoff)
    for pk, name in list(old.values_list("pk", "file")):
        with transaction.atomic():
            if ExportJob.objects.filter(pk=pk, status=ExportJob.Status.DONE, file=name).update(
                status=ExportJob.Status.EXPIRED, file=""
            ):
                remove_files_later([name])
                expired += 1
    return expired


# --- periodic cleanup ----------------------------------------------------------------------------------


@task
def cleanup_media() -> str:
    """The periodic cleanup: expired export files, then what `manage.py cleanup_media` removes."""
    expired = expire_exports()
    out = io.StringIO()
    call_command("cleanup_media", stdout=out)
    return f"{expired} export files expired.\n" + out.getvalue()[-2000:]


# --- rework (#19): reset snapshots past their retention --------------------------------------------------


@task
def purge_reset_snapshots() -> int:
    """Remove the reset snapshots whose retention (RESET_SNAPSHOT_DAYS) is over; the batches stay as they are."""
    removed, _ = ResetSnapshot.objects.filter(expires_at__lte=timezone.now()).delete()
    return removed


@task
def refresh_analytics(project_pk: int) -> int:
    """Recompute a project's flow analytics into the cache (the page shows the previous ones meanwhile)."""
    from accounts.models import Project

    from .analytics import store

    project = Project.objects.filter(pk=project_pk).first()
    return store(project).events if project is not None else 0
