"""Dataset export: the Dataset column of a project as a zip in COCO, YOLO or Pascal VOC, streamed.

The archive is produced piece by piece while it is sent: images are read from the database in
chunks of CHUNK_SIZE rows (one query for the image rows, plus one query per chunk for their boxes),
each label file or JSON fragment is handed to zipstream-ng as soon as it exists, and image files are
copied from storage in FILE_CHUNK pieces. Nothing holds the whole archive, the whole JSON or all the
rows; what grows with the dataset is only the zip's central directory (about 0.5 KB per file in the
archive, kept by zipstream-ng), which every zip writer must keep until the end
(docs/decisions/zip-streaming.md).

Conventions, the same in every format (also written into the archive's README.txt):

- Boxes are in pixels of the upright image (EXIF orientation applied), the space `Image.width` and
  `Image.height` describe and annotations are stored in.
- Class ids are stable across exports: classes are ordered by their database id. COCO category ids
  are the LabelClass ids themselves; YOLO class indices are 0-based positions in that order (a new
  class is appended at the end, so existing indices never move unless a class is deleted).
- COCO image ids are the Image ids and annotation ids the Annotation ids; bbox is [x, y, w, h] with
  a top-left origin, in float pixels, and each box is also given as a four-corner polygon.
- Pascal VOC boxes are 1-based inclusive integer pixels, as in the original VOC devkit:
  xmin = round(x) + 1, xmax = round(x + w) (so x ≈ xmin - 1 and w ≈ xmax - xmin + 1).
- YOLO lines are `class cx cy w h`, normalised to 0..1 by the image's upright width and height.
- An optional train/val/test split puts each image by a hash of (seed, image id): the same seed
  gives the same split every time, an image never changes subset as the dataset grows, and the
  proportions are those percentages on average (exactly so only for large datasets).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from zipstream import ZIP_DEFLATED, ZIP_STORED, ZipStream

from accounts.calendars import localise_digits

from ..models import Annotation, Batch, Image, LabelClass, Project
from .snapshot import Snapshot

SPLITS = ("train", "val", "test")
DEFAULT_SPLIT = (80, 10, 10)
DEFAULT_SEED = 42
# Rows per database round trip: large enough that a chunk costs little, small enough to stay flat.
CHUNK_SIZE = 1000
# Bytes read from storage at a time, and the size of the pieces handed to the HTTP server.
FILE_CHUNK = 64 * 1024
# Missing image files are listed in README.txt up to this many (the rest are only counted).
MAX_LISTED_MISSING = 200


class ExportError(Exception):
    """An export that cannot be made; the message says why to a person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ExportOptions:
    format: str
    include_images: bool = False
    split: tuple[int, int, int] | None = None  # train, val, test percentages adding up to 100
    seed: int = DEFAULT_SEED
    batch_ids: tuple[int, ...] | None = None  # None: every batch of the Dataset column


def parse_split(text: str) -> tuple[int, int, int]:
    """ "80,10,10" (or "80,20": no test subset) → (80, 10, 10); clear errors for anything else."""
    parts = [part.strip() for part in str(text).replace("/", ",").split(",")]
    if len(parts) not in (2, 3) or not all(part.isdigit() for part in parts):
        raise ExportError(
            _("“%(text)s” is not a split: give train,val,test percentages such as 80,10,10.") % {"text": text}
        )
    values = [int(part) for part in parts] + [0] * (3 - len(parts))
    return check_split(values[0], values[1], values[2])


def check_split(train: int, val: int, test: int) -> tuple[int, int, int]:
    values = (train, val, test)
    if any(value < 0 or value > 100 for value in values):
        raise ExportError(_("Each split percentage is between 0 and 100."))
    if sum(values) != 100:
        raise ExportError(
            _("The split percentages add up to %(sum)s; they must add up to 100.")
            % {"sum": localise_digits(str(sum(values)))}
        )
    return values


def subset_of(image_id: int, seed: int, split: tuple[int, int, int] | None) -> str:
    """Which subset an image goes to: a function of (seed, image id) only, never of order or neighbours."""
    if split is None:
        return "default"
    digest = hashlib.sha256(f"{seed}:{image_id}".encode()).digest()
    bucket = int.from_bytes(digest[:8], "big") % 100
    bound = 0
    for name, percent in zip(SPLITS, split, strict=True):
        bound += percent
        if bucket < bound:
            return name
    return SPLITS[-1]  # unreachable while the percentages add up to 100


def dataset_batches(project: Project, using: str | None = None):
    """The Dataset column's batches, in board order."""
    return Batch.objects.using(using).filter(project=project, status=Batch.Status.DATASET).order_by("position", "-id")


def archive_stem(image_id: int, original_name: str) -> str:
    """A safe, unique file stem: the image id, then the uploaded name reduced to plain ASCII."""
    base = original_name.replace("\\", "/").rsplit("/", 1)[-1]
    base = base.rsplit(".", 1)[0] if "." in base else base
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._-")[:80]
    return f"{image_id}_{base}" if base else str(image_id)


def image_extension(stored_name: str) -> str:
    tail = stored_name.rsplit("/", 1)[-1]
    ext = tail.rsplit(".", 1)[-1].lower() if "." in tail else ""
    return f".{ext}" if re.fullmatch(r"[a-z0-9]{1,5}", ext) else ".jpg"


@dataclass(frozen=True)
class ImageRow:
    pk: int
    file: str
    width: int
    height: int
    original_name: str

    @cached_property
    def stem(self) -> str:
        return archive_stem(self.pk, self.original_name)

    @cached_property
    def file_name(self) -> str:
        return self.stem + image_extension(self.file)


@dataclass(frozen=True)
class Box:
    pk: int
    class_id: int  # LabelClass pk
    x: float
    y: float
    w: float
    h: float

    def corners(self, width: int, height: int) -> tuple[float, float, float, float] | None:
        """(x0, y0, x1, y1) kept inside the image, or None when nothing of the box is left."""
        x0, y0 = max(0.0, self.x), max(0.0, self.y)
        x1, y1 = min(float(width), self.x + self.w), min(float(height), self.y + self.h)
        return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def boxes_inside(image: ImageRow, boxes: list[Box]) -> list[tuple[Box, tuple[float, float, float, float]]]:
    """Each box with its corners inside the image; boxes wholly outside (which the editor prevents) are dropped."""
    kept = []
    for box in boxes:
        corners = box.corners(image.width, image.height)
        if corners is not None:
            kept.append((box, corners))
    return kept


@dataclass
class Tally:
    images: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    boxes: int = 0
    empty_images: int = 0
    files: int = 0
    missing: list[str] = field(default_factory=list)
    missing_count: int = 0


class Export:
    """One export, ready to stream. Build it with prepare_export(), which checks everything first.

    Everything it reads comes from one snapshot (see snapshot.py), released when the stream ends,
    fails or is closed; close() releases it for an export that is never streamed.
    """

    def __init__(
        self,
        project: Project,
        options: ExportOptions,
        batches: list[Batch],
        classes: list[LabelClass],
        writer: type[ArchiveWriter],
        snapshot: Snapshot | None = None,
    ):
        self.project = project
        self.writer = writer
        self.snapshot = snapshot
        self.using = snapshot.alias if snapshot else None
        self.options = options
        self.batches = batches
        self.batch_ids = [batch.pk for batch in batches]
        self.classes = classes
        self.class_index = {label_class.pk: index for index, label_class in enumerate(classes)}
        self.class_name = {label_class.pk: label_class.name for label_class in classes}
        self.created = timezone.now()
        self.tally = Tally()

    # --- what the archive is ---------------------------------------------------------------------

    @property
    def filename(self) -> str:
        slug = slugify(self.project.name)[:60] or f"project-{self.project.pk}"
        return f"{slug}-{self.options.format}-{self.created:%Y%m%d-%H%M%S}.zip"

    @property
    def subsets(self) -> list[str]:
        if self.options.split is None:
            return ["default"]
        return [name for name, percent in zip(SPLITS, self.options.split, strict=True) if percent > 0]

    def subset(self, image_id: int) -> str:
        return subset_of(image_id, self.options.seed, self.options.split)

    # --- reading the database in chunks -----------------------------------------------------------

    def image_chunks(self) -> Iterator[list[ImageRow]]:
        """Every exported image, batch by batch, CHUNK_SIZE at a time: one query for all of them."""
        rows = (
            Image.objects.using(self.using)
            .filter(batch_id__in=self.batch_ids, batch__status=Batch.Status.DATASET)
            # The (batch, id) index gives this order as it is: ordering by id alone makes the
            # database sort every row of the export before it returns the first.
            .order_by("batch_id", "pk")
            .values_list("pk", "file", "width", "height", "original_name")
        )
        chunk: list[ImageRow] = []
        for row in rows.iterator(chunk_size=CHUNK_SIZE):
            chunk.append(ImageRow(*row))
            if len(chunk) == CHUNK_SIZE:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def boxes_for(self, images: list[ImageRow]) -> dict[int, list[Box]]:
        """The boxes of a chunk of images: one query, whatever the chunk holds."""
        boxes: dict[int, list[Box]] = defaultdict(list)
        if not images:
            return boxes
        ids = [image.pk for image in images]
        # Always CHUNK_SIZE parameters, padded with ids no row has: a split leaves chunks of every
        # length, and SQLite compiles and caches one statement per length (+10 MB at 20,000 images).
        ids += range(-1, -1 - (CHUNK_SIZE - len(ids)), -1)
        rows = (
            Annotation.objects.using(self.using)
            .filter(image_id__in=ids)
            .order_by("image_id", "pk")
            .values_list("pk", "image_id", "label_class_id", "x", "y", "w", "h")
        )
        for pk, image_id, class_id, x, y, w, h in rows:
            boxes[image_id].append(Box(pk, class_id, x, y, w, h))
        return boxes

    def images_with_boxes(self, subset: str | None = None) -> Iterator[list[tuple[ImageRow, list[Box]]]]:
        for chunk in self.image_chunks():
            if subset is not None:
                chunk = [image for image in chunk if self.subset(image.pk) == subset]
            boxes = self.boxes_for(chunk)
            yield [(image, boxes.get(image.pk, [])) for image in chunk]

    def count(self, subset: str, boxes: int) -> None:
        self.tally.images[subset] += 1
        self.tally.boxes += boxes
        if not boxes:
            self.tally.empty_images += 1

    # --- streaming ----------------------------------------------------------------------------------

    def stream(self) -> ClosingStream:
        """The zip archive, in pieces of about FILE_CHUNK bytes; the snapshot ends with it."""
        return ClosingStream(_coalesce(self.writer(self).archive()), self.close)

    def close(self) -> None:
        if self.snapshot is not None:
            self.snapshot.close()

    def read_file(self, name: str) -> tuple[Iterator[bytes], int | None] | None:
        """A stored image file as a stream of pieces and its size, or None (noted in the tally) when missing."""
        try:
            handle = default_storage.open(name, "rb")
        except (FileNotFoundError, OSError):
            self.tally.missing_count += 1
            if len(self.tally.missing) < MAX_LISTED_MISSING:
                self.tally.missing.append(name)
            return None
        self.tally.files += 1
        try:
            size = handle.size
        except (AttributeError, OSError):
            size = None
        return _read_and_close(handle), size


class ClosingStream:
    """The pieces of an archive; `on_close` runs once, when they run out, fail, or close() is called.

    A generator's own finally would not do: closing a generator that has not started skips it, and
    servers close a response whose client went away before its first piece.
    """

    def __init__(self, pieces: Iterator[bytes], on_close):
        self.pieces = pieces
        self.on_close = on_close

    def __iter__(self) -> ClosingStream:
        return self

    def __next__(self) -> bytes:
        try:
            return next(self.pieces)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        on_close, self.on_close = self.on_close, None
        if on_close is None:
            return
        try:
            self.pieces.close()
        finally:
            on_close()


def _read_and_close(handle) -> Iterator[bytes]:
    try:
        while piece := handle.read(FILE_CHUNK):
            yield piece
    finally:
        handle.close()


def _coalesce(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """zipstream yields many tiny pieces (headers, short label files); send them in larger ones."""
    size = FILE_CHUNK
    buffer = bytearray()
    for piece in pieces:
        buffer += piece
        if len(buffer) >= size:
            yield bytes(buffer)
            buffer.clear()
    if buffer:
        yield bytes(buffer)


# In the layout of every format (English, like the layouts: file names and formats).
IMAGE_LIST_LINE = (
    "  images.csv                             every image: subset, file name here, upright width and height, "
    "the name it was uploaded under"
)


# A cell a spreadsheet would run as a formula ("=HYPERLINK(…)" as an uploaded file's name): OWASP's
# CSV-injection advice, a leading apostrophe, which spreadsheets show as text and do not display.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _as_text(name: str) -> str:
    return "'" + name if name.startswith(FORMULA_START) else name


class ArchiveWriter:
    """Shared plumbing of the three formats: a zip stream drained after every few entries."""

    def __init__(self, export: Export):
        self.export = export
        # zlib's default level; naming one would log a warning for every image stored uncompressed.
        self.zip = ZipStream(compress_type=ZIP_DEFLATED)

    def add(self, name: str, data: bytes | str | Iterable[bytes]) -> None:
        self.zip.add(data, name)

    def add_image(self, folder: str, image: ImageRow) -> Iterator[bytes]:
        """Copy one image file in (stored as is: JPEG and PNG do not compress further)."""
        opened = self.export.read_file(image.file)
        if opened is not None:
            pieces, size = opened
            # A known size spares the entry zip64 fields, which some old unzip tools cannot read.
            self.zip.add(pieces, f"{folder}{image.file_name}", size=size, compress_type=ZIP_STORED)
            # One open file at a time: write this entry before opening the next.
            yield from self.zip.all_files()

    def drain(self) -> Iterator[bytes]:
        yield from self.zip.all_files()

    def archive(self) -> Iterator[bytes]:
        yield from self.entries()
        self.add("images.csv", self.image_list())
        self.add("README.txt", self.readme())
        yield from self.zip.finalize()

    def image_list(self) -> Iterator[bytes]:
        """Which uploaded file each image of the archive is: the names here are the id and the name reduced to
        ASCII ("تصویر خیابان.jpg" is "62.jpg", "a/img.jpg" and "c/img.jpg" both "N_img.jpg"), and a labels-only
        export is no use to a team that cannot find its own files under them."""
        yield "\ufeffsubset,file_name,width,height,original_name\r\n".encode()  # BOM: spreadsheets read UTF-8
        for chunk in self.export.image_chunks():
            out = io.StringIO()
            writer = csv.writer(out)
            for image in chunk:
                subset = self.export.subset(image.pk)
                writer.writerow([subset, image.file_name, image.width, image.height, _as_text(image.original_name)])
            yield out.getvalue().encode()

    def entries(self) -> Iterator[bytes]:
        raise NotImplementedError

    # --- README.txt -------------------------------------------------------------------------------

    label = ""  # the format's name for people
    layout = ""

    def readme(self) -> str:
        export, options, tally = self.export, self.export.options, self.export.tally
        batches = _(", ").join(
            _("%(name)s (id %(id)s)") % {"name": batch.name, "id": batch.pk} for batch in export.batches
        )
        lines = [
            _("BinaBoard export of “%(project)s”: %(format)s") % {"project": export.project.name, "format": self.label},
            _("Made %(when)s.") % {"when": f"{export.created:%Y-%m-%d %H:%M:%S %Z}"},
            "",
            _("Batches: %(batches)s") % {"batches": batches},
            _("Images: %(images)s, boxes: %(boxes)s, images without boxes: %(empty)s.")
            % {"images": sum(tally.images.values()), "boxes": tally.boxes, "empty": tally.empty_images},
        ]
        if options.split:
            train, val, test = options.split
            counts = ", ".join(f"{name} {tally.images.get(name, 0)}" for name in SPLITS)
            lines.append(
                _("Split train/val/test %(split)s with seed %(seed)s: %(counts)s images.")
                % {"split": f"{train}/{val}/{test}", "seed": options.seed, "counts": counts}
            )
            lines.append(
                _("Each image's subset depends only on the seed and its id: the same request gives the same split.")
            )
        lines += ["", _("Classes (YOLO index, COCO category id = BinaBoard class id, name):")]
        lines += [
            f"  {index}  {label_class.pk}  {label_class.name}" for index, label_class in enumerate(export.classes)
        ]
        lines += ["", _("Layout:"), self.layout.strip("\n"), IMAGE_LIST_LINE, "", _("Conventions:")]
        lines += [
            "  "
            + _(
                "Boxes are in pixels of the upright image (EXIF orientation applied); width and height are upright too."
            ),
            "  "
            + _(
                "Image files are copied byte for byte as stored: upright, without EXIF, XMP or comments (an ICC colour "
                "profile is kept). A file stored before metadata was removed at upload may still carry an EXIF "
                "orientation tag: read it upright."
            ),
        ]
        # The format's own conventions stay in English: they quote the format's specification.
        lines += self.conventions
        if options.include_images:
            lines.append("\n" + _("Image files included: %(count)s.") % {"count": tally.files})
            if tally.missing_count:
                lines.append(_("Missing from storage, so not included: %(count)s:") % {"count": tally.missing_count})
                lines += [f"  {name}" for name in tally.missing]
        else:
            lines.append(
                "\n"
                + _(
                    "Image files are not included: put them in the folders named above, under the same names "
                    "(images.csv says which uploaded file each name is)."
                )
            )
        return "\n".join(lines) + "\n"

    conventions: list[str] = []


def prepare_export(project: Project, options: ExportOptions, writers: dict[str, type[ArchiveWriter]]) -> Export:
    """Check an export request against the project's Dataset column; the zip streams from the result.

    `writers` is the format registry (formats.WRITERS): this module knows no format by name."""
    if options.format not in writers:
        choices = ", ".join(writers)
        raise ExportError(
            _("“%(format)s” is not an export format: choose %(choices)s.")
            % {"format": options.format, "choices": choices}
        )
    if options.split is not None:
        check_split(*options.split)
    snapshot = Snapshot()
    try:
        return _prepare(project, options, snapshot, writers)
    except BaseException:
        snapshot.close()
        raise


def _prepare(
    project: Project, options: ExportOptions, snapshot: Snapshot, writers: dict[str, type[ArchiveWriter]]
) -> Export:
    batches = list(dataset_batches(project, using=snapshot.alias))
    if not batches:
        raise ExportError(
            _(
                "The Dataset column is empty: there is nothing to export yet. "
                "Batches arrive there when a reviewer approves them."
            )
        )
    if options.batch_ids is not None:
        wanted = set(options.batch_ids)
        if not wanted:
            raise ExportError(_("Choose at least one batch of the Dataset column."))
        unknown = wanted - {batch.pk for batch in batches}
        if unknown:
            ids = ", ".join(str(pk) for pk in sorted(unknown))
            raise ExportError(
                _("Batch %(ids)s is not in this project's Dataset column (any more); reload the page and choose again.")
                % {"ids": ids}
            )
        batches = [batch for batch in batches if batch.pk in wanted]
    if sum(batch.image_count for batch in batches) == 0:
        raise ExportError(_("The chosen batches hold no images: there is nothing to export."))
    classes = list(LabelClass.objects.using(snapshot.alias).filter(project=project).order_by("pk"))
    return Export(project, options, batches, classes, writers[options.format], snapshot)


def json_text(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
