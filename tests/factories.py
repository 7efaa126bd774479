"""Small builders for tests: rows only, no files, unless a test asks for real images."""

from __future__ import annotations

import hashlib
import io
import itertools

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from PIL import Image as PILImage

from batches import workflow
from batches.models import Annotation, Batch, Image, LabelClass, Project

_seq = itertools.count(1)


def make_user(username: str, password: str = "correct-horse-battery", **extra):
    User = get_user_model()
    return User.objects.create_user(username=username, email=f"{username}@example.com", password=password, **extra)


def make_project(name: str = "Project", **extra) -> Project:
    """A project with two classes. Annotators see the whole board unless a test asks for
    annotator_visibility="assigned" (the default of projects made through the app)."""
    extra.setdefault("annotator_visibility", Project.AnnotatorVisibility.BOARD)
    project = Project.objects.create(name=name, **extra)
    LabelClass.objects.create(project=project, name="car", colour="#1f77b4", key=1)
    LabelClass.objects.create(project=project, name="person", colour="#d62728", key=2)
    return project


def image_rows(n: int, width: int = 640, height: int = 480) -> list[Image]:
    """Unsaved Image rows with unique hashes and no stored files (for workflow tests)."""
    rows = []
    for _ in range(n):
        i = next(_seq)
        rows.append(
            Image(
                file=f"test/{i}.jpg",
                width=width,
                height=height,
                sha256=hashlib.sha256(str(i).encode()).hexdigest(),
                original_name=f"img_{i:05d}.jpg",
            )
        )
    return rows


def make_batch(project: Project, actor, images: int = 10, name: str | None = None) -> Batch:
    """A new Unassigned batch made the way uploads make them: through workflow.create_batch."""
    return workflow.create_batch(
        actor=actor, project=project, name=name or f"Batch {next(_seq)}", images=image_rows(images)
    )


def jpeg_bytes(width: int = 64, height: int = 48, colour=(200, 80, 40)) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def stored_image_rows(project: Project, n: int, width: int = 64, height: int = 48) -> list[Image]:
    """Unsaved Image rows whose files (and thumbnails) really exist in the default storage."""
    rows = []
    for _ in range(n):
        i = next(_seq)
        data = jpeg_bytes(width, height, colour=(i * 37 % 256, i * 91 % 256, i * 53 % 256))
        image = Image(
            project=project,
            width=width,
            height=height,
            sha256=hashlib.sha256(data + str(i).encode()).hexdigest(),
            original_name=f"photo_{i}.jpg",
        )
        image.file.save(f"{i}.jpg", ContentFile(data), save=False)
        image.thumbnail.save(f"{i}.jpg", ContentFile(data), save=False)
        rows.append(image)
    return rows


def annotate(image: Image, label_class: LabelClass, author=None, box=(1, 1, 10, 10)) -> Annotation:
    """An annotation row plus the image's state and its batch's done count, as an annotation save keeps them."""
    x, y, w, h = box
    annotation = Annotation.objects.create(image=image, label_class=label_class, x=x, y=y, w=w, h=h, author=author)
    if image.state == Image.State.NEW:
        Image.objects.filter(pk=image.pk).update(state=Image.State.ANNOTATED)
        image.state = Image.State.ANNOTATED
        from django.db.models import F

        Batch.objects.filter(pk=image.batch_id).update(done_count=F("done_count") + 1)
    return annotation


def batch_in(status: str, project, *, manager, annotator=None, reviewer=None, images: int = 10, name=None) -> Batch:
    """A new batch moved through the workflow (never written directly) into `status`."""
    batch = make_batch(project, manager, images=images, name=name)
    if status == Batch.Status.UNASSIGNED:
        return batch
    batch = workflow.assign(actor=manager, batch=batch, assignees=[annotator]).assigned[0]
    if status == Batch.Status.ANNOTATING:
        return batch
    batch = workflow.submit(actor=manager, batch=batch)
    if status == Batch.Status.REVIEW or batch.status == status:
        return batch
    return workflow.approve(actor=reviewer, batch=batch)
