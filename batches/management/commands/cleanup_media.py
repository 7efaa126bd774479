"""`manage.py cleanup_media [--dry-run]`: remove stored image files and thumbnails that no row points to.

Such files come from a delete whose file removal failed, a project deleted with its rows, or a
crash in the middle of an upload. Works on any storage with listdir (local disk, S3). Files younger
than --min-age are left alone: an upload in progress stores its files before its rows exist.
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone

from batches.ingest.limits import human_bytes
from batches.models import Image

ROOT = "projects"
KINDS = ("images", "thumbs")


class Command(BaseCommand):
    help = "Find stored image files and thumbnails that no image row points to, and remove them (--dry-run lists them)."

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
        dry_run = options["dry_run"]
        cutoff = timezone.now() - dt.timedelta(minutes=max(options["min_age"], 0))
        found = removed = size = 0
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
                    if path in referenced or is_referenced_elsewhere(path):
                        continue
                    if default_storage.get_modified_time(path) > cutoff:
                        continue
                    found += 1
                    size += safe_size(path)
                    self.stdout.write(f"{'would remove' if dry_run else 'removing'} {path}")
                    if not dry_run:
                        default_storage.delete(path)
                        removed += 1
        if not found:
            self.stdout.write(self.style.SUCCESS("No orphaned files: every stored image and thumbnail has its row."))
        elif dry_run:
            self.stdout.write(
                self.style.WARNING(
                    f"{found} orphaned files ({human_bytes(size)}) would be removed; run without --dry-run."
                )
            )
        else:
            self.stdout.write(self.style.SUCCESS(f"Removed {removed} orphaned files ({human_bytes(size)})."))


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


def is_referenced_elsewhere(path: str) -> bool:
    # A row of another project pointing here would be a bug, but never delete what a row names.
    return Image.objects.filter(Q(file=path) | Q(thumbnail=path)).exists()


def safe_size(path: str) -> int:
    try:
        return default_storage.size(path)
    except OSError:
        return 0
