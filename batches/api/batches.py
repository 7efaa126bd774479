"""Batches: the board's cards as a list (its filters, cursor paging), and one batch with its history.

Paging is keyset on the board's own order (position, then newest id): a page never repeats or skips a
batch that stayed where it was, whatever moves meanwhile (a moved batch lands at the top of its column,
before any cursor, so it is not listed twice).
"""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from ..models import Batch
from ..views.board import BoardFilter
from .common import batch_for, batch_json, decode_cursor, encode_cursor, event_json, membership, page_size, visible
from .errors import ApiError
from .types import Limit

router = Router(tags=["batches"])
Status = Batch.Status
HISTORY_SHOWN = 200


class BatchFilter(Schema):
    status: str | None = None
    q: str | None = None
    assignee: str | None = None  # "me" or a user id
    cursor: str | None = None
    limit: Limit | None = None


@router.get("/{int:project_pk}/batches", summary="List batches (the board's filters, cursor paging)")
def list_batches(request, project_pk: int, filters: Query[BatchFilter]):
    member = membership(request, project_pk)
    if filters.status not in (None, "", *Status.values):
        raise ApiError(400, "invalid", _("“status” is one of: %(values)s.") % {"values": ", ".join(Status.values)})
    assignee = (filters.assignee or "").strip()
    board_filter = BoardFilter.from_data({"q": filters.q or "", "assignee": assignee})
    if board_filter.assignee != assignee:
        # The board drops a filter it cannot read; a program asked for someone's batches and must not get all.
        raise ApiError(400, "invalid", _("“assignee” is “me” or a user id."))
    batches = board_filter.apply(visible(member), request.user)
    if filters.status:
        batches = batches.filter(status=filters.status)
    after = decode_cursor(filters.cursor, (float, int))
    if after is not None:
        position, pk = after
        batches = batches.filter(Q(position__gt=position) | Q(position=position, pk__lt=pk))
    size = page_size(filters.limit)
    rows = list(batches.select_related("assignee").order_by("position", "-id")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return {
        "items": [batch_json(batch, member) for batch in rows],
        "next_cursor": encode_cursor([rows[-1].position, rows[-1].pk]) if more else None,
    }


@router.get("/{int:project_pk}/batches/{int:pk}", summary="Read a batch, its moves and its history")
def read_batch(request, response: HttpResponse, project_pk: int, pk: int):
    batch, member = batch_for(request, project_pk, pk)
    events = batch.events.select_related("actor").order_by("-created_at", "-id")[:HISTORY_SHOWN]
    response["ETag"] = f'"{batch.version}"'
    return {**batch_json(batch, member), "history": [event_json(event) for event in events]}
