"""The annotate workspace (assignee or manager, batch in Annotating): a page, a small JSON API (one
image's data; save one image's whole box list) and the image strip, loaded a page at a time.

The review workspace lives in views/review.py; what both share, in views/workspace.py.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.calendars import isolate

from .. import annotating, workflow
from ..access import get_batch_for
from ..models import Batch, Image
from ..params import JsonBodyError, parse_id, parse_json_body
from ..rules import Membership, may_annotate
from ..workflow import WorkflowError
from .workspace import (
    STRIP_PAGE,
    board_url_of,
    editor_text,
    image_of,
    offset_param,
    posted_version,
    render_strip,
    strip_context,
)

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
            message = _("You are signed out. Sign in again in another tab, then retry; your change is kept.")
            return JsonResponse({"error": message, "kind": "signed_out"}, status=401)
        try:
            return view(request, *args, **kwargs)
        except Http404 as exc:
            return JsonResponse({"error": str(exc) or _("Not found."), "kind": "not_found"}, status=404)
        except PermissionDenied as exc:
            message = str(exc) or _("You do not have permission to do that.")
            return JsonResponse({"error": message, "kind": "forbidden"}, status=403)
        except WorkflowError as exc:
            return JsonResponse({"error": exc.message, "kind": exc.kind}, status=ERROR_STATUS[exc.kind])

    wrapper.answers_json = True  # binaboard.errors answers JSON for whatever escapes it (a 500, a CSRF refusal)
    return wrapper


def _annotatable_batch(request: HttpRequest, project_pk: int, pk: int) -> tuple[Batch, Membership]:
    batch, membership = get_batch_for(request.user, project_pk, pk)
    if not may_annotate(membership, batch):
        raise PermissionDenied(_("Only the batch's assignee or a manager can annotate it."))
    return batch, membership


def _batch_for_open_workspace(request: HttpRequest, project_pk: int, pk: int, seen) -> tuple[Batch, Membership]:
    """As _annotatable_batch, but a workspace opened before a reset or reassign (`seen`: the batch version it
    loaded) is told who changed the batch, how and when, instead of only "not allowed"."""
    batch, membership = get_batch_for(request.user, project_pk, pk)
    if not may_annotate(membership, batch):
        seen = parse_id(seen)
        if seen is not None and seen != batch.version:
            raise workflow.changed_under_workspace(batch)
        raise PermissionDenied(_("Only the batch's assignee or a manager can annotate it."))
    return batch, membership


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
        # rework (#19): the previous version's boxes of a relabelled batch, to accept, adjust or delete
        "suggestions": [_box_json(a) for a in image.suggestions.filter(previous=False).order_by("id")],
        "position": annotating.position_of(batch, image) + 1,
        "total": batch.image_count,
        "prev": _link(batch, previous),
        "next": _link(batch, following),
    }


# --- annotate --------------------------------------------------------------------------------------


@require_safe
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
    offset = offset_param(request)
    if offset is None:
        offset = (data["position"] - 1) // STRIP_PAGE * STRIP_PAGE
    classes = list(batch.project.label_classes.all())
    config = {
        "text": {
            "restored": _("Your unsaved change to this image was kept in this browser and is being saved now."),
        },
        "image": data,
        "classes": [{"id": c.pk, "name": c.name, "colour": c.colour, "key": c.key} for c in classes],
        "progress": {"done": batch.done_count, "total": batch.image_count},
    }
    return render(
        request,
        "batches/annotate.html",
        {
            **context,
            **strip_context(batch, mode="annotate", current_pk=image.pk, offset=offset),
            "mode": "workspace",
            "image": image,
            "data": data,
            "classes": classes,
            "config": config,
            "flagged": annotating.flagged_count(batch) if batch.rejection_count else 0,
            "editor_text": editor_text(),
        },
    )


@require_safe
@json_view
def annotate_image(request, project_pk: int, pk: int, image_pk: int):
    batch, _membership = _batch_for_open_workspace(request, project_pk, pk, request.GET.get("version"))
    image = image_of(batch, image_pk)
    # The version lets a workspace whose save was refused copy its edits onto the batch as it is now.
    return JsonResponse(
        {"image": _image_data(batch, image), "batch_status": batch.status, "batch_version": batch.version}
    )


@require_POST
@json_view
def annotate_save(request, project_pk: int, pk: int, image_pk: int):
    # The version the workspace loaded comes in the query string, so a refusal is explained before the body is read.
    batch, membership = _batch_for_open_workspace(request, project_pk, pk, request.GET.get("version"))
    image = image_of(batch, image_pk)
    try:
        payload = parse_json_body(request.body)
    except RequestDataTooBig:
        raise WorkflowError(_("The request is too large; nothing was saved."), kind=WorkflowError.INVALID) from None
    except JsonBodyError as exc:
        raise WorkflowError(_("%(reason)s Nothing was saved.") % {"reason": exc}, kind=WorkflowError.INVALID) from None
    if not isinstance(payload, dict) or "boxes" not in payload:
        raise WorkflowError(_("Send an object with a “boxes” list; nothing was saved."), kind=WorkflowError.INVALID)
    result = annotating.save_annotations(
        actor=request.user,
        image=image,
        boxes=payload["boxes"],
        no_objects=payload.get("no_objects", False),
        membership=membership,
        suggestions=payload.get("suggestions"),  # rework (#19)
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


@require_safe
@login_required
def annotate_strip(request, project_pk: int, pk: int):
    batch, _membership = _annotatable_batch(request, project_pk, pk)
    return render_strip(request, batch, mode="annotate")


@require_POST
@login_required
def annotate_submit(request, project_pk: int, pk: int):
    batch, membership = _annotatable_batch(request, project_pk, pk)
    batch = posted_version(request, batch)
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
    messages.success(
        request,
        _("“%(name)s” was submitted and is in %(column)s now.")
        % {"name": isolate(batch.name), "column": batch.get_status_display()},
    )
    return redirect(board_url_of(batch))
