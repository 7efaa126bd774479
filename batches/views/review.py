"""The review workspace: server-rendered pages and plain forms (htmx only swaps the flag panel), so it
works without JavaScript. A reviewer walks through a batch in Review, flags images with a note, and
approves or rejects it.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import trigger_client_event

from accounts.calendars import isolate

from .. import annotating, workflow
from ..access import get_batch_for
from ..models import Batch, Image
from ..params import MAX_TEXT, clean_text
from ..relabel_diff import compare
from ..rules import may_annotate, may_review
from ..workflow import WorkflowError
from .workspace import (
    STRIP_PAGE,
    board_url_of,
    canvas_text,
    image_of,
    note_opened,
    offset_param,
    posted_version,
    render_strip,
    review_text,
    strip_context,
)

FLAGGED_LISTED = 20


def _review_context(request, batch: Batch, image: Image) -> dict:
    previous, following = annotating.neighbours(batch, image, flagged_first=False)
    boxes = list(image.annotations.select_related("label_class").order_by("id"))
    # rework (#19): a relabelled batch's review shows what changed against the previous version
    before = list(image.suggestions.filter(previous=True).select_related("label_class").order_by("id"))
    return {
        "image": image,
        "boxes": boxes,
        "diff": compare(before, boxes) if before else None,
        "previous": previous,
        "following": following,
        "position": annotating.position_of(batch, image, flagged_first=False) + 1,
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


@require_safe
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
    note_opened(request.session, batch, image.pk)
    details = _review_context(request, batch, image)
    if request.htmx and not request.htmx.history_restore_request:
        # Next and previous from the page: only the image's parts, swapped in without a reload.
        response = render(request, "batches/review.html#image_parts", {**context, **details})
        patch_vary_headers(response, ["HX-Request"])
        return response
    offset = offset_param(request)
    if offset is None:
        offset = (details["position"] - 1) // STRIP_PAGE * STRIP_PAGE
    response = render(
        request,
        "batches/review.html",
        {
            **context,
            **strip_context(batch, mode="review", current_pk=image.pk, offset=offset),
            **details,
            **_flag_summary(batch),
            "mode": "workspace",
            "canvas_text": canvas_text(),
            "review_text": review_text(),
            "self_review_blocked": not batch.project.allow_self_review and batch.assignee_id == request.user.pk,
        },
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_safe
@login_required
def review_strip(request, project_pk: int, pk: int):
    batch, _membership = get_batch_for(request.user, project_pk, pk)
    return render_strip(request, batch, mode="review")


@require_POST
@login_required
def review_flag(request, project_pk: int, pk: int, image_pk: int):
    batch, membership = get_batch_for(request.user, project_pk, pk, perm="review_project")
    image = image_of(batch, image_pk)
    choice = request.POST.get("flagged")
    error = None
    try:
        if choice not in ("0", "1"):
            raise WorkflowError(_("Flag the image or remove its flag."), kind=WorkflowError.INVALID)
        note = clean_text(request.POST.get("note"), max_length=MAX_TEXT, multiline=True)
        image = annotating.flag_image(
            actor=request.user, image=image, flagged=choice == "1", note=note, membership=membership
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
    name = {"name": image.original_name}
    text = _("Flagged %(name)s.") % name if image.review_flag else _("Removed the flag from %(name)s.") % name
    return trigger_client_event(response, "showMessage", {"text": text, "level": "success"})


@require_POST
@login_required
def review_approve(request, project_pk: int, pk: int):
    batch, membership = get_batch_for(request.user, project_pk, pk, perm="review_project")
    batch = posted_version(request, batch)
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
    messages.success(request, _("“%(name)s” was approved and is in the Dataset now.") % {"name": isolate(batch.name)})
    return redirect(board_url_of(batch))


@require_POST
@login_required
def review_reject(request, project_pk: int, pk: int):
    batch, _membership = get_batch_for(request.user, project_pk, pk, perm="review_project")
    batch = posted_version(request, batch)
    try:
        comment = clean_text(request.POST.get("comment"), max_length=MAX_TEXT, multiline=True)
        batch = workflow.reject(actor=request.user, batch=batch, comment=comment, project=batch.project)
    except WorkflowError as exc:
        messages.error(request, exc.message)
        return redirect("review", batch.project_id, batch.pk)
    messages.success(
        request,
        _("“%(name)s” went back to %(assignee)s with your comment.")
        % {"name": isolate(batch.name), "assignee": isolate(batch.assignee.username)},
    )
    return redirect(board_url_of(batch))
