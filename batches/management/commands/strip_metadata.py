"""`manage.py strip_metadata [--dry-run]`: remove EXIF, XMP and comments from files stored before ingest did.

Ingest strips metadata from every file it stores (batches/ingest/metadata.py). Files stored before
that still carry theirs, GPS positions included, and exports copy them as they are. This command
rewrites each such file once: the clean copy is written under a new name (recorded in the file
ledger first, like an upload), the row is switched to it only if it still names the old file, and
the old file is removed after the commit. Files without metadata are left as they are, so running
it again does nothing.
"""

from __future__ import annotations

import uuid

from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction

from batches.ingest.check import STORED_FORMAT
from batches.ingest.limits import human_bytes
from batches.ingest.metadata import BadContainer, strip_metadata
from batches.ingest.pipeline import discard
from batches.models import Image, StoredFile
from batches.tasks import remove_files_later

FIELDS = ("file", "thumbnail")


class Command(BaseCommand):
    help = "Remove EXIF (GPS included), XMP and comments from stored images and thumbnails that still carry them."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="list the files that carry metadata, change nothing")

    def handle(self, *args, **options):
        dry_run = options["dry_run"]
        self.run = uuid.uuid4()  # this run's id in the file ledger
        storage = Image.file.field.storage
        changed = saved = 0
        for pk, project_id, *names in rows_in_chunks():
            for field, name in zip(FIELDS, names, strict=True):
                if not name:
                    continue
                clean, before = self.cleaned(storage, name)
                if clean is None:
                    continue
                changed += 1
                saved += before - len(clean)
                self.stdout.write(f"{'would strip' if dry_run else 'stripping'} {name}")
                if not dry_run:
                    self.replace(storage, Image(pk=pk, project_id=project_id), field, name, clean)
        if not changed:
            self.stdout.write(self.style.SUCCESS("No stored file carries metadata."))
        elif dry_run:
            self.stdout.write(self.style.WARNING(f"{changed} files carry metadata; run without --dry-run."))
        else:
            self.stdout.write(self.style.SUCCESS(f"Stripped {changed} files ({human_bytes(saved)} of metadata)."))

    def cleaned(self, storage, name: str) -> tuple[bytes | None, int]:
        """The file without its metadata, or None when it has none (or cannot be read)."""
        fmt = STORED_FORMAT.get(name.rsplit(".", 1)[-1].lower())
        if fmt is None:
            return None, 0
        try:
            with storage.open(name, "rb") as handle:
                data = handle.read()
        except OSError:
            self.stderr.write(f"missing from storage, skipped: {name}")
            return None, 0
        try:
            clean = strip_metadata(fmt, data)
        except BadContainer as exc:
            self.stderr.write(f"cannot be read as {fmt}, skipped: {name} ({exc})")
            return None, 0
        return (None if clean is data else clean), len(data)

    def replace(self, storage, image: Image, field: str, old: str, clean: bytes) -> None:
        name = getattr(Image, field).field.generate_filename(image, old.rsplit("/", 1)[-1])
        StoredFile.objects.create(name=name, upload=self.run)  # before the first byte, as ingest does
        new = storage.save(name, ContentFile(clean))
        if new != name:
            StoredFile.objects.create(name=new, upload=self.run)
        with transaction.atomic():
            switched = Image.objects.filter(pk=image.pk, **{field: old}).update(**{field: new})
            StoredFile.objects.filter(name__in=[name, new]).delete()
            if switched:
                remove_files_later([old])
        if not switched:  # the row changed (or went) meanwhile: the clean copy is not needed
            discard([new])


def rows_in_chunks(size: int = 500):
    """(pk, project id, file, thumbnail) of every image, read a chunk at a time between the rewrites."""
    last = 0
    while chunk := list(
        Image.objects.filter(pk__gt=last).order_by("pk").values_list("pk", "project_id", *FIELDS)[:size]
    ):
        yield from chunk
        last = chunk[-1][0]
