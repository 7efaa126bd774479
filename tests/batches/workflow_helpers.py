"""Shared steps for the workflow tests: put a batch in a column the way people do, and photograph the database."""

from __future__ import annotations

from batches.models import Annotation, Batch, BatchEvent, Image
from tests.factories import annotate, batch_in  # noqa: F401  (batch_in re-exported: the tests import it from here)

Status = Batch.Status


def annotate_some(batch: Batch, author, n: int) -> list[Annotation]:
    """One box on each of the batch's first n images."""
    label = batch.project.label_classes.first()
    return [annotate(image, label, author=author) for image in Image.objects.filter(batch=batch).order_by("pk")[:n]]


def fresh(batch: Batch) -> Batch:
    return Batch.objects.get(pk=batch.pk)


def image_ids(batch: Batch) -> set[int]:
    return set(Image.objects.filter(batch=batch).values_list("pk", flat=True))


def database_state() -> dict:
    """Everything a move could touch, so a refused move can be shown to have changed nothing."""
    return {
        "batches": list(
            Batch.objects.order_by("pk").values_list(
                "pk",
                "project_id",
                "name",
                "status",
                "assignee_id",
                "position",
                "image_count",
                "done_count",
                "version",
                "review_comment",
                "rejection_count",
                "split_from_id",
            )
        ),
        "images": list(Image.objects.order_by("pk").values_list("pk", "batch_id", "state", "review_flag")),
        "annotations": list(Annotation.objects.order_by("pk").values_list("pk", "image_id")),
        "events": list(BatchEvent.objects.order_by("pk").values_list("pk", flat=True)),
    }


def new_events(before: int) -> list[BatchEvent]:
    return list(BatchEvent.objects.filter(pk__gt=before).order_by("pk"))


def last_event_id() -> int:
    return BatchEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
