"""The viewer: every batch in every column, with its boxes, for every member who may see the batch.

A gallery of the batch's images (boxes drawn over each thumbnail as server-rendered SVG), filtered by class,
by "no objects", "not annotated" or "flagged", and a full-size read-only view of one image from there. Both
pages read a fixed number of rows whatever the batch's size (tests/batches/test_viewer_view.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import QueryDict
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from ..access import get_batch_for
from ..models import Annotation, Batch, Image
from ..params import parse_id
from .workspace import canvas_text, image_of

GALLERY_PAGE = 48
SHOW_CHOICES = {
    "": _("All images"),
    "annotated": _("With boxes"),
    "no_objects": _("Marked “no objects”"),
    "new": _("Not annotated"),
    "flagged": _("Flagged in review"),
}


@dataclass(frozen=True)
class GalleryFilter:
    label_class: int | None
    show: str

    @classmethod
    def read(cls, query: QueryDict, class_ids: set[int]) -> GalleryFilter:
        """Unknown classes and choices fall back to "all": a filter never turns a link into an error page."""
        label_class = parse_id(query.get("class", ""))
        show = query.get("show", "")
        return cls(label_class if label_class in class_ids else None, show if show in SHOW_CHOICES else "")

    def apply(self, images: QuerySet[Image]) -> QuerySet[Image]:
        if self.label_class is not None:
            images = images.filter(annotations__label_class_id=self.label_class).distinct()
        if self.show == "flagged":
            return images.filter(review_flag=True)
        if self.show:
            return images.filter(state=self.show)
        return images

    def query(self) -> str:
        parts = {"class": self.label_class or "", "show": self.show}
        return "&".join(f"{key}={value}" for key, value in parts.items() if value != "")


def _with_boxes(images: QuerySet[Image]) -> QuerySet[Image]:
    boxes = Annotation.objects.select_related("label_class").order_by("id")
    return images.prefetch_related(Prefetch("annotations", queryset=boxes, to_attr="boxes"))


def _images(batch: Batch, chosen: GalleryFilter) -> QuerySet[Image]:
    return chosen.apply(Image.objects.filter(batch=batch)).order_by("id")


def _render(
    request, batch: Batch, membership, mode: str, chosen: GalleryFilter, template="batches/viewer.html", **extra
):
    context = {"project": batch.project, "membership": membership, "batch": batch, "mode": mode, "chosen": chosen}
    return render(request, template, {**context, **extra})


def _opened(request, project_pk: int, pk: int):
    """The batch (404 for whoever may not see it), the person's membership, the classes and the filter chosen."""
    batch, membership = get_batch_for(request.user, project_pk, pk)
    classes = list(batch.project.label_classes.all())
    return batch, membership, classes, GalleryFilter.read(request.GET, {c.pk for c in classes})


@require_safe
@login_required
def batch_gallery(request, project_pk: int, pk: int):
    batch, membership, classes, chosen = _opened(request, project_pk, pk)
    page = Paginator(_with_boxes(_images(batch, chosen)), GALLERY_PAGE).get_page(parse_id(request.GET.get("page", "")))
    return _render(
        request, batch, membership, "gallery", chosen, classes=classes, show_choices=SHOW_CHOICES.items(), page=page
    )


@require_safe
@login_required
def batch_viewer(request, project_pk: int, pk: int, image_pk: int):
    batch, membership, _classes, chosen = _opened(request, project_pk, pk)
    image = image_of(batch, image_pk)
    boxes = list(image.annotations.select_related("label_class").order_by("id"))
    images = _images(batch, chosen)
    # Next and previous from the page ask with htmx: only the image's parts, swapped in without a reload.
    partial = bool(request.htmx) and not request.htmx.history_restore_request
    response = _render(
        request,
        batch,
        membership,
        "image",
        chosen,
        template="batches/viewer.html#image_parts" if partial else "batches/viewer.html",
        image=image,
        boxes=boxes,
        canvas_text=canvas_text(),
        previous=images.filter(id__lt=image.pk).order_by("-id").values_list("id", flat=True).first(),
        following=images.filter(id__gt=image.pk).values_list("id", flat=True).first(),
    )
    patch_vary_headers(response, ["HX-Request"])
    return response
