"""The annotate workspace (assignee or manager, batch in Annotating) and the review workspace.

Annotate: a page, a small JSON API (one image's data; save one image's whole box list) and the
image strip, loaded a page at a time. Review: server-rendered pages and plain forms (htmx only
swaps the flag panel), so it works without JavaScript.
"""

from __future__ import annotations

import json
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from .. import annotating, workflow
from ..access import get_batch_for
from ..models import Batch, Image
from ..params import parse_id
from ..rules import Membership, may_annotate, may_review
from ..workflow import WorkflowError

STRIP_PAGE = 50
FLAGGED_LISTED = 20
ERROR_STATUS = {
    WorkflowError.INVALID: 400,
    WorkflowError.FORBIDDEN: 403,
    WorkflowError.REFUSED: 409,
    WorkflowError.STALE: 409,
}


# --- helpers ---------------------------------------------------------------------------------------


def json_view(view):
    """JSON endpoints answer JSON, also for a lost session, a non-member or a refused save."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            message = "You are signed out. Sign in again in another tab, then retry; your change is kept."
            return JsonResponse({"error": message, "kind": "signed_out"}, status=401)
        try:
            return view(request, *args, **kwargs)
        except Http404 as exc:
            return JsonResponse({"error": str(exc) or "Not found.", "kind": "not_found"}, status=404)
        except PermissionDenied as exc:
            message = str(exc) or "You do not have permission to do that."
            return JsonResponse({"error": message, "kind": "forbidden"}, status=403)
        except WorkflowError as exc:
            return JsonResponse({"error": exc.message, "kind": exc.kind}, status=ERROR_STATUS[exc.kind])

    return wrapper


def _annotatable_batch(request: HttpRequest, project_pk: int, pk: int) -> tuple[Batch, Membership]:
    batch, membership = get_batch_for(request.user, project_pk, pk)
    if not may_annotate(membership, batch):
        raise PermissionDenied(_("Only the batch's assignee or a manager can annotate it."))
    return batch, membership


def _image_of(batch: Batch, image_pk: int) -> Image:
    try:
        image = Image.objects.get(pk=image_pk, batch=batch)
    except Image.DoesNotExist:
        raise Http404(f"That image is not in “{batch.name}”.") from None
    image.batch = batch
    image.project = batch.project
    return image


def _box_json(annotation) -> dict:
    return {
        "label_class": annotation.label_class_id,
        "x": annotation.x,
        "y": annotation.y,
        "w": annotation.w,
        "h": annotation.h,
    }


def _link(batch: Batch, image: Image | None) -> dict | None:
    if image is None:
        return None
    return {
        "id": image.pk,
        "data_url": reverse("annotate_image", args=[batch.project_id, batch.pk, image.pk]),
        "file_url": reverse("image_file", args=[image.pk]),
    }


def _image_data(batch: Batch, image: Image) -> dict:
    """Everything the editor needs about one image: five queries whatever the batch size."""
    previous, following = annotating.neighbours(batch, image)
    return {
        **_link(batch, image),
        "save_url": reverse("annotate_save", args=[batch.project_id, batch.pk, image.pk]),
        "page_url": f"{reverse('annotate', args=[batch.project_id, batch.pk])}?image={image.pk}",
        "name": image.original_name,
        "width": image.width,
        "height": image.height,
        "state": image.state,
        "flagged": image.review_flag,
        "note": image.review_note,
        "boxes": [_box_json(a) for a in image.annotations.order_by("id")],
        "position": annotating.position_of(batch, image) + 1,
        "total": batch.image_count,
        "prev": _link(batch, previous),
        "next": _link(batch, following),
    }


def _strip_context(batch: Batch, *, mode: str, current_pk: int | None, offset: int, end: int | None = None):
    """One page of the image strip: never the whole batch, a batch of 2,000 reads 50 rows like a batch of 20."""
    flagged_first = mode == "annotate"
    stop = offset + STRIP_PAGE if end is None else min(end, offset + STRIP_PAGE)
    rows = list(
        annotating.ordered_images(batch, flagged_first=flagged_first).only(
            "id", "original_name", "state", "review_flag", "review_note", "batch_id"
        )[offset : stop + 1]
    )
    more = end is None and len(rows) > stop - offset
    items = rows[: stop - offset]
    workspace = "annotate" if flagged_first else "review"
    return {
        "project": batch.project,
        "batch": batch,
        "items": items,
        "mode": mode,
        "current_pk": current_pk,
        "workspace_url": reverse(workspace, args=[batch.project_id, batch.pk]),
        "strip_url": reverse(f"{workspace}_strip", args=[batch.project_id, batch.pk]),
        "offset": offset,
        "next_offset": stop if more else None,
        "earlier_offset": max(0, offset - STRIP_PAGE) if offset > 0 else None,
    }


def _offset(request, name: str = "offset") -> int | None:
    return parse_id(request.GET.get(name, ""))


def _board_url(batch: Batch) -> str:
    return reverse("board", args=[batch.project_id])


def _posted_version(request, batch: Batch) -> Batch:
    """The batch as the user saw it: its version from the form is the compare-and-set guard."""
    # A request that does not say which version it saw never acts on the batch as it is now:
    # version 0 matches no batch, so the move is refused as stale and changes nothing.
    batch.version = parse_id(request.POST.get("version", "")) or 0
    return batch


# --- annotate --------------------------------------------------------------------------------------


@require_GET
@login_required
def annotate(request, project_pk: int, pk: int):
    batch, membership = _annotatable_batch(request, project_pk, pk)
    context = {"project": batch.project, "membership": membership, "batch": batch}
    if batch.status != Batch.Status.ANNOTATING:
        return render(request, "batches/annotate.html", {**context, "mode": "closed"})
    image = annotating.start_image(batch, request.GET.get("image"))
    if image is None:
        return render(request, "batches/annotate.html", {**context, "mode": "empty"})
    data = _image_data(batch, image)
    offset = _offset(request)
    if offset is None:
        offset = (data["position"] - 1) // STRIP_PAGE * STRIP_PAGE
    classes = list(batch.project.label_classes.all())
    config = {
        "image": data,
        "classes": [{"id": c.pk, "name": c.name, "colour": c.colour, "key": c.key} for c in classes],
        "progress": {"done": batch.done_count, "total": batch.image_count},
    }
    return render(
        request,
        "batches/annotate.html",
        {
            **context,
            **_strip_context(batch, mode="annotate", current_pk=image.pk, offset=offset),
            "mode": "workspace",
            "image": image,
            "data": data,
            "classes": classes,
            "config": config,
            "flagged": annotating.flagged_count(batch) if batch.rejection_count else 0,
        },
    )


@require_GET
@json_view
def annotate_image(request, project_pk: int, pk: int, image_pk: int):
    batch, _membership = _annotatable_batch(request, project_pk, pk)
    image = _image_of(batch, image_pk)
    return JsonResponse({"image": _image_data(batch, image), "batch_status": batch.status})


@require_POST
@json_view
def annotate_save(request, project_pk: int, pk: int, image_pk: int):
    batch, membership = _annotatable_batch(request, project_pk, pk)
    image = _image_of(batch, image_pk)
    try:
        payload = json.loads(request.body)
    except (ValueError, RequestDataTooBig):
        raise WorkflowError("The request is not valid JSON; nothing was saved.", kind=WorkflowError.INVALID) from None
    if not isinstance(payload, dict) or "boxes" not in payload:
        raise WorkflowError("Send an object with a “boxes” list; nothing was saved.", kind=WorkflowError.INVALID)
    result = annotating.save_annotations(
        actor=request.user,
        image=image,
        boxes=payload["boxes"],
        no_objects=payload.get("no_objects", False),
        membership=membership,
    )
    return JsonResponse(
        {
            "image": {
                "id": image.pk,
                "state": result.image.state,
                "boxes": [_box_json(a) for a in result.annotations],
            },
            "progress": {"done": result.done_count, "total": result.image_count},
        }
    )


@require_GET
@login_required
def annotate_strip(request, project_pk: int, pk: int):
    batch, _membership = _annotatable_batch(request, project_pk, pk)
    return _render_strip(request, batch, mode="annotate")


def _render_strip(request, batch: Batch, *, mode: str):
    current = request.GET.get("current")
    context = _strip_context(
        batch,
        mode=mode,
        current_pk=parse_id(current),
        offset=_offset(request) or 0,
        end=_offset(request, "end"),
    )
    return render(request, "batches/annotate.html#strip_page", context)


@require_POST
@login_required
def annotate_submit(request, project_pk: int, pk: int):
    batch, membership = _annotatable_batch(request, project_pk, pk)
    batch = _posted_version(request, batch)
    undone = batch.image_count - batch.done_count
    if undone and request.POST.get("confirm") != "1" and batch.status == Batch.Status.ANNOTATING:
        context = {
            "project": batch.project,
            "membership": membership,
            "batch": batch,
            "mode": "confirm_submit",
            "undone": undone,
        }
        return render(request, "batches/annotate.html", context)
    try:
        batch = workflow.submit(actor=request.user, batch=batch, project=batch.project)
    except WorkflowError as exc:
        messages.error(request, exc.message)
        return redirect("annotate", batch.project_id, batch.pk)
    messages.success(request, f"“{batch.name}” was submitted and is in {batch.get_status_display()} now.")
    return redirect(_board_url(batch))


# --- review ----------------------------------------------------------------------------------------


def _review_context(request, batch: Batch, image: Image) -> dict:
    previous, following = annotating.neighbours(batch, image, flagged_first=False)
    # Sizes in image pixels, so labels and lines read about the same on screen whatever the image size.
    label_size = max(12, round(max(image.width, image.height) / 55))
    stroke = max(2, round(max(image.width, image.height) / 400))
    boxes = list(image.annotations.select_related("label_class").order_by("id"))
    chip = round(label_size * 1.45)
    for box in boxes:
        # A chip with the class name above the box, or inside its top edge when there is no room above.
        box.chip_y = box.y - chip if box.y >= chip else box.y
        box.chip_w = round((len(box.label_class.name) * 0.62 + 0.9) * label_size)
        box.text_x = box.x + round(label_size * 0.45)
        box.text_y = box.chip_y + round(label_size * 1.08)
    return {
        "image": image,
        "boxes": boxes,
        "previous": previous,
        "following": following,
        "position": annotating.position_of(batch, image, flagged_first=False) + 1,
        "label_size": label_size,
        "chip": chip,
        "stroke": stroke,
    }


def _flag_summary(batch: Batch) -> dict:
    """The first flagged images with their notes, and how many there are: two queries at most."""
    flagged = list(
        annotating.ordered_images(batch, flagged_first=False)
        .filter(review_flag=True)
        .only("id", "original_name", "review_note")[: FLAGGED_LISTED + 1]
    )
    total = annotating.flagged_count(batch) if len(flagged) > FLAGGED_LISTED else len(flagged)
    return {"flagged": flagged[:FLAGGED_LISTED], "flagged_total": total}


@require_GET
@login_required
def review(request, project_pk: int, pk: int):
    batch, membership = get_batch_for(request.user, project_pk, pk)
    context = {
        "project": batch.project,
        "membership": membership,
        "batch": batch,
        "can_review": may_review(membership, batch),
    }
    if batch.status != Batch.Status.REVIEW:
        can_annotate = may_annotate(membership, batch)
        return render(request, "batches/review.html", {**context, "mode": "closed", "can_annotate": can_annotate})
    image = annotating.start_image(batch, request.GET.get("image"), for_review=True)
    if image is None:
        return render(request, "batches/review.html", {**context, "mode": "empty"})
    image.batch, image.project = batch, batch.project
    details = _review_context(request, batch, image)
    offset = _offset(request)
    if offset is None:
        offset = (details["position"] - 1) // STRIP_PAGE * STRIP_PAGE
    return render(
        request,
        "batches/review.html",
        {
            **context,
            **_strip_context(batch, mode="review", current_pk=image.pk, offset=offset),
            **details,
            **_flag_summary(batch),
            "mode": "workspace",
            "self_review_blocked": not batch.project.allow_self_review and batch.assignee_id == request.user.pk,
        },
    )


@require_GET
@login_required
def review_strip(request, project_pk: int, pk: int):
    batch, _membership = get_batch_for(request.user, project_pk, pk)
    return _render_strip(request, batch, mode="review")


@require_POST
@login_required
def review_flag(request, project_pk: int, pk: int, image_pk: int):
    batch, membership = get_batch_for(request.user, project_pk, pk, perm="review_project")
    image = _image_of(batch, image_pk)
    flagged = request.POST.get("flagged") == "1"
    error = None
    try:
        image = annotating.flag_image(
            actor=request.user, image=image, flagged=flagged, note=request.POST.get("note"), membership=membership
        )
    except WorkflowError as exc:
        error = exc.message
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(f"{reverse('review', args=[batch.project_id, batch.pk])}?image={image.pk}")
    context = {
        "project": batch.project,
        "membership": membership,
        "batch": batch,
        "image": image,
        "can_review": True,
        "workspace_url": reverse("review", args=[batch.project_id, batch.pk]),
        **_flag_summary(batch),
    }
    response = render(request, "batches/review.html#flag_response", context)
    if error:
        return trigger_client_event(response, "showMessage", {"text": error, "level": "error"})
    text = f"Flagged {image.original_name}." if image.review_flag else f"Removed the flag from {image.original_name}."
    return trigger_client_event(response, "showMessage", {"text": text, "level": "success"})


@require_POST
@login_required
def review_approve(request, project_pk: int, pk: int):
    batch, membership = get_batch_for(request.user, project_pk, pk, perm="review_project")
    batch = _posted_version(request, batch)
    flagged = annotating.flagged_count(batch)
    if flagged and request.POST.get("confirm") != "1" and batch.status == Batch.Status.REVIEW:
        context = {
            "project": batch.project,
            "membership": membership,
            "batch": batch,
            "mode": "confirm_approve",
            "flagged_total": flagged,
        }
        return render(request, "batches/review.html", context)
    try:
        batch = workflow.approve(actor=request.user, batch=batch, project=batch.project)
    except WorkflowError as exc:
        messages.error(request, exc.message)
        return redirect("review", batch.project_id, batch.pk)
    messages.success(request, f"“{batch.name}” was approved and is in the Dataset now.")
    return redirect(_board_url(batch))


@require_POST
@login_required
def review_reject(request, project_pk: int, pk: int):
    batch, _membership = get_batch_for(request.user, project_pk, pk, perm="review_project")
    batch = _posted_version(request, batch)
    try:
        batch = workflow.reject(
            actor=request.user, batch=batch, comment=request.POST.get("comment", ""), project=batch.project
        )
    except WorkflowError as exc:
        messages.error(request, exc.message)
        return redirect("review", batch.project_id, batch.pk)
    messages.success(request, f"“{batch.name}” went back to {batch.assignee.username} with your comment.")
    return redirect(_board_url(batch))
