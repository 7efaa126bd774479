"""Annotation work on the images of a batch: saving boxes, "no objects", review flags.

The save protocol is the simplest robust one: the client sends the whole box list of ONE image and
the server replaces that image's annotations (delete + bulk_create) in one transaction, keeping
Image.state and Batch.done_count right on the way. The number of queries does not depend on the
number of boxes or on the size of the batch.

Locking: the image and its batch are read with FOR UPDATE inside the transaction. Every workflow
move locks the batch row the same way, so on PostgreSQL a save and a move never interleave; SQLite
takes its write lock at BEGIN (transaction_mode IMMEDIATE), which serialises them too. A save that
arrives after the batch left Annotating therefore sees the new status and is refused with nothing
written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.calendars import isolate

from .errors import WorkflowError
from .models import Annotation, Batch, Image, LabelClass, Suggestion
from .params import parse_id
from .rules import Membership, may_annotate, may_review

Status = Batch.Status
State = Image.State

MAX_BOXES = 500  # per image and per request: far above any honest image, far below a hostile payload
MAX_NOTE = 1000
MIN_SIZE = 1.0  # a box is at least one pixel wide and high
# Coordinates come from a browser as floats; allow rounding noise at the right and bottom edges.
EDGE_TOLERANCE = 1e-6
DONE_STATES = frozenset({State.ANNOTATED, State.NO_OBJECTS})
ACTIVITY_EVERY = timedelta(seconds=30)


@dataclass(frozen=True)
class Box:
    label_class_id: int
    x: float
    y: float
    w: float
    h: float


@dataclass
class SaveResult:
    image: Image
    annotations: list[Annotation]
    done_count: int
    image_count: int


# --- reading the batch's images in workspace order -------------------------------------------------
#
# The annotate workspace lists images flagged by review first (then by id), so after a rejection
# the annotator starts with what needs fixing. The review workspace keeps plain id order, so
# flagging an image never reshuffles what the reviewer is walking through.


def ordered_images(batch: Batch, *, flagged_first: bool = True) -> QuerySet[Image]:
    images = Image.objects.filter(batch=batch)
    return images.order_by("-review_flag", "id") if flagged_first else images.order_by("id")


def _after(image: Image, flagged_first: bool) -> Q:
    if not flagged_first:
        return Q(id__gt=image.pk)
    if image.review_flag:
        return Q(review_flag=True, id__gt=image.pk) | Q(review_flag=False)
    return Q(review_flag=False, id__gt=image.pk)


def _before(image: Image, flagged_first: bool) -> Q:
    if not flagged_first:
        return Q(id__lt=image.pk)
    if image.review_flag:
        return Q(review_flag=True, id__lt=image.pk)
    return Q(review_flag=True) | Q(review_flag=False, id__lt=image.pk)


def neighbours(batch: Batch, image: Image, *, flagged_first: bool = True) -> tuple[Image | None, Image | None]:
    """The previous and next image: two small indexed queries, whatever the batch size."""
    images = Image.objects.filter(batch=batch).only("id", "review_flag")
    backwards = ("review_flag", "-id") if flagged_first else ("-id",)
    forwards = ("-review_flag", "id") if flagged_first else ("id",)
    previous = images.filter(_before(image, flagged_first)).order_by(*backwards).first()
    following = images.filter(_after(image, flagged_first)).order_by(*forwards).first()
    return previous, following


def position_of(batch: Batch, image: Image, *, flagged_first: bool = True) -> int:
    """0-based index of `image` in workspace order."""
    return Image.objects.filter(batch=batch).filter(_before(image, flagged_first)).count()


def start_image(batch: Batch, wanted=None, *, for_review: bool = False) -> Image | None:
    """Where a workspace opens: the image asked for; else the first flagged one; else, to annotate,
    the first one not done yet; else the first."""
    images = Image.objects.filter(batch=batch)
    if wanted not in (None, ""):
        pk = parse_id(wanted)
        image = images.filter(pk=pk).first() if pk is not None else None
        if image is not None:
            return image
    first = ordered_images(batch).first()
    if first is None or first.review_flag:
        return first
    if for_review:
        return first
    return images.filter(state=State.NEW).order_by("id").first() or first


def flagged_count(batch: Batch) -> int:
    return Image.objects.filter(batch=batch, review_flag=True).count()


# --- saving ----------------------------------------------------------------------------------------


def _number(raw, what: str, where: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise WorkflowError(
            _("%(where)s: %(what)s must be a number.") % {"where": where, "what": what}, kind=WorkflowError.INVALID
        )
    try:
        value = float(raw)
    except OverflowError:  # a JSON integer with hundreds of digits
        value = math.inf
    if not math.isfinite(value):
        raise WorkflowError(
            _("%(where)s: %(what)s must be a finite number.") % {"where": where, "what": what},
            kind=WorkflowError.INVALID,
        )
    return value


def parse_boxes(raw, width: int, height: int) -> list[Box]:
    """Check a box list from the client against the image's upright size; refuse the whole list on any fault."""
    if not isinstance(raw, list):
        raise WorkflowError(_("“boxes” must be a list of boxes."), kind=WorkflowError.INVALID)
    if len(raw) > MAX_BOXES:
        raise WorkflowError(
            _("%(count)s boxes is more than the %(most)s one image may have; nothing was saved.")
            % {"count": len(raw), "most": MAX_BOXES},
            kind=WorkflowError.INVALID,
        )
    boxes = []
    for n, item in enumerate(raw, start=1):
        where = _("Box %(number)s") % {"number": n}
        if not isinstance(item, dict):
            raise WorkflowError(
                _("%(where)s is not an object with label_class, x, y, w, h.") % {"where": where},
                kind=WorkflowError.INVALID,
            )
        label = item.get("label_class")
        if parse_id(label) is None:
            raise WorkflowError(_("%(where)s: choose a label class.") % {"where": where}, kind=WorkflowError.INVALID)
        x, y, w, h = (_number(item.get(k), k, where) for k in ("x", "y", "w", "h"))
        if x < 0 or y < 0:
            raise WorkflowError(
                _("%(where)s starts outside the image (x and y must not be negative).") % {"where": where},
                kind=WorkflowError.INVALID,
            )
        if w < MIN_SIZE or h < MIN_SIZE:
            raise WorkflowError(
                _("%(where)s is too small: width and height must be at least 1 pixel.") % {"where": where},
                kind=WorkflowError.INVALID,
            )
        if x + w > width + EDGE_TOLERANCE or y + h > height + EDGE_TOLERANCE:
            raise WorkflowError(
                _("%(where)s reaches outside the image (%(width)s×%(height)s pixels).")
                % {"where": where, "width": width, "height": height},
                kind=WorkflowError.INVALID,
            )
        boxes.append(Box(label, x, y, min(w, width - x), min(h, height - y)))
    return boxes


def _membership(actor, project, membership: Membership | None) -> Membership:
    """The one the view read for this request, else read now."""
    if membership is not None and membership.user == actor and membership.project.pk == project.pk:
        return membership
    return Membership.read(actor, project)


def save_annotations(
    *, actor, image: Image, boxes, no_objects=False, membership: Membership | None = None, suggestions=None
) -> SaveResult:
    """Replace the image's boxes with `boxes` (or mark it as having no objects), in one transaction.

    `boxes` is the client's list of {label_class, x, y, w, h}. Queries, whatever the number of boxes
    or images: lock image+batch, check the classes, delete the old boxes, insert the new ones, and
    only when something changed: the image's state and the batch's done count.
    """
    membership = _membership(actor, image.project, membership)
    if not membership.is_member:
        raise WorkflowError(_("You are not a member of this project."), kind=WorkflowError.FORBIDDEN)
    if not isinstance(no_objects, bool):
        raise WorkflowError(_("“no_objects” must be true or false."), kind=WorkflowError.INVALID)
    boxes = parse_boxes(boxes, image.width, image.height)
    # rework (#19): the suggestions still open on this image (None: leave them as they are)
    suggested = None if suggestions is None else parse_boxes(suggestions, image.width, image.height)
    if no_objects and boxes:
        raise WorkflowError(
            _("An image with boxes cannot also be marked “no objects”; delete its boxes first."),
            kind=WorkflowError.INVALID,
        )

    with transaction.atomic():
        try:
            fresh = (
                Image.objects.select_for_update(of=("self", "batch"))
                .select_related("batch")
                .get(pk=image.pk, project_id=image.project_id)
            )
        except Image.DoesNotExist:
            raise WorkflowError(_("This image no longer exists."), kind=WorkflowError.STALE) from None
        batch = fresh.batch
        batch.project = image.project
        # Status first: after a reset the assignee is gone too, and "it left Annotating" is the news.
        if batch.status != Status.ANNOTATING:
            raise WorkflowError(
                _("“%(name)s” is in %(column)s now, no longer in Annotating, so this change was not saved.")
                % {"name": isolate(batch.name), "column": batch.get_status_display()},
                kind=WorkflowError.REFUSED,
                batch=batch,
            )
        if not may_annotate(membership, batch):
            raise WorkflowError(
                _("Only the batch's assignee or a manager can annotate its images."), kind=WorkflowError.FORBIDDEN
            )
        wanted = {box.label_class_id for box in boxes} | {box.label_class_id for box in suggested or []}
        if wanted:
            known = set(
                LabelClass.objects.filter(project_id=image.project_id, pk__in=wanted).values_list("pk", flat=True)
            )
            if known != wanted:
                raise WorkflowError(
                    _("A box has a label class that is not one of this project's classes; nothing was saved."),
                    kind=WorkflowError.INVALID,
                )

        Annotation.objects.filter(image=fresh).delete()
        if suggested is not None:
            # rework (#19): the previous boxes not accepted or deleted yet stay suggestions
            Suggestion.objects.filter(image=fresh, previous=False).delete()
            Suggestion.objects.bulk_create(
                [
                    Suggestion(image=fresh, label_class_id=b.label_class_id, x=b.x, y=b.y, w=b.w, h=b.h)
                    for b in suggested
                ]
            )
        stored = Annotation.objects.bulk_create(
            [
                Annotation(image=fresh, label_class_id=b.label_class_id, x=b.x, y=b.y, w=b.w, h=b.h, author=actor)
                for b in boxes
            ]
        )

        state = State.NO_OBJECTS if no_objects else State.ANNOTATED if boxes else State.NEW
        delta = (state in DONE_STATES) - (fresh.state in DONE_STATES)
        if state != fresh.state:
            Image.objects.filter(pk=fresh.pk).update(state=state)
            fresh.state = state
        fixed = fresh.review_flag and not fresh.review_fixed
        if fixed:
            Image.objects.filter(pk=fresh.pk).update(review_fixed=True)
            fresh.review_fixed = True
        now = timezone.now()
        if batch.last_active_at is None or now - batch.last_active_at >= ACTIVITY_EVERY:
            # Activity is cheap: the batch row is already read and locked, and written at most every 30 s.
            Batch.objects.filter(pk=batch.pk).update(last_active_at=now)
            batch.last_active_at = now
        if delta or fixed:
            # updated_at moves only when what the card shows does (its progress, its "N flagged images to
            # fix"): the board's live poll then refreshes the card.
            Batch.objects.filter(pk=batch.pk).update(done_count=F("done_count") + delta, updated_at=timezone.now())
            batch.done_count += delta
    return SaveResult(image=fresh, annotations=stored, done_count=batch.done_count, image_count=batch.image_count)


# --- review ----------------------------------------------------------------------------------------


def flag_image(*, actor, image: Image, flagged: bool, note: str = "", membership: Membership | None = None) -> Image:
    """Flag (with a note) or unflag an image of a batch in Review. Unflagging clears the note."""
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise WorkflowError(
            _("Keep the note under %(most)s characters.") % {"most": MAX_NOTE}, kind=WorkflowError.INVALID
        )
    membership = _membership(actor, image.project, membership)
    if not membership.is_member:
        raise WorkflowError(_("You are not a member of this project."), kind=WorkflowError.FORBIDDEN)
    with transaction.atomic():
        try:
            fresh = (
                Image.objects.select_for_update(of=("self", "batch"))
                .select_related("batch")
                .get(pk=image.pk, project_id=image.project_id)
            )
        except Image.DoesNotExist:
            raise WorkflowError(_("This image no longer exists."), kind=WorkflowError.STALE) from None
        if not may_review(membership, fresh.batch):
            raise WorkflowError(_("Only a reviewer of this project can flag images."), kind=WorkflowError.FORBIDDEN)
        if fresh.batch.status != Status.REVIEW:
            raise WorkflowError(
                _("“%(name)s” is in %(column)s now, so its images cannot be flagged.")
                % {"name": isolate(fresh.batch.name), "column": fresh.batch.get_status_display()},
                kind=WorkflowError.REFUSED,
                batch=fresh.batch,
            )
        fresh.review_flag = bool(flagged)
        fresh.review_note = note if flagged else ""
        Image.objects.filter(pk=fresh.pk).update(
            review_flag=fresh.review_flag, review_note=fresh.review_note, review_fixed=False
        )
    fresh.project = image.project
    return fresh
