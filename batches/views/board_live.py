"""Partial board answers: only the cards that changed, as htmx out-of-band swaps.

With every live poll and every move, the board's page (static/js/board-live.js) sends which cards each
column shows, in order, each with its signature (`data-sig`, the first characters of the card's cache
key: it changes whenever anything the card shows changes), and which columns have a "load more" link.
The answer makes the page equal to what a full re-render would show, touching only what differs:

- cards the page shows that are gone, moved elsewhere or changed are removed (by id, all first);
- cards to show that the page lacks (new, moved here, changed) are inserted after the card that
  precedes them (or at the top of their column), in order, so each one's anchor is already in place;
- unchanged cards in the right order stay as they are (their DOM nodes, focus and selection survive);
- the column counts, the "load more" links and the board's fingerprint are updated.

A column going from empty to shown cards or back is sent whole (its empty text changes). Anything the
page sends that cannot be read makes the caller fall back to whole columns.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from accounts.notification_views import with_unread_count

from ..access import get_project_for
from ..models import Batch
from ..rules import Membership
from ..templatetags.board_cards import SIG_LENGTH, card_keys, card_sig, render_cards
from .board import MAX_REFRESH, BoardFilter, BoardState, board_context, board_state, build_columns, parse_shown

Status = Batch.Status
# One shown card as the page sends it: "<batch id>.<signature>".
CARD_RE = re.compile(rf"^([1-9][0-9]{{0,18}})\.([0-9a-f]{{0,{SIG_LENGTH}}})$")
MAX_CARDS = 4 * MAX_REFRESH


@dataclass
class ShownBoard:
    """What the page shows: per column, its cards (batch id, signature) in order; columns with "load more"."""

    cards: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    more: set[str] = field(default_factory=set)


def parse_shown_board(data) -> ShownBoard | None:
    """`cards=unassigned:12.ab34…,9.ff01…;annotating:;…` and `more=unassigned,review`, or None when absent or unreadable."""
    raw = data.get("cards")
    if raw is None or len(raw) > MAX_CARDS * 32:
        return None
    shown = ShownBoard()
    seen: set[int] = set()
    for part in raw.split(";"):
        status, colon, items = part.partition(":")
        if not colon or status not in Status.values or status in shown.cards:
            return None
        column = []
        for item in filter(None, items.split(",")):
            match = CARD_RE.match(item)
            if match is None:
                return None
            pk = int(match.group(1))
            if pk in seen or pk >= 2**63:
                return None
            seen.add(pk)
            column.append((pk, match.group(2)))
        shown.cards[status] = column
    if set(shown.cards) != set(Status.values) or len(seen) > MAX_CARDS:
        return None
    shown.more = {s for s in (data.get("more") or "").split(",") if s in Status.values}
    return shown


def _longest_rising(indices: list[int]) -> set[int]:
    """The longest strictly rising subsequence of these (distinct) indices: the cards that may stay put."""
    tails: list[int] = []  # tails[k]: the smallest last value of a rising run of length k + 1
    tail_at: list[int] = []  # its position in `indices`
    before: list[int] = [-1] * len(indices)
    for i, value in enumerate(indices):
        k = bisect_left(tails, value)
        if k == len(tails):
            tails.append(value)
            tail_at.append(i)
        else:
            tails[k] = value
            tail_at[k] = i
        before[i] = tail_at[k - 1] if k else -1
    kept = set()
    i = tail_at[-1] if tail_at else -1
    while i >= 0:
        kept.add(indices[i])
        i = before[i]
    return kept


@dataclass
class Insert:
    html: str
    after: int | None  # the batch id of the card before it, or None: the top of its column
    status: str


def live_answer(
    request,
    membership: Membership,
    board_filter: BoardFilter,
    shown: ShownBoard,
    state: BoardState,
    *,
    close_dialog: bool = False,
    page_token: str | None = None,
    moved: list[int] | None = None,
):
    """The changes that make the page show what a full re-render would, and nothing else.

    Only the columns whose part of the board's fingerprint differs from the page's token (`page_token`)
    can differ from the page, so only they are read; the counts of all are sent. A change in one column
    costs one column's cards, a move two (the other columns' age labels refresh when they next change).
    `moved`: batches the page may show in a column they are not in (a drag moves the card before the
    server answers): the columns the page shows them in are read too."""
    project = membership.project
    read = set(state.changed_since(page_token))
    read.update(status for status, cards in shown.cards.items() if any(pk in (moved or ()) for pk, _sig in cards))
    columns = build_columns(
        membership,
        board_filter,
        statuses=[status for status in Status.values if status in read],
        shown={status: len(cards) for status, cards in shown.cards.items()},
        state=state,
    )
    language = get_language()
    manages = membership.manages
    removed: list[int] = []
    whole: list = []
    inserts: list[tuple[str, int | None, object, str]] = []  # (status, anchor, card, key)
    more_changes: list[tuple[str, str]] = []  # (status, "remove" | "add" | "replace")
    for column in columns:
        have = shown.cards[column.status]
        keys = card_keys(column.cards, project.pk, language, manages, column.compact)
        if bool(have) != bool(column.cards):
            removed.extend(pk for pk, _sig in have)
            whole.append(column)
            continue
        place = {card.batch.pk: i for i, card in enumerate(column.cards)}
        same = [
            place[pk] for pk, sig in have if pk in place and sig == card_sig(keys[place[pk]])
        ]  # unchanged cards, in the page's order, as positions in the new order
        kept = _longest_rising(same)
        kept_ids = {column.cards[i].batch.pk for i in kept}
        removed.extend(pk for pk, _sig in have if pk not in kept_ids)
        for i, card in enumerate(column.cards):
            if i not in kept:
                anchor = column.cards[i - 1].batch.pk if i else None
                inserts.append((column.status, anchor, card, keys[i]))
        last_before = have[-1][0] if have else None
        last_now = column.cards[-1].batch.pk if column.cards else None
        had_more, has_more = column.status in shown.more, bool(column.cursor)
        if had_more and not has_more:
            more_changes.append((column.status, "remove"))
        elif has_more and not had_more:
            more_changes.append((column.status, "add"))
        elif has_more and (last_before != last_now or last_now not in kept_ids):
            more_changes.append((column.status, "replace"))
    whole_statuses = {column.status for column in whole}
    html = render_cards(
        [card for _s, _a, card, _k in inserts],
        project,
        membership,
        get_token(request),
        keys=[key for _s, _a, _c, key in inserts],
        compact=any(column.compact for column in columns),  # one density per person and board
    )
    context = {
        "project": project,
        "membership": membership,
        "filter": board_filter,
        "columns": columns,
        "whole": whole,
        "removed": removed,
        "inserts": [Insert(h, anchor, status) for (status, anchor, _c, _k), h in zip(inserts, html, strict=True)],
        "more_changes": [(next(c for c in columns if c.status == s), change) for s, change in more_changes],
        "counts": [(status, state.totals[status]) for status in Status.values if status not in whole_statuses],
        "token": state.token,
        "close_dialog": close_dialog,
        "oob": True,
    }
    return render(request, "batches/_board_live.html", context)


@require_safe
@login_required
@with_unread_count  # issue 18: the bell's count rides on the poll (one COUNT query, in a header)
def board_version(request, project_pk: int):
    """The live poll: 204 without rendering anything when the client's token is current; else the cards
    that changed (when the page said which it shows), or the columns (a page without board-live.js)."""
    membership = get_project_for(request.user, project_pk)
    board_filter = BoardFilter.from_data(request.GET)
    state = board_state(membership, board_filter)
    if request.GET.get("token") == state.token:
        return HttpResponse(status=204)
    shown_board = parse_shown_board(request.GET)
    if shown_board is not None:
        return live_answer(request, membership, board_filter, shown_board, state, page_token=request.GET.get("token"))
    columns = build_columns(membership, board_filter, shown=parse_shown(request.GET.get("shown")), state=state)
    context = board_context(membership, board_filter, columns, token=state.token, oob=True)
    return render(request, "batches/board.html#columns_oob", context)
