"""`manage.py cleanup_media [--dry-run] [--min-age MINUTES]`: remove what failures left behind.

Three kinds of leftovers, each older than --min-age (an upload in progress is never touched):

1. files in the StoredFile ledger: ingest records every file before writing it and removes the
   record with the image row's creation, so a record still there belongs to an upload that died
   (a killed process, a full disk); its file (possibly empty or partial) and the record go;
2. stored image files and thumbnails no row points to (an image, or an upload session's file waiting
   for its worker) and the ledger does not know (a delete whose
   file removal failed, a project deleted with its rows, files from before the ledger existed);
3. temporary files of uploads that never finished: Django's upload files (`tmp….upload…`) and
   ingest's spooled archives, in the upload temporary folder (FILE_UPLOAD_TEMP_DIR, or the system's).

Works on any storage with listdir (local disk, S3).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone

from batches.ingest.limits import human_bytes
from batches.ingest.pipeline import SPOOL_PREFIX
from batches.models import Image, StoredFile, UploadFile
from batches.tasks import expand_pending_removals
from batches.uploads.sessions import abandoned, discard_session

ROOT = "projects"
KINDS = ("images", "thumbs")
# Django's TemporaryUploadedFile names its files tmpXXXXXXXX.upload[.ext].
UPLOAD_TEMP = re.compile(r"tmp\w+\.upload(\..*)?", re.DOTALL)


@dataclass
class Found:
    count: int = 0
    size: int = 0
    young: int = 0  # left alone: younger than --min-age

    def add(self, size: int) -> None:
        self.count += 1
        self.size += size


class Command(BaseCommand):
    help = (
        "Remove stored files of uploads that died (listed in the ledger), stored image files and thumbnails "
        "that no image row points to, and stale temporary upload files (--dry-run lists them)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="list what would be removed, remove nothing")
        parser.add_argument(
            "--min-age",
            type=int,
            default=60,
            metavar="MINUTES",
            help="leave files younger than this alone (uploads in progress); default 60",
        )

    def handle(self, *args, **options):
        self.dry_run = options["dry_run"]
        self.min_age = max(options["min_age"], 0)
        self.cutoff = timezone.now() - dt.timedelta(minutes=self.min_age)
        self.cancel_abandoned_uploads()
        ledger = self.clean_ledger()
        unreferenced = self.clean_unreferenced()
        temporary = self.clean_temporary()
        self.summarise(ledger, unreferenced, temporary)

    # --- 0. upload sessions their browser left -----------------------------------------------------

    def cancel_abandoned_uploads(self) -> None:
        hours = getattr(settings, "UPLOAD_SESSION_ABANDON_HOURS", 24)
        for session in list(abandoned(hours)):
            self.say(f"upload {session.pk} “{session.name}”: nothing sent for {hours} hours, cancelled")
            if not self.dry_run:
                discard_session(session)

    # --- 1. the ledger ----------------------------------------------------------------------------

    def clean_ledger(self) -> Found:
        if not self.dry_run:
            expand_pending_removals()  # deletions whose worker never ran: their names join the ledger
        found = Found(young=StoredFile.objects.filter(created_at__gt=self.cutoff).count())
        # Listed first: rows are deleted along the way (SQLite must not change a table it is reading).
        for entry in list(StoredFile.objects.filter(created_at__lte=self.cutoff)):
            if is_referenced(entry.name):  # cannot happen (same transaction), but never delete what a row names
                if not self.dry_run:
                    entry.delete()
                continue
            found.add(safe_size(entry.name))
            self.say(f"{entry.name} (written by an upload that did not finish)")
            if not self.dry_run:
                default_storage.delete(entry.name)
                entry.delete()
        return found

    # --- 2. files without a row ---------------------------------------------------------------------

    def clean_unreferenced(self) -> Found:
        found = Found()
        for project_folder in list_dirs(ROOT):
            if not re.fullmatch(r"\d+", project_folder):
                continue
            # One project at a time, so memory follows the largest project, not the whole site.
            project_id = int(project_folder)
            referenced = set()
            for file_name, thumb_name in Image.objects.filter(project_id=project_id).values_list("file", "thumbnail"):
                referenced.update((file_name, thumb_name))
            for kind in KINDS:
                folder = f"{ROOT}/{project_folder}/{kind}"
                for name in list_files(folder):
                    path = f"{folder}/{name}"
                    if path in referenced or is_referenced(path):
                        continue
                    if StoredFile.objects.filter(name=path).exists():
                        continue  # the ledger's: step 1 decides (a young one belongs to a live upload)
                    if default_storage.get_modified_time(path) > self.cutoff:
                        found.young += 1
                        continue
                    found.add(safe_size(path))
                    self.say(path)
                    if not self.dry_run:
                        default_storage.delete(path)
        return found

    # --- 3. temporary upload files ------------------------------------------------------------------

    def clean_temporary(self) -> Found:
        found = Found()
        folder = Path(getattr(settings, "FILE_UPLOAD_TEMP_DIR", None) or tempfile.gettempdir())
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return found
        cutoff = self.cutoff.timestamp()
        for entry in entries:
            if not (UPLOAD_TEMP.fullmatch(entry.name) or entry.name.startswith(SPOOL_PREFIX)):
                continue
            try:
                stat = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if not entry.is_file(follow_symlinks=False):
                continue
            if stat.st_mtime > cutoff:
                found.young += 1
                continue
            found.add(stat.st_size)
            self.say(f"{entry.path} (temporary upload file)")
            if not self.dry_run:
                Path(entry.path).unlink(missing_ok=True)
        return found

    # --- telling what happened ----------------------------------------------------------------------

    def say(self, what: str) -> None:
        self.stdout.write(f"{'would remove' if self.dry_run else 'removing'} {what}")

    def summarise(self, ledger: Found, unreferenced: Found, temporary: Found) -> None:
        count = ledger.count + unreferenced.count + temporary.count
        size = human_bytes(ledger.size + unreferenced.size + temporary.size)
        young = ledger.young + unreferenced.young + temporary.young
        if not count:
            clean = (
                "every stored image and thumbnail has its row"
                if not young
                else f"none older than {self.min_age} minutes"
            )
            self.stdout.write(self.style.SUCCESS(f"No orphaned files: {clean}."))
        elif self.dry_run:
            self.stdout.write(
                self.style.WARNING(f"{count} orphaned files ({size}) would be removed; run without --dry-run.")
            )
        else:
            self.stdout.write(self.style.SUCCESS(f"Removed {count} orphaned files ({size})."))
        kinds = [
            f"{found.count} {label}"
            for found, label in (
                (ledger, "left by uploads that did not finish"),
                (unreferenced, "without an image row"),
                (temporary, "temporary upload files"),
            )
            if found.count
        ]
        if kinds:
            self.stdout.write(f"Of these: {', '.join(kinds)}.")
        if young:
            self.stdout.write(
                self.style.WARNING(
                    f"Left alone: {young} files younger than {self.min_age} minutes, which an upload may still be "
                    "writing. Run again later, or with --min-age 0 when no upload is running."
                )
            )


def list_dirs(folder: str) -> list[str]:
    try:
        return sorted(default_storage.listdir(folder)[0])
    except FileNotFoundError:
        return []


def list_files(folder: str) -> list[str]:
    try:
        return sorted(default_storage.listdir(folder)[1])
    except FileNotFoundError:
        return []


def is_referenced(path: str) -> bool:
    # A row of another project pointing here would be a bug, but never delete what a row names
    # (an upload session's file waiting for its worker included).
    return (
        Image.objects.filter(Q(file=path) | Q(thumbnail=path)).exists()
        or UploadFile.objects.filter(stored=path).exists()
    )


def safe_size(path: str) -> int:
    try:
        return default_storage.size(path)
    except OSError:
        return 0
