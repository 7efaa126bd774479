"""Annotations: read an image's boxes, replace them (the workspace's save, its validation), flag in review."""

from __future__ import annotations

from typing import Any

from ninja import Router, Schema

from .. import annotating, workflow
from ..models import Annotation
from ..params import clean_text
from .common import image_for, image_json
from .types import Count, StrictBool, Text

router = Router(tags=["annotations"])


class BoxesIn(Schema):
    boxes: list[Any]
    no_objects: Any = False
    version: Count | None = None  # the batch version you saw: a batch moved since answers 409


class FlagIn(Schema):
    flagged: StrictBool
    note: Text = ""


def box_json(annotation: Annotation) -> dict:
    return {
        "id": annotation.pk,
        "label_class": annotation.label_class_id,
        "x": annotation.x,
        "y": annotation.y,
        "w": annotation.w,
        "h": annotation.h,
        "author": annotation.author.username if annotation.author else None,
    }


def _answer(image) -> dict:
    boxes = Annotation.objects.filter(image=image).select_related("author").order_by("pk")
    return {**image_json(image), "boxes": [box_json(a) for a in boxes]}


@router.get("/{int:project_pk}/images/{int:image_pk}/annotations", summary="Read an image's boxes")
def read_annotations(request, project_pk: int, image_pk: int):
    image, _member = image_for(request, project_pk, image_pk)
    return _answer(image)


@router.put("/{int:project_pk}/images/{int:image_pk}/annotations", summary="Replace an image's boxes")
def save_annotations(request, project_pk: int, image_pk: int, payload: BoxesIn):
    image, member = image_for(request, project_pk, image_pk)
    batch = image.batch
    if payload.version is not None and payload.version != batch.version:
        raise workflow.changed_under_workspace(batch)
    result = annotating.save_annotations(
        actor=request.user, image=image, boxes=payload.boxes, no_objects=payload.no_objects, membership=member
    )
    return {**_answer(result.image), "progress": {"done": result.done_count, "total": result.image_count}}


@router.put("/{int:project_pk}/images/{int:image_pk}/flag", summary="Flag an image in review (reviewers)")
def flag(request, project_pk: int, image_pk: int, payload: FlagIn):
    image, member = image_for(request, project_pk, image_pk)
    note = clean_text(payload.note, max_length=None, multiline=True)
    flagged = annotating.flag_image(
        actor=request.user, image=image, flagged=payload.flagged, note=note, membership=member
    )
    return image_json(flagged)
