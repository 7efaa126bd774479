"""`manage.py import_images PROJECT PATH [--now]`: a folder or archive on the server → one new batch.

A folder (or one image) takes the upload page's path: an upload session whose files are stored after
the cheap checks and processed by the workers (the batch shows "processing" on the board meanwhile);
--now does the workers' part here, in this process, and prints the full report (for scripts). A .zip
archive goes through the archive pipeline in this process. A batch needs someone who made it: --as
names a manager of the project; without it the first superuser is the actor, and the command says so.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from batches.ingest.labels import FORMATS
from batches.ingest.labels_import import LabelImportReport, import_labelled, parse_mapping
from batches.ingest.limits import Limits
from batches.ingest.pipeline import IngestReport, Source, ingest
from batches.models import Project, UploadFile, UploadSession
from batches.uploads.importing import import_sources
from batches.workflow import WorkflowError


class Command(BaseCommand):
    help = (
        "Import a folder (with its sub-folders) or a .zip archive of images as one new batch in Unassigned, "
        "with the upload page's checks and report."
    )

    def add_arguments(self, parser):
        parser.add_argument("project", help="the project's id or exact name")
        parser.add_argument("path", help="a folder, a .zip archive or one image file on this server")
        parser.add_argument(
            "--batch-name", default="", help="name of the new batch (default: the folder's or archive's name)"
        )
        parser.add_argument(
            "--as",
            dest="username",
            default="",
            help="the manager the batch is created by (default: the first superuser)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help=f"processes checking images in parallel (default {getattr(settings, 'INGEST_WORKERS', 1)})",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        parser.add_argument(
            "--labels",
            choices=sorted(FORMATS),
            default="",
            help="the folder or archive also holds labels in this format: they become pre-labels (all or nothing)",
        )
        parser.add_argument(
            "--unknown-classes",
            choices=["create", "refuse"],
            default="create",
            help="with --labels: create classes the project lacks (default), or refuse the import and list them",
        )
        parser.add_argument(
            "--map",
            dest="mapping",
            action="append",
            default=[],
            metavar="THEIRS=OURS",
            help="with --labels: import their class THEIRS as the project's class OURS (repeatable)",
        )
        parser.add_argument(
            "--now",
            action="store_true",
            help="process the images here and wait for the report, instead of leaving them to the workers",
        )

    def handle(self, *args, **options):
        project = find_project(options["project"])
        actor = self.find_actor(options["username"])
        path = Path(options["path"]).expanduser()
        if not path.exists():
            raise CommandError(f"{path} does not exist.")
        sources = list(sources_from_path(path))
        default_name = path.resolve().name if path.is_dir() else ""
        show = not options["no_progress"] and options["verbosity"] > 0
        self.stderr.write(f"Checking {len(sources)} file{'s' if len(sources) != 1 else ''} from {path}…")
        if options["labels"]:
            self.import_with_labels(project, actor, sources, default_name, options, show)
            return
        if not path.name.lower().endswith(".zip"):
            self.import_as_session(project, actor, sources, options["batch_name"] or default_name, options, show)
            return
        try:
            report = ingest(
                actor=actor,
                project=project,
                sources=sources,
                name=options["batch_name"],
                default_name=default_name,
                progress=ProgressBar(self.stderr) if show else None,
                workers=options["workers"],
                limits=Limits.from_settings(),
            )
        except WorkflowError as error:
            raise CommandError(error.message) from None
        self.print_report(report, options["verbosity"])
        if report.batch is None:
            raise CommandError(report.summary())

    def import_with_labels(self, project, actor, sources, default_name, options, show) -> None:
        try:
            report = import_labelled(
                actor=actor,
                project=project,
                sources=sources,
                fmt=options["labels"],
                unknown=options["unknown_classes"],
                mapping=parse_mapping("\n".join(options["mapping"])),
                name=options["batch_name"],
                default_name=default_name,
                workers=options["workers"],
                progress=ProgressBar(self.stderr) if show else None,
            )
        except WorkflowError as error:
            raise CommandError(error.message) from None
        self.print_label_report(report, options["verbosity"])
        if report.batch is None:
            raise CommandError(report.message or "Nothing was imported.")

    def print_label_report(self, report: LabelImportReport, verbosity: int) -> None:
        if report.problems:
            self.stdout.write(self.style.ERROR(report.message))
            self.stdout.write(f"Problems ({len(report.problems)}):")
            for problem in report.problems:
                self.stdout.write(f"  {problem.file or '-'}: {problem.message}")
            return
        if report.ingest is not None:
            self.print_report(report.ingest, verbosity)
        if report.batch is None:
            return
        boxes = f"{report.boxes} box{'es' if report.boxes != 1 else ''}"
        self.stdout.write(
            self.style.SUCCESS(
                f"{boxes} imported as pre-labels ({report.format_label}) on {report.labelled_images} images; "
                f"{report.unlabelled_images} images without labels."
            )
        )
        if report.crowd_skipped:
            self.stdout.write(
                f"{report.crowd_skipped} COCO crowd region{'s were' if report.crowd_skipped != 1 else ' was'} "
                "(iscrowd 1) not imported: a box here is one object."
            )
        if report.created_classes:
            self.stdout.write(f"Classes created: {', '.join(report.created_classes)}")
        for theirs, ours in report.mapped_classes.items():
            self.stdout.write(f"Class {theirs} imported as {ours}")

    def import_as_session(self, project, actor, sources, name, options, show) -> None:
        try:
            session = import_sources(
                actor=actor,
                project=project,
                sources=sources,
                name=name,
                now=options["now"],
                progress=ProgressBar(self.stderr) if show else None,
            )
        except WorkflowError as error:
            raise CommandError(error.message) from None
        files = UploadFile.objects.filter(session=session).select_related("image")
        refused = [f for f in files if f.state == UploadFile.State.FAILED]
        if session.status != UploadSession.Status.DONE:
            self.stdout.write(
                f"Upload {session.pk}: {session.received} files stored for the workers, {len(refused)} refused; "
                f"batch id {session.batch_id} fills as they are processed (report: {session.get_absolute_url()})."
            )
            self.print_refused(refused)
            return
        kept = [f for f in files if f.state == UploadFile.State.READY and f.image is not None]
        if session.batch_id is None:
            self.stdout.write(self.style.ERROR(f"No image was kept, so no batch was created; {len(refused)} refused."))
            self.print_refused(refused)
            raise CommandError("No image was kept, so no batch was created.")
        text = f"Kept {len(kept)} image{'s' if len(kept) != 1 else ''} as the new batch “{session.name}” in Unassigned"
        self.stdout.write(self.style.SUCCESS(text + (f"; refused {len(refused)} files." if refused else ".")))
        self.print_refused(refused)
        if kept and options["verbosity"] >= 2:
            self.stdout.write(f"Kept ({len(kept)}):")
            for upload_file in kept:
                self.stdout.write(
                    f"  {upload_file.original_name}: {upload_file.image.width}×{upload_file.image.height}"
                )
        self.stdout.write(f"Batch id {session.batch_id}, {len(kept)} images.")

    def print_refused(self, refused) -> None:
        if refused:
            self.stdout.write(f"Refused ({len(refused)}):")
            for upload_file in refused:
                self.stdout.write(f"  {upload_file.original_name}: {upload_file.reason}")

    def find_actor(self, username: str):
        User = get_user_model()
        if username:
            try:
                return User.objects.get(username=username, is_active=True)
            except User.DoesNotExist:
                raise CommandError(f"There is no active user called {username!r}.") from None
        actor = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
        if actor is None:
            raise CommandError("Name the manager who imports with --as USERNAME (there is no superuser to default to).")
        self.stderr.write(
            f"Importing as {actor.username}, the first superuser (use --as USERNAME to import as a manager)."
        )
        return actor

    def print_report(self, report: IngestReport, verbosity: int) -> None:
        style = self.style.SUCCESS if report.batch else self.style.ERROR
        self.stdout.write(style(report.summary()))
        if report.refused:
            self.stdout.write(f"Refused ({len(report.refused)}):")
            for outcome in report.refused:
                self.stdout.write(f"  {outcome.name}: {outcome.reason}")
        if report.kept and verbosity >= 2:
            self.stdout.write(f"Kept ({len(report.kept)}):")
            for outcome in report.kept:
                note = f"  ({outcome.note})" if outcome.note else ""
                self.stdout.write(f"  {outcome.name}: {outcome.width}×{outcome.height}{note}")
        if report.batch:
            self.stdout.write(f"Batch id {report.batch.pk}, {len(report.kept)} images, in {report.seconds:.1f} s.")


def find_project(key: str) -> Project:
    if key.isdigit():
        project = Project.objects.filter(pk=int(key)).first()
        if project:
            return project
    matches = list(Project.objects.filter(name=key))
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        ids = ", ".join(str(p.pk) for p in matches)
        raise CommandError(f"{len(matches)} projects are called {key!r} (ids {ids}); give the id instead.")
    raise CommandError(f"No project has the id or name {key!r}.")


ZIP_IN_FOLDER = "skipped: a .zip inside a folder is not unpacked; import the archive on its own"


def sources_from_path(path: Path):
    """A folder's files (sorted, sub-folders too; links are not followed), or the one file given."""
    if not path.is_dir():
        yield Source.from_path(path)
        return
    for folder, dirs, files in os.walk(path, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            full = Path(folder, name)
            relative = full.relative_to(path).as_posix()
            if full.is_symlink():
                yield Source(relative, refused="skipped: symbolic link")
            elif name.lower().endswith(".zip"):
                # The folder's images go through an upload session, which takes archives only as the
                # browser sends them (in parts); said plainly rather than "not an image: a zip-based file".
                yield Source(relative, refused=ZIP_IN_FOLDER)
            else:
                yield Source.from_path(full, name=relative)
        for name in dirs:
            if Path(folder, name).is_symlink():
                yield Source(Path(folder, name).relative_to(path).as_posix() + "/", refused="skipped: symbolic link")


class ProgressBar:
    """A bar that redraws in place on a terminal, and prints a line every 10% elsewhere (logs)."""

    def __init__(self, stream, width: int = 30):
        self.stream = stream
        self.width = width
        self.tty = stream.isatty()
        self.last_tenth = -1

    def __call__(self, done: int, total: int) -> None:
        fraction = done / total if total else 1.0
        if self.tty:
            filled = int(self.width * fraction)
            bar = "█" * filled + "·" * (self.width - filled)
            self.stream.write(f"\r  {bar} {done}/{total} {fraction:4.0%}", ending="")
            if done == total:
                self.stream.write("")
            self.stream.flush()
            return
        tenth = int(fraction * 10)
        if tenth != self.last_tenth:
            self.last_tenth = tenth
            self.stream.write(f"  checked {done}/{total} ({fraction:.0%})")
