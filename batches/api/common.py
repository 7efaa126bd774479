"""What every router of the API shares: finding things for the caller (as the pages do), the batch version
the caller saw, cursors, and the JSON shape of a batch, an event, an image."""

from __future__ import annotations

import base64
import binascii
import json

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.access import Membership, get_project_for
from accounts.tokens import reaches

from .. import workflow
from ..access import get_batch_for, get_image_for, get_upload_session_for
from ..models import Batch, BatchEvent, Image
from ..params import parse_id
from ..rules import moves_for, visible_batches
from .errors import ApiError

Status = Batch.Status
PAGE_DEFAULT = 50
PAGE_MAX = 200


def _reach(request, project_pk) -> None:
    """A token limited to other projects sees this one as a non-member does."""
    pk = parse_id(project_pk)
    if pk is None or not reaches(getattr(request, "api_token", None), pk):
        raise Http404(_("No such project."))


def membership(request, project_pk, perm: str | None = None) -> Membership:
    _reach(request, project_pk)
    return get_project_for(request.user, project_pk, perm)


def batch_for(request, project_pk, pk, perm: str | None = None) -> tuple[Batch, Membership]:
    _reach(request, project_pk)
    return get_batch_for(request.user, project_pk, pk, perm)


def image_for(request, project_pk, image_pk, perm: str | None = None) -> tuple[Image, Membership]:
    _reach(request, project_pk)
    image, member = get_image_for(request.user, image_pk, perm)
    if image.project_id != parse_id(project_pk):
        raise Http404(_("No such image."))
    return image, member


def upload_for(request, project_pk, pk):
    _reach(request, project_pk)
    return get_upload_session_for(request.user, project_pk, pk)


def seen_version(request, body_version: int | None) -> int:
    """The batch version the caller saw: the `version` field, else If-Match ("3", W/"3" or 3)."""
    if body_version is not None:
        return body_version
    header = request.headers.get("If-Match", "").strip()
    if header.startswith("W/"):
        header = header[2:]
    version = parse_id(header.strip('"'))
    if version is None:
        raise ApiError(
            428,
            "precondition",
            _('Say which version of the batch you saw: send If-Match: "<version>" or a “version” field.'),
        )
    return version


def seen_batch(request, project_pk, pk, version: int | None) -> tuple[Batch, Membership]:
    """The batch as the caller saw it (the moves' compare-and-set guard): a visible batch, at their version."""
    batch, member = batch_for(request, project_pk, pk)
    if seen_version(request, version) != batch.version:
        raise workflow.stale_error(batch)
    batch.project = member.project
    return batch, member


def encode_cursor(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(raw: str | None, shape: tuple[type, ...]) -> list | None:
    """A cursor this API wrote, or None when there is none; anything else is a 400."""
    if not raw:
        return None
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        values = json.loads(text)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        values = None
    ok = isinstance(values, list) and len(values) == len(shape)
    ok = ok and all(
        isinstance(v, kind) and not isinstance(v, bool) for v, kind in zip(values or [], shape, strict=False)
    )
    if not ok or (int in shape and any(isinstance(v, int) and parse_id(v) is None for v in values)):
        raise ApiError(400, "invalid", _("That cursor is not one this API gave out; start from the first page."))
    if float in shape and any(isinstance(v, float) and v != v for v in values):
        raise ApiError(400, "invalid", _("That cursor is not one this API gave out; start from the first page."))
    return values


def page_size(limit: int | None) -> int:
    if limit is None:
        return PAGE_DEFAULT
    return max(1, min(limit, PAGE_MAX))


def batch_json(batch: Batch, member: Membership | None = None) -> dict:
    data = {
        "id": batch.pk,
        "project": batch.project_id,
        "name": batch.name,
        "status": batch.status,
        "version": batch.version,
        "assignee": batch.assignee.username if batch.assignee_id and batch.assignee else None,
        "assignee_id": batch.assignee_id,
        "image_count": batch.image_count,
        "done_count": batch.done_count,
        "processing": batch.is_processing,
        "review_comment": batch.review_comment,
        "rejection_count": batch.rejection_count,
        "split_from": batch.split_from_id,
        "created_at": batch.created_at.isoformat(),
        "status_changed_at": batch.status_changed_at.isoformat(),
        "updated_at": batch.updated_at.isoformat() if batch.updated_at else None,
    }
    if member is not None:
        data["moves"] = [move.action for move in moves_for(member, batch)]
    return data


def event_json(event: BatchEvent) -> dict:
    return {
        "id": event.pk,
        "action": event.action,
        "by": event.actor.username if event.actor else None,
        "at": event.created_at.isoformat(),
        "from_status": event.from_status or None,
        "to_status": event.to_status or None,
        "images": event.image_count,
        "related": event.related,
        "details": event.details,
        "note": event.note,
        "summary": str(event.summary),
    }


def image_json(image: Image) -> dict:
    return {
        "id": image.pk,
        "batch": image.batch_id,
        "name": image.original_name,
        "width": image.width,
        "height": image.height,
        "state": image.state,
        "review_flag": image.review_flag,
        "review_note": image.review_note,
        "file_url": reverse("api:image_file", args=[image.project_id, image.pk]),
        "thumbnail_url": reverse("api:image_thumbnail", args=[image.project_id, image.pk]) if image.thumbnail else None,
    }


def visible(member: Membership):
    return visible_batches(member)
