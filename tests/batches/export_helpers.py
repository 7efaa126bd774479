"""A generated dataset for the export tests, built the way people build one.

Real image files (one of them stored sideways with an EXIF orientation tag, its row upright), boxes
on most images, one image marked "no objects", one never annotated, batches moved to Dataset through
the workflow (assign → submit → approve), and a batch still in Review that no export may contain.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.db.models import F
from PIL import Image as PILImage

from batches import workflow
from batches.export import ExportOptions, prepare_export
from batches.models import Batch, Image, LabelClass, Project
from tests.factories import annotate, stored_image_rows

ORIENTATION = 0x0112


@dataclass
class Dataset:
    project: Project
    batches: list[Batch]  # in the Dataset column
    review_batch: Batch  # still in Review: never exported
    images: list[Image]  # every image of the Dataset column
    boxes: dict[int, list[tuple[int, float, float, float, float]]] = field(default_factory=dict)
    rotated: Image | None = None
    no_objects: Image | None = None
    never_annotated: Image | None = None

    def images_of(self, batch: Batch) -> list[Image]:
        return [image for image in self.images if image.batch_id == batch.pk]


def sideways_jpeg(width: int = 64, height: int = 48) -> bytes:
    """A JPEG whose pixels are landscape but whose EXIF says "rotate 90° clockwise to view" (portrait)."""
    picture = PILImage.new("RGB", (width, height), (10, 120, 200))
    exif = PILImage.Exif()
    exif[ORIENTATION] = 6
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def exif_rotated_row(project: Project) -> Image:
    """The row the upload makes for a sideways photo: width and height of the upright picture."""
    data = sideways_jpeg(64, 48)
    image = Image(
        project=project,
        width=48,
        height=64,
        sha256=hashlib.sha256(data + b"rotated").hexdigest(),
        original_name="IMG_0001 (rotated).jpg",
    )
    image.file.save("rotated.jpg", ContentFile(data), save=False)
    image.thumbnail.save("rotated.jpg", ContentFile(data), save=False)
    return image


def to_dataset(batch: Batch, *, manager, annotator, reviewer, label=None) -> Batch:
    """Assign → (label, if asked) → submit → approve: the only road into the Dataset column."""
    batch = workflow.assign(actor=manager, batch=batch, assignees=[annotator]).assigned[0]
    if label:
        label(batch)
    batch = workflow.submit(actor=annotator, batch=batch)
    return workflow.approve(actor=reviewer, batch=batch)


def mark_no_objects(image: Image) -> None:
    Image.objects.filter(pk=image.pk).update(state=Image.State.NO_OBJECTS)
    Batch.objects.filter(pk=image.batch_id).update(done_count=F("done_count") + 1)
    image.state = Image.State.NO_OBJECTS


def build_dataset(project: Project, *, manager, annotator, reviewer) -> Dataset:
    car = project.label_classes.get(name="car")
    person = project.label_classes.get(name="person")
    sign = LabelClass.objects.create(project=project, name="traffic light & <sign>", colour="#2ca02c", key=3)
    boxes: dict[int, list] = {}

    def box(image: Image, label_class: LabelClass, x, y, w, h) -> None:
        annotate(image, label_class, author=annotator, box=(x, y, w, h))
        boxes.setdefault(image.pk, []).append((label_class.pk, x, y, w, h))

    street = workflow.create_batch(
        actor=manager,
        project=project,
        name="Street-01",
        images=[*stored_image_rows(project, 4), exif_rotated_row(project)],
    )
    night = workflow.create_batch(actor=manager, project=project, name="Night-01", images=stored_image_rows(project, 3))
    pending = workflow.create_batch(
        actor=manager, project=project, name="Review-01", images=stored_image_rows(project, 2)
    )
    dataset = Dataset(project=project, batches=[], review_batch=pending, images=[], boxes=boxes)

    def label_street(batch: Batch) -> None:
        first, blank, edge, whole, rotated = Image.objects.filter(batch=batch).order_by("pk")
        box(first, car, 2, 3, 20, 10.5)
        box(first, person, 30.25, 5, 12.5, 40)
        mark_no_objects(blank)
        box(edge, car, 40, 30, 24, 18)  # touches the right and bottom edges
        box(whole, person, 0, 0, 64, 48)
        # Inside the upright 48×64 picture, but outside the sideways 64×48 pixels of the file.
        box(rotated, car, 5, 40, 30, 20)
        dataset.no_objects, dataset.rotated = blank, rotated

    def label_night(batch: Batch) -> None:
        lit, tiny, untouched = Image.objects.filter(batch=batch).order_by("pk")
        box(lit, sign, 10, 10, 5, 5)
        box(lit, car, 20.5, 12.75, 30, 20)
        box(tiny, car, 1, 1, 1, 1)
        dataset.never_annotated = untouched

    def label_pending(batch: Batch) -> None:
        for image in Image.objects.filter(batch=batch):
            annotate(image, car, author=annotator, box=(1, 1, 5, 5))

    people = {"manager": manager, "annotator": annotator, "reviewer": reviewer}
    dataset.batches = [
        to_dataset(street, label=label_street, **people),
        to_dataset(night, label=label_night, **people),
    ]
    pending = workflow.assign(actor=manager, batch=pending, assignees=[annotator]).assigned[0]
    label_pending(pending)
    dataset.review_batch = workflow.submit(actor=annotator, batch=pending)
    dataset.images = list(Image.objects.filter(batch__in=dataset.batches).order_by("batch_id", "pk"))
    return dataset


def export_bytes(project: Project, **options) -> bytes:
    return b"".join(prepare_export(project, ExportOptions(**options)).stream())


def export_zip(project: Project, **options) -> zipfile.ZipFile:
    archive = zipfile.ZipFile(io.BytesIO(export_bytes(project, **options)))
    assert archive.testzip() is None
    return archive
