"""The board: four columns of batch cards, their filter, paging, and the cheap "has anything changed" check.

The board's query count does not depend on how many batches or images a project has: the cards of
all shown columns come from one windowed query (the first N per column), their thumbnails from
another (the first four per card), and the header counts from one grouped query.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Count, F, Max, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.roles import users_with_role

from ..access import get_project_for
from ..bulk import BULK_ACTIONS, BULK_LABELS
from ..models import Batch, Image
from ..params import clean_text, parse_id
from ..rules import Membership, Move, drag_move, may_annotate, may_review, moves_for, visible_batches
from ..stale import stale_days

Status = Batch.Status
# The first page of each column (and each "load more" page): what fits a screen or two; scrolling loads more.
COLUMN_PAGE = 20
# A live refresh re-renders as many cards as the person had loaded (so nothing jumps), up to this.
MAX_REFRESH = 500
THUMBS_PER_CARD = 4
ACTIVE_WINDOW = 600  # seconds: a card says "annotator active N s ago" for this long after a save
EMPTY_TEXT = {
    Status.UNASSIGNED: "Upload images to start: every upload becomes a batch here.",
    Status.ANNOTATING: "Nothing is being annotated. Assign a batch from Unassigned.",
    Status.REVIEW: "Submitted batches wait here for a reviewer.",
    Status.DATASET: "Approved batches land here, ready to export.",
}
AGE_LABEL = {
    Status.UNASSIGNED: "in column {}",
    Status.ANNOTATING: "in column {}",
    Status.REVIEW: "waiting {}",
    Status.DATASET: "done {} ago",
}


@dataclass(frozen=True)
class MenuItem:
    """One move in a card's menu: the rule book's row and the words the menu shows for this batch."""

    move: Move
    label: str

    @property
    def action(self) -> str:
        return self.move.action

    @property
    def dialog(self) -> bool:
        return self.move.dialog

    @property
    def danger(self) -> bool:
        return self.move.danger


def drops_for(membership: Membership, batch: Batch) -> str:
    """Where this person may drop this card, as JSON {column: the move's name}: the board dims the rest."""
    drops = {}
    for status in Status.values:
        move = drag_move(batch, status)
        if move is not None and move.permits(membership, batch) is None:
            drops[status] = str(move.menu_label(batch))
    return json.dumps(drops)


def menu_for(membership: Membership, batch: Batch) -> list[MenuItem]:
    """The moves this person may make on this batch now, as the rule book says (the server checks again)."""
    return [MenuItem(move, move.menu_label(batch)) for move in moves_for(membership, batch)]


@dataclass
class Card:
    """Everything a card shows beyond its batch row, computed once for the page."""

    batch: Batch
    thumbs: list[int]  # image ids with a thumbnail, the first few
    menu: list[MenuItem]
    drops: str  # {column: move name} where a drag may land, JSON for the card's data-drops
    can_annotate: bool
    can_review: bool
    age_label: str
    since: str
    to_fix: int = 0  # a returned batch: its flagged images not saved again yet
    active_label: str = ""  # "annotator active 12 s ago" while someone is working on it
    stale_days: int = 0  # rework (#19): days waiting beyond the project's limit (0: not stale)


@dataclass
class BoardFilter:
    q: str = ""
    assignee: str = ""  # "" for everyone, "me", or a user id

    @classmethod
    def from_data(cls, data) -> BoardFilter:
        q = clean_text(data.get("q"), max_length=200)  # a NUL was a 500 on PostgreSQL
        assignee = (data.get("assignee") or "").strip()
        if assignee != "me" and parse_id(assignee) is None:
            assignee = ""
        return cls(q=q, assignee=assignee)

    @property
    def active(self) -> bool:
        return bool(self.q or self.assignee)

    @property
    def querystring(self) -> str:
        return urlencode({k: v for k, v in (("assignee", self.assignee), ("q", self.q)) if v})

    def apply(self, batches: QuerySet, user) -> QuerySet:
        if self.q:
            batches = batches.filter(name__icontains=self.q)
        if self.assignee == "me":
            batches = batches.filter(assignee_id=user.pk)
        elif self.assignee:
            batches = batches.filter(assignee_id=int(self.assignee))
        return batches


@dataclass
class Column:
    status: str
    batches: int = 0
    images: int = 0
    cards: list[Card] = field(default_factory=list)
    cursor: str = ""  # where "load more" continues; empty when every card is shown
    filtered: bool = False

    @property
    def label(self) -> str:
        return Status(self.status).label

    @property
    def empty_text(self) -> str:
        return "No batch here matches the filter." if self.filtered else EMPTY_TEXT[self.status]


def short_age(since: datetime, now: datetime) -> str:
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 60:
        return "<1 min"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 48 * 3600:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


# --- reading the board ----------------------------------------------------------------------------


def thumbnails_for(batch_ids: list[int]) -> dict[int, list[int]]:
    """The first few image ids with a thumbnail per batch, for every given batch in one query.

    Each batch's ids come from the (batch, id) index, THUMBS_PER_CARD rows at a time: the query reads
    four rows per card whatever the size of the batches (a window over every image of the shown
    batches read them all: 40,000 rows to keep 800 at 50,000 images).
    """
    if not batch_ids:
        return {}
    table = connection.ops.quote_name(Image._meta.db_table)
    first = f"SELECT id FROM {table} WHERE batch_id = b.id AND thumbnail <> '' ORDER BY id LIMIT {THUMBS_PER_CARD}"
    thumbs: dict[int, list[int]] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT b.id, i.id FROM unnest(%s::bigint[]) AS b(id) CROSS JOIN LATERAL ({first}) AS i",
                [list(batch_ids)],
            )
            rows = cursor.fetchall()
        else:
            # SQLite: one correlated LIMIT per batch, the ids joined into one column.
            cursor.execute(
                f"SELECT b.id, (SELECT group_concat(id) FROM ({first})) FROM "
                "(SELECT value AS id FROM json_each(%s)) AS b",
                [json.dumps(list(batch_ids))],
            )
            rows = [
                (batch_id, int(image_id)) for batch_id, ids in cursor.fetchall() if ids for image_id in ids.split(",")
            ]
    for batch_id, image_id in rows:
        thumbs.setdefault(batch_id, []).append(image_id)
    for ids in thumbs.values():
        ids.sort()
    return thumbs


def flagged_to_fix(batches: list[Batch]) -> dict[int, int]:
    """Per returned batch in Annotating, its flagged images not saved since: one query, and none without such a batch."""
    returned = [b.pk for b in batches if b.status == Status.ANNOTATING and b.rejection_count]
    if not returned:
        return {}
    rows = (
        Image.objects.filter(batch_id__in=returned, review_flag=True, review_fixed=False)
        .values("batch_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["batch_id"]: row["n"] for row in rows}


def activity_label(batch: Batch, now: datetime) -> str:
    """ "annotator active 12 s ago" for a batch in Annotating saved in the last ACTIVE_WINDOW, else ""."""
    if batch.status != Status.ANNOTATING or batch.last_active_at is None:
        return ""
    seconds = max(0, int((now - batch.last_active_at).total_seconds()))
    if seconds >= ACTIVE_WINDOW:
        return ""
    if seconds < 60:
        return _("annotator active %(seconds)d s ago") % {"seconds": seconds}
    return _("annotator active %(minutes)d min ago") % {"minutes": seconds // 60}


def prepare_cards(batches: list[Batch], membership: Membership) -> list[Card]:
    """The cards of these batches: thumbnails (one query for all), age, and the person's moves."""
    thumbs = thumbnails_for([batch.pk for batch in batches])
    to_fix = flagged_to_fix(batches)
    now = timezone.now()
    cards = []
    for batch in batches:
        batch.project = membership.project  # the loaded project fills the relation's cache: no query per card
        cards.append(
            Card(
                batch=batch,
                thumbs=thumbs.get(batch.pk, []),
                menu=menu_for(membership, batch),
                drops=drops_for(membership, batch),
                can_annotate=batch.status == Status.ANNOTATING and may_annotate(membership, batch),
                can_review=batch.status == Status.REVIEW and may_review(membership, batch),
                age_label=AGE_LABEL[batch.status].format(short_age(batch.status_changed_at, now)),
                since=timezone.localtime(batch.status_changed_at).strftime("%Y-%m-%d %H:%M"),
                to_fix=to_fix.get(batch.pk, 0),
                active_label=activity_label(batch, now),
                stale_days=stale_days(batch, now),  # rework (#19)
            )
        )
    return cards


def encode_cursor(batch: Batch) -> str:
    return f"{batch.position!r}_{batch.pk}"


def decode_cursor(raw: str | None) -> tuple[float, int] | None:
    try:
        position, pk = (raw or "").rsplit("_", 1)
        position = float(position)
    except ValueError:
        return None
    pk = parse_id(pk)
    if pk is None or not math.isfinite(position):
        return None
    return position, pk


def board_batches(membership: Membership, board_filter: BoardFilter) -> QuerySet:
    return board_filter.apply(visible_batches(membership), membership.user)


def build_columns(
    membership: Membership,
    board_filter: BoardFilter,
    statuses: list[str] | None = None,
    shown: dict[str, int] | None = None,
) -> list[Column]:
    """The given columns (all four by default) with their first cards: three queries whatever the size."""
    statuses = [s for s in Status.values if statuses is None or s in statuses]
    shown = shown or {}
    limits = {s: min(max(COLUMN_PAGE, shown.get(s, 0)), MAX_REFRESH) for s in statuses}
    project = membership.project
    batches = board_batches(membership, board_filter)
    totals = batches.column_totals(project)
    ranked = (
        batches.filter(status__in=statuses)
        .select_related("assignee")
        .annotate(row=Window(RowNumber(), partition_by=[F("status")], order_by=[F("position").asc(), F("id").desc()]))
        .filter(row__lte=max(limits.values()) + 1)
        .order_by("position", "-id")
    )
    by_status: dict[str, list[Batch]] = {s: [] for s in statuses}
    for batch in ranked:
        by_status[batch.status].append(batch)
    shown_batches = {}
    cursors = {}
    for status in statuses:
        rows = by_status[status]
        more = len(rows) > limits[status]
        shown_batches[status] = rows[: limits[status]]
        cursors[status] = encode_cursor(shown_batches[status][-1]) if more else ""
    cards = iter(prepare_cards([batch for status in statuses for batch in shown_batches[status]], membership))
    return [
        Column(
            status=status,
            batches=totals[status]["batches"],
            images=totals[status]["images"],
            cards=[next(cards) for _ in shown_batches[status]],
            cursor=cursors[status],
            filtered=board_filter.active,
        )
        for status in statuses
    ]


def column_page(membership: Membership, board_filter: BoardFilter, status: str, after: tuple[float, int]) -> Column:
    """The next cards of one column after a cursor (keyset paging: stable while cards move)."""
    position, pk = after
    rows = list(
        board_batches(membership, board_filter)
        .filter(status=status)
        .filter(Q(position__gt=position) | Q(position=position, pk__lt=pk))
        .select_related("assignee")
        .order_by("position", "-id")[: COLUMN_PAGE + 1]
    )
    more = len(rows) > COLUMN_PAGE
    rows = rows[:COLUMN_PAGE]
    return Column(status=status, cards=prepare_cards(rows, membership), cursor=encode_cursor(rows[-1]) if more else "")


def board_token(membership: Membership) -> str:
    """A fingerprint of every batch of the project this person sees, in one aggregate query: any move,
    split, merge, delete or annotation progress changes it."""
    row = visible_batches(membership).aggregate(
        n=Count("id"), versions=Sum("version"), done=Sum("done_count"), latest=Max("updated_at")
    )
    raw = f"{row['n']}:{row['versions']}:{row['done']}:{row['latest'].isoformat() if row['latest'] else ''}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def parse_shown(raw: str | None) -> dict[str, int]:
    """ "unassigned:120,review:3" (how many cards each column shows in the browser) as a dict."""
    shown = {}
    for part in (raw or "").split(",")[:4]:
        status, _, count = part.partition(":")
        if status in Status.values and parse_id(count) is not None:
            shown[status] = parse_id(count)
    return shown


def board_context(membership: Membership, board_filter: BoardFilter, columns: list[Column], **extra) -> dict:
    return {
        "project": membership.project,
        "membership": membership,
        "filter": board_filter,
        "columns": columns,
        **extra,
    }


def remembered_filter(request, membership: Membership) -> BoardFilter:
    """The board's assignee filter as last chosen in this project (kept in the session); an annotator
    who only annotates starts on "Assigned to me"."""
    key = f"board_assignee_{membership.project.pk}"
    if "assignee" in request.GET or "q" in request.GET:  # the filter form sends both
        board_filter = BoardFilter.from_data(request.GET)
        request.session[key] = board_filter.assignee
        return board_filter
    only_annotates = membership.annotates and not (membership.manages or membership.reviews)
    assignee = request.session.get(key, "me" if only_annotates else "")
    return BoardFilter.from_data({"q": request.GET.get("q", ""), "assignee": assignee})


# --- views ----------------------------------------------------------------------------------------


@require_GET
@login_required
def board(request, project_pk: int):
    membership = get_project_for(request.user, project_pk)
    project = membership.project
    board_filter = remembered_filter(request, membership)
    columns = build_columns(membership, board_filter)
    context = board_context(membership, board_filter, columns, token=board_token(membership))
    if request.htmx and not request.htmx.history_restore_request:
        # The filter form: swap the columns in place.
        return render(request, "batches/board.html#columns_oob", {**context, "oob": True})
    context["annotators"] = users_with_role(project, "annotator").order_by("username")
    context["bulk_actions"] = [(action, BULK_LABELS[action]) for action in BULK_ACTIONS]
    return render(request, "batches/board.html", context)


@require_GET
@login_required
def board_column(request, project_pk: int, status: str):
    membership = get_project_for(request.user, project_pk)
    after = decode_cursor(request.GET.get("after"))
    if status not in Status.values or after is None:
        raise Http404(_("No such column page."))
    board_filter = BoardFilter.from_data(request.GET)
    column = column_page(membership, board_filter, status, after)
    context = board_context(membership, board_filter, [column], column=column)
    if request.htmx:
        return render(request, "batches/board.html#more_cards", context)
    return render(request, "batches/board.html", {**context, "single_column": True})


@require_GET
@login_required
def board_version(request, project_pk: int):
    """The live check: 204 without rendering anything when the client's token is current."""
    membership = get_project_for(request.user, project_pk)
    token = board_token(membership)
    if request.GET.get("token") == token:
        return HttpResponse(status=204)
    board_filter = BoardFilter.from_data(request.GET)
    columns = build_columns(membership, board_filter, shown=parse_shown(request.GET.get("shown")))
    context = board_context(membership, board_filter, columns, token=token, oob=True)
    return render(request, "batches/board.html#columns_oob", context)
