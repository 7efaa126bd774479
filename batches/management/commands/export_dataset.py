"""`manage.py export_dataset PROJECT --format coco|yolo|voc --out FILE`: the export page's zip, for operators."""

from __future__ import annotations

import os
import sys
import time

from django.core.management.base import BaseCommand, CommandError

from batches.export import DEFAULT_SEED, FORMATS, ExportError, ExportOptions, parse_split, prepare_export
from batches.models import Project


class Command(BaseCommand):
    help = (
        "Export a project's Dataset column (all of it, or chosen batches) as a zip in COCO JSON, YOLO or "
        "Pascal VOC, with or without the image files, optionally split into train/val/test."
    )

    def add_arguments(self, parser):
        parser.add_argument("project", help="the project's id or exact name")
        parser.add_argument("--format", required=True, choices=sorted(FORMATS), help="archive format")
        parser.add_argument("--out", required=True, help="the zip file to write, or - for standard output")
        parser.add_argument("--images", action="store_true", help="include the image files, not only the labels")
        parser.add_argument("--split", help="train,val,test percentages adding up to 100, e.g. 80,10,10")
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help=f"seed of the split (default {DEFAULT_SEED})"
        )
        parser.add_argument(
            "--batch",
            type=int,
            action="append",
            dest="batches",
            metavar="ID",
            help="export only this Dataset batch (repeat for several); default: the whole Dataset column",
        )

    def handle(self, *args, **options):
        project = self.find_project(options["project"])
        try:
            split = parse_split(options["split"]) if options["split"] else None
            export = prepare_export(
                project,
                ExportOptions(
                    format=options["format"],
                    include_images=options["images"],
                    split=split,
                    seed=options["seed"],
                    batch_ids=tuple(options["batches"]) if options["batches"] else None,
                ),
            )
        except ExportError as error:
            raise CommandError(error.message) from None
        started = time.monotonic()
        out = options["out"]
        try:
            size = self.write(export, sys.stdout.buffer) if out == "-" else self.write_file(export, out)
        finally:
            export.close()  # a failed write leaves the stream unfinished: end its snapshot here
        tally = export.tally
        self.stderr.write(
            f"Wrote {out if out != '-' else 'standard output'}: {FORMATS[export.options.format]}, "
            f"{sum(tally.images.values())} images, {tally.boxes} boxes, {size / 1e6:.1f} MB "
            f"in {time.monotonic() - started:.1f} s."
        )
        if tally.missing_count:
            self.stderr.write(
                self.style.WARNING(
                    f"{tally.missing_count} image files were missing from storage (listed in README.txt)."
                )
            )

    def find_project(self, key: str) -> Project:
        project = Project.objects.filter(pk=int(key)).first() if key.isdigit() else None
        if project is None:
            matches = list(Project.objects.filter(name=key)[:2])
            if len(matches) > 1:
                raise CommandError(f"Several projects are called “{key}”: give the project's id instead.")
            project = matches[0] if matches else None
        if project is None:
            raise CommandError(f"No project has the id or name “{key}”.")
        return project

    def write_file(self, export, path: str) -> int:
        """Write next to the target and rename at the end: a failed export leaves no half zip behind."""
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise CommandError(f"The folder {directory} does not exist.")
        partial = f"{path}.part"
        try:
            with open(partial, "wb") as handle:
                size = self.write(export, handle)
            os.replace(partial, path)
        except BaseException:
            if os.path.exists(partial):
                os.remove(partial)
            raise
        return size

    def write(self, export, handle) -> int:
        size = 0
        for piece in export.stream():
            handle.write(piece)
            size += len(piece)
        handle.flush()
        return size
