"""Images with their existing labels → one new batch in Unassigned whose images carry the boxes as pre-labels.

All or nothing. The label files are read and checked first (labels.py): a file that cannot be read,
a class that is not in the project (when the import must not create classes), or labels naming an
image that is not there refuse the import before anything is stored. The images then go through the
upload pipeline (ingest: checks, dedupe, storage, the file ledger), and the boxes are checked
against each image's real size and written in the very transaction that creates the batch: a box
outside its image, an image the checks refused, or any other problem rolls the batch, its images,
the new classes and the boxes back, and the ledger removes every stored file. The report lists every
problem by file.

Pre-labels are ordinary Annotation rows marked `prelabel`: the annotate workspace shows them as any
box, and an annotator's save replaces them. With the project's "imported labels are to check"
setting (the default) the images stay "not annotated" until someone saves them; otherwise they
count as annotated (or "no objects" when their labels hold no box).
"""

from __future__ import annotations

import io
import logging
import os
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.calendars import isolate, localise_digits
from accounts.models import CLASS_PALETTE

from ..annotating import MIN_SIZE
from ..models import Annotation, Batch, Image, LabelClass, Project
from ..params import clean_text
from ..rules import Membership
from ..workflow import WorkflowError
from .archives import entry_problem, is_system_file, printable_name, zip_name
from .labels import (
    FORMATS,
    MAX_LABEL_FILE,
    ImageLabels,
    LabelsError,
    LabelSet,
    Problem,
    ProblemList,
    is_label_file,
    read_labels,
)
from .limits import Limits, human_bytes
from .pipeline import IngestReport, Source, ingest

log = logging.getLogger("batches.ingest")

# A box may reach this far past the image's edge (rounding in other tools); it is cut at the edge.
EDGE_TOLERANCE = 0.5
MAX_CLASS_NAME = 100
# All the label files of one import together: they are read into memory before anything else, and a small
# archive can declare many large ones (a zip bomb).
MAX_LABEL_BYTES = MAX_LABEL_FILE


@dataclass
class LabelImportReport:
    format: str
    ingest: IngestReport | None = None
    problems: list[Problem] = field(default_factory=ProblemList)
    unknown_classes: list[str] = field(default_factory=list)  # refused: not in the project, not mapped
    created_classes: list[str] = field(default_factory=list)
    mapped_classes: dict[str, str] = field(default_factory=dict)
    boxes: int = 0
    labelled_images: int = 0
    unlabelled_images: int = 0
    crowd_skipped: int = 0  # COCO crowd regions (iscrowd 1), not imported
    message: str = ""

    @property
    def batch(self) -> Batch | None:
        return self.ingest.batch if self.ingest and not self.problems else None

    @property
    def format_label(self) -> str:
        return FORMATS.get(self.format, self.format)


@dataclass
class _Inputs:
    label_files: dict[str, bytes] = field(default_factory=dict)
    image_paths: list[str] = field(default_factory=list)  # as ingest names the images (original_name)
    image_sources: list[Source] = field(default_factory=list)
    skipped_outcomes: set[str] = field(default_factory=set)  # label entries ingest will list: not shown
    problems: list[Problem] = field(default_factory=ProblemList)
    label_bytes: int = 0  # read so far, within MAX_LABEL_BYTES
    over_budget: bool = False

    def take(self, size: int) -> bool:
        """Whether `size` more bytes of label files may be read (one problem says when they may not)."""
        if not self.over_budget and self.label_bytes + size <= MAX_LABEL_BYTES:
            self.label_bytes += size
            return True
        if not self.over_budget:
            self.over_budget = True
            self.problems.append(
                Problem(
                    "",
                    _("The label files are too large in total (at most %(limit)s).")
                    % {"limit": human_bytes(MAX_LABEL_BYTES)},
                )
            )
        return False


def parse_mapping(text: str) -> dict[str, str]:
    """ "dog = animal" lines (or "dog=animal, cat=animal") → {"dog": "animal"}; a bad line raises WorkflowError."""
    mapping: dict[str, str] = {}
    for raw in (text or "").replace(",", "\n").splitlines():
        line = raw.strip()
        if not line:
            continue
        source, sep, target = line.partition("=")
        if not sep or not source.strip():
            raise WorkflowError(
                _("“%(line)s” is not a mapping: write “their class = our class”.") % {"line": line[:100]},
                kind=WorkflowError.INVALID,
            )
        if target.strip():
            mapping[source.strip().lower()] = target.strip()
    return mapping


def import_labelled(
    *,
    actor,
    project: Project,
    sources: list[Source],
    fmt: str,
    unknown: str = "create",
    mapping: dict[str, str] | None = None,
    name: str = "",
    default_name: str = "",
    membership: Membership | None = None,
    limits: Limits | None = None,
    workers: int | None = None,
    progress=None,
) -> LabelImportReport:
    """The whole import; raises WorkflowError for who may not or what cannot be asked, reports everything else."""
    if fmt not in FORMATS:
        raise WorkflowError(_("Choose the labels' format: COCO, YOLO or Pascal VOC."), kind=WorkflowError.INVALID)
    if unknown not in {"create", "refuse"}:
        raise WorkflowError(_("Say what to do with classes the project does not have."), kind=WorkflowError.INVALID)
    if membership is None or membership.user != actor or membership.project.pk != project.pk:
        membership = Membership.read(actor, project)
    if not membership.manages:
        raise WorkflowError(_("Only a manager of this project can upload images."), kind=WorkflowError.FORBIDDEN)
    limits = limits or Limits.from_settings()
    report = LabelImportReport(format=fmt)
    inputs = _gather(fmt, sources, limits)
    labels = read_labels(fmt, inputs.label_files)
    report.crowd_skipped = labels.crowd
    report.problems.add(inputs.problems)
    report.problems.add(labels.problems)
    matches = _match(labels, inputs.image_paths, report)
    classes = _resolve_classes(project, labels, unknown, mapping or {}, report)
    if report.problems:
        report.problems = report.problems.summed_up()
        report.message = _("Nothing was imported: fix the problems below and upload again.")
        return report

    def attach(batch: Batch, rows: list[Image]) -> None:
        _attach(actor, project, batch, rows, matches, classes, report)

    try:
        report.ingest = ingest(
            actor=actor,
            project=project,
            sources=inputs.image_sources,
            name=name,
            default_name=default_name,
            membership=membership,
            limits=limits,
            workers=workers,
            progress=progress,
            then=attach,
        )
    except LabelsError as refused:
        report.problems = ProblemList()
        report.problems.add(refused.problems)
        report.problems = report.problems.summed_up()
        report.message = _("Nothing was imported: fix the problems below and upload again.")
        report.created_classes = []
        return report
    finally:
        if report.ingest is not None:
            report.ingest.outcomes = [o for o in report.ingest.outcomes if o.name not in inputs.skipped_outcomes]
    if report.ingest.batch is None:
        report.message = _("No image was kept, so no batch was created.")
        report.created_classes = []
    log.info(
        "label import (%s) into project %s by %s: %d boxes on %d images%s",
        fmt,
        project.pk,
        actor.username,
        report.boxes,
        report.labelled_images,
        f" → batch {report.batch.pk}" if report.batch else ", nothing kept",
    )
    return report


# --- reading the sources -----------------------------------------------------------------------------------


def _gather(fmt: str, sources: list[Source], limits: Limits) -> _Inputs:
    """Label files read into memory; images left to ingest (zips whole: ingest reads their entries)."""
    inputs = _Inputs()
    for source in sources:
        shown = printable_name(source.name)
        if shown.lower().endswith(".zip") and not source.refused:
            _gather_zip(fmt, source, shown, inputs, limits)
            inputs.image_sources.append(source)
        elif is_label_file(fmt, shown) and not source.refused:
            data = _read_source(source, inputs)
            if data is not None:
                inputs.label_files[shown] = data
        else:
            inputs.image_sources.append(source)
            if not is_system_file(shown):
                inputs.image_paths.append(shown)
    return inputs


def _read_source(source: Source, inputs: _Inputs) -> bytes | None:
    try:
        size = len(source.data) if source.data is not None else os.path.getsize(source.path)
        if size > MAX_LABEL_FILE:
            inputs.problems.append(Problem(source.name, _("label file too large")))
            return None
        if not inputs.take(size):
            return None
        if source.data is not None:
            return source.data
        with open(source.path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        inputs.problems.append(
            Problem(source.name, _("could not be read (%(error)s)") % {"error": exc.strerror or exc})
        )
        return None


def _gather_zip(fmt: str, source: Source, shown: str, inputs: _Inputs, limits: Limits) -> None:
    try:
        handle = zipfile.ZipFile(source.path if source.path else io.BytesIO(source.data))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return  # ingest refuses it and says why
    with handle:
        for info in handle.infolist():
            if info.is_dir():
                continue
            member = printable_name(zip_name(info)).lstrip("/")
            if entry_problem(info, limits) or is_system_file(member):
                continue  # ingest lists it as skipped
            if is_label_file(fmt, member):
                inputs.skipped_outcomes.add(f"{shown}/{member}")
                if info.file_size > MAX_LABEL_FILE:
                    inputs.problems.append(Problem(member, _("label file too large")))
                    continue
                if not inputs.take(info.file_size):
                    continue
                try:
                    inputs.label_files[member] = handle.read(info)
                except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError):
                    inputs.problems.append(Problem(member, _("could not be read from the archive")))
            else:
                inputs.image_paths.append(member)


# --- matching labels to images ---------------------------------------------------------------------------


def _without_suffix(path: str) -> str:
    """ "a/b/c.jpg" → "a/b/c" (string operations: pathlib costs too much per image here)."""
    head, _, name = path.rpartition("/")
    dot = name.rfind(".")
    return path if dot <= 0 else (f"{head}/" if head else "") + name[:dot]


def _tails(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[index:]) for index in range(len(parts))]


def _match(labels: LabelSet, image_paths: list[str], report: LabelImportReport) -> dict[str, ImageLabels]:
    """Image path → its labels; labels naming no image, or two, are problems."""
    full = set(image_paths)
    # Every image under each of its path's tails ("a/b/c.jpg", "b/c.jpg", "c.jpg"), with and without its
    # extension: one dictionary lookup per label file, however many images (10,000 × 10,000 stays fast).
    by_tail: dict[str, list[str]] = defaultdict(list)
    by_stem_tail: dict[str, list[str]] = defaultdict(list)
    by_stem_path: dict[str, list[str]] = defaultdict(list)
    for path in image_paths:
        for tail in _tails(path):
            by_tail[tail].append(path)
        for tail in _tails(_without_suffix(path)):
            by_stem_tail[tail].append(path)
        by_stem_path[_without_suffix(path)].append(path)
    matches: dict[str, ImageLabels] = {}
    for image in labels.images:
        key = image.key.removeprefix("./").lstrip("/")
        name = key.rpartition("/")[2]
        if image.by_stem:
            found = by_stem_path.get(key) or by_stem_tail.get(key) or by_stem_tail.get(name, [])
        else:
            found = [key] if key in full else by_tail.get(key) or by_tail.get(name, [])
        if not found:
            report.problems.append(
                Problem(image.source, _("missing image: %(image)s is not in the upload") % {"image": image.key})
            )
        elif len(found) > 1:
            report.problems.append(
                Problem(
                    image.source,
                    _("%(image)s could be any of %(count)s images; keep one")
                    % {"image": image.key, "count": localise_digits(str(len(found)))},
                )
            )
        elif found[0] in matches:
            other = matches[found[0]].source
            report.problems.append(
                Problem(
                    image.source,
                    _("%(image)s is labelled twice (also in %(other)s)") % {"image": found[0], "other": other},
                )
            )
        else:
            matches[found[0]] = image
    return matches


# --- classes -----------------------------------------------------------------------------------------------


def class_name(name: str) -> str:
    """A class name from a label file as a person's typed one is kept (binaboard/params.py clean_text): the
    same name, not a look-alike with invisible characters, and a Persian name keeps its inner ZWNJ."""
    return clean_text(name, max_length=None)


def _resolve_classes(project, labels: LabelSet, unknown: str, mapping: dict[str, str], report) -> dict[str, str | None]:
    """Their class name (lower case) → our class name, or None for a class to create."""
    existing = {
        name.lower(): name for name in LabelClass.objects.filter(project=project).values_list("name", flat=True)
    }
    resolved: dict[str, str | None] = {}
    creating: set[str] = set()  # lower case
    for name in labels.class_names():
        lower, clean = name.lower(), class_name(name)
        if lower in resolved:
            continue
        if lower in mapping:
            target = mapping[lower]
            if target.lower() not in existing:
                report.problems.append(
                    Problem(
                        "",
                        _("Mapping “%(from)s” to “%(to)s”: the project has no class “%(to)s”.")
                        % {"from": name, "to": target},
                    )
                )
                continue
            resolved[lower] = existing[target.lower()]
            report.mapped_classes[name] = existing[target.lower()]
        elif lower in existing:
            resolved[lower] = existing[lower]
        elif clean.lower() in existing:
            # "car\u200b" is stored and shown as "car": the project's car (a new one would break its unique name).
            resolved[lower] = existing[clean.lower()]
        elif unknown == "create":
            if not clean:  # a class nobody named is not created
                report.problems.append(Problem("", _("A class without a name cannot be created: name it or map it.")))
                continue
            if len(clean) > MAX_CLASS_NAME:
                report.problems.append(
                    Problem(
                        "", _("The class name “%(name)s…” is too long (100 characters at most).") % {"name": clean[:40]}
                    )
                )
                continue
            resolved[lower] = None
            if clean.lower() not in creating:  # "Bike\u200b" after "bike": the same new class
                creating.add(clean.lower())
                report.created_classes.append(clean)
        else:
            report.unknown_classes.append(name)
    if report.unknown_classes:
        report.problems.append(
            Problem(
                "",
                ngettext(
                    "This class is not in the project: %(names)s. Map it to one of the project's classes, or let the import create it.",
                    "These classes are not in the project: %(names)s. Map them to the project's classes, or let the import create them.",
                    len(report.unknown_classes),
                )
                % {"names": ", ".join(report.unknown_classes)},
            )
        )
    return resolved


def _create_classes(project: Project, names: list[str]) -> dict[str, LabelClass]:
    taken_keys = set(LabelClass.objects.filter(project=project, key__isnull=False).values_list("key", flat=True))
    free_keys = [key for key in range(1, 10) if key not in taken_keys]
    count = LabelClass.objects.filter(project=project).count()
    created = {}
    for index, name in enumerate(names):
        created[name.lower()] = LabelClass.objects.create(
            project=project,
            name=name,
            colour=CLASS_PALETTE[(count + index) % len(CLASS_PALETTE)],
            key=free_keys[index] if index < len(free_keys) else None,
        )
    return created


# --- the boxes, inside the batch's transaction -----------------------------------------------------------

ROUNDING = 0.01  # of a pixel: what other tools' coordinates may miss a whole pixel by


def _one_pixel_at_least(start: float, end: float, limit: int) -> tuple[float, float]:
    """[start, end] widened to MIN_SIZE when it is a rounding error short of it, inside [0, limit]."""
    if end - start >= MIN_SIZE:
        return start, end
    end = min(start + MIN_SIZE, float(limit))
    return max(end - MIN_SIZE, 0.0), end


def _attach(actor, project, batch: Batch, rows: list[Image], matches, classes, report: LabelImportReport) -> None:
    problems = ProblemList()
    kept = {row.original_name: row for row in rows}
    refused = {o.name: o.reason for o in (report.ingest.outcomes if report.ingest else [])}
    _create_classes(project, report.created_classes)
    ours = {label_class.name.lower(): label_class for label_class in LabelClass.objects.filter(project=project)}
    annotations: list[Annotation] = []
    labelled: dict[int, int] = {}
    for path, image_labels in matches.items():
        row = kept.get(path[-255:])
        if row is None:
            reason = next((r for name, r in refused.items() if name == path or name.endswith("/" + path)), "")
            problems.append(
                Problem(
                    image_labels.source,
                    _("%(image)s was not kept (%(reason)s), so its labels cannot be imported")
                    % {"image": path, "reason": reason or _("refused")},
                )
            )
            continue
        if image_labels.size and image_labels.size != (row.width, row.height):
            problems.append(
                Problem(
                    image_labels.source,
                    (
                        _(
                            "the labels give %(image)s the size %(w)s×%(h)s, but the image is %(iw)s×%(ih)s upright: "
                            "were they drawn on the photo on its side, before its EXIF orientation was applied? "
                            "Export them from a tool that shows it upright"
                        )
                        if image_labels.size == (row.height, row.width)
                        else _("the labels give %(image)s the size %(w)s×%(h)s, but the image is %(iw)s×%(ih)s")
                    )
                    % {
                        "image": path,
                        "w": localise_digits(str(image_labels.size[0])),
                        "h": localise_digits(str(image_labels.size[1])),
                        "iw": localise_digits(str(row.width)),
                        "ih": localise_digits(str(row.height)),
                    },
                )
            )
            continue
        labelled[row.pk] = 0
        for box in image_labels.boxes:
            x, y, w, h = box.x, box.y, box.w, box.h
            if box.normalised:
                x, y, w, h = (x - w / 2) * row.width, (y - h / 2) * row.height, w * row.width, h * row.height
            if w <= 0 or h <= 0:
                problems.append(Problem(box.where, _("bad coordinates: the box has no width or height")))
                continue
            if (
                x < -EDGE_TOLERANCE
                or y < -EDGE_TOLERANCE
                or x + w > row.width + EDGE_TOLERANCE
                or y + h > row.height + EDGE_TOLERANCE
            ):
                problems.append(
                    Problem(
                        box.where,
                        localise_digits(
                            _("box outside the image: %(x).1f, %(y).1f, %(w).1f × %(h).1f on a %(iw)d×%(ih)d image")
                            % {"x": x, "y": y, "w": w, "h": h, "iw": row.width, "ih": row.height}
                        ),
                    )
                )
                continue
            x0, y0 = max(x, 0.0), max(y, 0.0)
            x1, y1 = min(x + w, float(row.width)), min(y + h, float(row.height))
            if x1 - x0 < MIN_SIZE - ROUNDING or y1 - y0 < MIN_SIZE - ROUNDING:
                # The workspace refuses to save a box under a pixel, with every other box of its image: imported,
                # such a box (hard to see, let alone to delete) would make the image impossible to save.
                problems.append(
                    Problem(
                        box.where,
                        localise_digits(
                            _("the box is smaller than a pixel (%(w).2f × %(h).2f); boxes are at least 1 × 1 pixel")
                            % {"w": x1 - x0, "h": y1 - y0}
                        ),
                    )
                )
                continue
            # A 1-pixel box a rounding error short (YOLO's 6 decimals): one pixel, or the workspace could not save it.
            (x0, x1), (y0, y1) = _one_pixel_at_least(x0, x1, row.width), _one_pixel_at_least(y0, y1, row.height)
            # Mapped or existing: our name; to create: the cleaned name it was created under.
            target = classes.get(box.class_name.lower()) or class_name(box.class_name)
            label_class = ours.get(target.lower())
            if label_class is None:
                problems.append(
                    Problem(
                        box.where, _("the class “%(name)s” is not in the project") % {"name": isolate(box.class_name)}
                    )
                )
                continue
            annotations.append(
                Annotation(
                    image=row, label_class=label_class, x=x0, y=y0, w=x1 - x0, h=y1 - y0, author=actor, prelabel=True
                )
            )
            labelled[row.pk] += 1
    if problems:
        raise LabelsError(problems)
    Annotation.objects.bulk_create(annotations, batch_size=1000)
    report.boxes = len(annotations)
    report.labelled_images = len(labelled)
    report.unlabelled_images = len(rows) - len(labelled)
    if not project.prelabels_to_check:
        with_boxes = [pk for pk, count in labelled.items() if count]
        empty = [pk for pk, count in labelled.items() if not count]
        Image.objects.filter(pk__in=with_boxes).update(state=Image.State.ANNOTATED)
        Image.objects.filter(pk__in=empty).update(state=Image.State.NO_OBJECTS)
        Batch.objects.filter(pk=batch.pk).update(done_count=len(labelled))
