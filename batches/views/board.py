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
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db import connection, transaction
from django.db.models import Count, F, Max, OrderBy, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST, require_safe

from accounts.calendars import format_date, localise_digits
from accounts.roles import users_with_role

from ..access import get_project_for
from ..board_page import BoardPage, page_markers
from ..bulk import BULK_ACTIONS, BULK_LABELS
from ..models import Batch, BatchScope, Image
from ..params import clean_text, parse_id
from ..rules import Membership, Move, drag_move, may_annotate, may_review, moves_for, visible_batches
from ..stale import WAITING, stale_days, waiting_since

Status = Batch.Status
# The first page of each column (and each "load more" page): what fits a screen or two; scrolling loads more.
COLUMN_PAGE = 20
# A live refresh re-renders as many cards as the person had loaded (so nothing jumps), up to this.
MAX_REFRESH = 500
THUMBS_PER_CARD = 4
ACTIVE_WINDOW = 600  # seconds: a card says "annotator active N s ago" for this long after a save
EMPTY_TEXT = {
    Status.UNASSIGNED: gettext_lazy("Upload images to start: every upload becomes a batch here."),
    Status.ANNOTATING: gettext_lazy("Nothing is being annotated. Assign a batch from Unassigned."),
    Status.REVIEW: gettext_lazy("Submitted batches wait here for a reviewer."),
    Status.DATASET: gettext_lazy("Approved batches land here, ready to export."),
}
# The same columns for someone who sees them whole but brings no batch into them (they upload and assign nothing).
EMPTY_TEXT_NOT_MANAGING = {
    Status.UNASSIGNED: gettext_lazy("No batch is waiting to be assigned."),
    Status.ANNOTATING: gettext_lazy("No batch is being annotated."),
}
# A column of which this person sees only the batches assigned to them (BatchScope): an empty one is not
# an empty column, and must not read like one.
EMPTY_TEXT_OWN_ONLY = gettext_lazy("You see only the batches assigned to you in this column, and none is.")
# Unassigned holds nobody's batches: a person who sees only their own never sees one there.
EMPTY_UNASSIGNED_NOT_SHOWN = gettext_lazy("Batches waiting to be assigned are shown to managers only.")
AGE_LABEL = {
    Status.UNASSIGNED: gettext_lazy("in column %(age)s"),
    Status.ANNOTATING: gettext_lazy("in column %(age)s"),
    Status.REVIEW: gettext_lazy("waiting %(age)s"),
    Status.DATASET: gettext_lazy("done %(age)s ago"),
}


@dataclass(frozen=True)
class Sort:
    """One order of a column's cards: the field, its direction, and the id breaking ties (keyset paging)."""

    key: str
    label: str
    field: str
    descending: bool
    id_descending: bool

    def order(self) -> list[OrderBy]:
        field = F(self.field).desc() if self.descending else F(self.field).asc()
        return [field, F("id").desc() if self.id_descending else F("id").asc()]

    def after(self, value, pk: int) -> Q:
        """The cards after (value, pk) in this order."""
        beyond = "lt" if self.descending else "gt"
        tie = "lt" if self.id_descending else "gt"
        return Q(**{f"{self.field}__{beyond}": value}) | Q(**{self.field: value, f"pk__{tie}": pk})

    def encode(self, batch: Batch) -> str:
        value = getattr(batch, self.field)
        text = value.isoformat() if isinstance(value, datetime) else repr(value) if isinstance(value, float) else value
        return f"{text}_{batch.pk}"

    def decode(self, raw: str | None) -> tuple | None:
        text, _sep, pk = (raw or "").rpartition("_")
        pk = parse_id(pk)
        if not _sep or pk is None:
            return None
        try:
            if self.field == "position":
                value = float(text)
                if not math.isfinite(value):
                    return None
            elif self.field == "image_count":
                value = parse_id(text)
                if value is None:
                    return None
            elif self.field == "name":
                value = clean_text(text, max_length=200)
            else:
                value = datetime.fromisoformat(text)
                if timezone.is_naive(value):
                    return None
        except ValueError:
            return None
        return value, pk


# The board's own order (where cards were dragged) first; the others are what a person sorts by.
SORTS = {
    sort.key: sort
    for sort in (
        Sort("board", pgettext_lazy("sort", "Board order"), "position", False, True),
        Sort("newest", pgettext_lazy("sort", "Newest"), "created_at", True, True),
        Sort("oldest", pgettext_lazy("sort", "Oldest"), "created_at", False, False),
        Sort("size", pgettext_lazy("sort", "Most images"), "image_count", True, True),
        Sort("name", pgettext_lazy("sort", "Name"), "name", False, False),
        Sort("waiting", pgettext_lazy("sort", "Longest in column"), "status_changed_at", False, False),
    )
}
DEFAULT_SORT = "board"


@dataclass
class BoardLayout:
    """How one person arranges one project's board: card density, each column's order, collapsed columns.

    Kept on the user row (User.board_layout, by project id), so it follows the person to any browser and
    every answer that renders columns reads it without a query.
    """

    compact: bool = False
    sorts: dict[str, str] = field(default_factory=dict)
    collapsed: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, user, project_pk: int) -> BoardLayout:
        stored = getattr(user, "board_layout", None)
        raw = stored.get(str(project_pk)) if isinstance(stored, dict) else None
        if not isinstance(raw, dict):
            return cls()
        sorts = raw.get("sort") if isinstance(raw.get("sort"), dict) else {}
        collapsed = raw.get("collapsed") if isinstance(raw.get("collapsed"), list) else []
        return cls(
            compact=raw.get("compact") is True,
            sorts={s: k for s, k in sorts.items() if s in Status.values and k in SORTS and k != DEFAULT_SORT},
            collapsed={s for s in collapsed if s in Status.values},
        )

    def sort_of(self, status: str) -> Sort:
        return SORTS[self.sorts.get(status, DEFAULT_SORT)]

    def save(self, user, project_pk: int) -> None:
        stored = dict(user.board_layout) if isinstance(user.board_layout, dict) else {}
        stored[str(project_pk)] = {
            "compact": self.compact,
            "sort": dict(sorted(self.sorts.items())),
            "collapsed": sorted(self.collapsed),
        }
        user.board_layout = stored
        get_user_model().objects.filter(pk=user.pk).update(board_layout=stored)


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
    to_fix: int = 0  # a returned batch: its flagged images not saved again yet
    active_label: str = ""  # "annotator active 12 s ago" while someone is working on it
    stale_days: int = 0  # rework (#19): days waiting beyond the project's limit (0: not stale)

    @property
    def since(self) -> str:
        """When it came into its column, in the person's calendar: written only when the card is rendered
        (a cached card's key has the row, the calendar and the time zone)."""
        return format_date(self.batch.status_changed_at, with_time=True)


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

    def condition(self, user) -> Q:
        """The batches this filter keeps, as one condition (empty when it keeps every batch)."""
        condition = Q()
        if self.q:
            condition &= Q(name__icontains=self.q)
        if self.assignee == "me":
            condition &= Q(assignee_id=user.pk)
        elif self.assignee:
            condition &= Q(assignee_id=int(self.assignee))
        return condition

    def apply(self, batches: QuerySet, user) -> QuerySet:
        return batches.filter(self.condition(user))


@dataclass
class Column:
    status: str
    batches: int = 0
    images: int = 0
    cards: list[Card] = field(default_factory=list)
    cursor: str = ""  # where "load more" continues; empty when every card is shown
    filtered: bool = False
    sort: Sort = SORTS[DEFAULT_SORT]
    compact: bool = False
    collapsed: bool = False
    # Said only when known: a column made without them reads as the least-privileged viewer's.
    manages: bool = False  # the viewer manages the project (the empty column's hint is an instruction)
    whole: bool = False  # the viewer sees every batch of this column, not only their own

    @property
    def label(self) -> str:
        return Status(self.status).label

    @property
    def empty_text(self) -> str:
        if not self.whole and self.status == Status.UNASSIGNED:
            return str(EMPTY_UNASSIGNED_NOT_SHOWN)
        if self.filtered:
            return _("No batch here matches the filter.")
        if not self.whole:
            return str(EMPTY_TEXT_OWN_ONLY)
        if not self.manages:
            return str(EMPTY_TEXT_NOT_MANAGING.get(self.status, EMPTY_TEXT[self.status]))
        return str(EMPTY_TEXT[self.status])

    @property
    def sorts(self) -> list[Sort]:
        return list(SORTS.values())


def short_age(since: datetime, now: datetime) -> str:
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 60:
        return _("<1 min")
    if seconds < 3600:
        return _("%(n)d min") % {"n": seconds // 60}
    if seconds < 48 * 3600:
        return _("%(n)d h") % {"n": seconds // 3600}
    return _("%(n)d d") % {"n": seconds // 86400}


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
        return localise_digits(_("annotator active %(seconds)d s ago") % {"seconds": seconds})
    return localise_digits(_("annotator active %(minutes)d min ago") % {"minutes": seconds // 60})


# When the labels above next read differently (a stored board page is served no longer: board_page.py).
def _next_boundary(seconds: int, steps: tuple[tuple[int, int], ...]) -> int | None:
    """The first whole second above `seconds` where a label made of (up to this many seconds, in units of
    this many) steps reads differently; None when it never changes again."""
    for limit, unit in steps:
        if seconds < limit:
            return min(limit, (seconds // unit + 1) * unit)
    return None


# short_age: "<1 min" below 60 s, minutes below an hour, hours below two days, then days.
AGE_STEPS = ((60, 60), (3600, 60), (48 * 3600, 3600), (10**12, 86400))
# activity_label: seconds below a minute, minutes up to ACTIVE_WINDOW, then nothing.
ACTIVITY_STEPS = ((60, 1), (ACTIVE_WINDOW, 60))


def _after(since: datetime, now: datetime, steps) -> datetime | None:
    seconds = max(0, int((now - since).total_seconds()))
    boundary = _next_boundary(seconds, steps)
    return None if boundary is None else since + timedelta(seconds=boundary)


def labels_valid_until(batch: Batch, now: datetime) -> datetime | None:
    """The first moment after `now` at which this batch's card would read differently with nothing else
    changed: its age label, its "annotator active" label or its "waiting N days" mark. None: never."""
    moments = [_after(batch.status_changed_at, now, AGE_STEPS)]
    if batch.status == Status.ANNOTATING and batch.last_active_at is not None:
        moments.append(_after(batch.last_active_at, now, ACTIVITY_STEPS))
    if batch.project.stale_after_days and batch.status in WAITING:
        since = waiting_since(batch)
        days = max(0, (now - since).days)
        moments.append(since + timedelta(days=days + 1))
    moments = [moment for moment in moments if moment is not None]
    return min(moments) if moments else None


def prepare_cards(batches: list[Batch], membership: Membership) -> list[Card]:
    """The cards of these batches: thumbnails (one query for all), age, and the person's moves."""
    thumbs = thumbnails_for([batch.pk for batch in batches])
    to_fix = flagged_to_fix(batches)
    now = timezone.now()
    cards = []
    # The rule book decides a card's moves from the person (the same for the whole page), the project,
    # and of the batch its column, assignee and whether it is still processing (rules.py reads nothing
    # else of it): cards alike in those share one answer instead of asking the rule book per card.
    moves: dict[tuple, tuple[list[MenuItem], str]] = {}
    for batch in batches:
        batch.project = membership.project  # the loaded project fills the relation's cache: no query per card
        alike = (batch.status, batch.assignee_id, batch.is_processing, batch.project.review_required)
        if alike not in moves:
            moves[alike] = (menu_for(membership, batch), drops_for(membership, batch))
        menu, drops = moves[alike]
        cards.append(
            Card(
                batch=batch,
                thumbs=thumbs.get(batch.pk, []),
                menu=menu,
                drops=drops,
                can_annotate=batch.status == Status.ANNOTATING and may_annotate(membership, batch),
                can_review=batch.status == Status.REVIEW and may_review(membership, batch),
                age_label=localise_digits(AGE_LABEL[batch.status] % {"age": short_age(batch.status_changed_at, now)}),
                to_fix=to_fix.get(batch.pk, 0),
                active_label=activity_label(batch, now),
                stale_days=stale_days(batch, now),  # rework (#19)
            )
        )
    return cards


def encode_cursor(batch: Batch) -> str:
    """Where "load more" continues in the board's own order."""
    return SORTS[DEFAULT_SORT].encode(batch)


def board_batches(membership: Membership, board_filter: BoardFilter) -> QuerySet:
    return board_filter.apply(visible_batches(membership), membership.user)


# A card's batch row whole (its cache key is made of it) and, of its assignee, the name it shows: the
# user's other columns (password, dates) cost a conversion per card and are never shown.
CARD_FIELDS = [*(field.name for field in Batch._meta.concrete_fields), "assignee__username"]


def first_cards(batches: QuerySet, columns: dict[str, tuple[Sort, int]]) -> list[Batch]:
    """The first cards of each given column ({status: (its sort, how many)}), in that column's order.

    One statement whatever the project's size: each column's ids come from its own ORDER BY … LIMIT
    (the (project, status, position) index serves the board's order; the other sorts read one column's
    rows), joined by UNION ALL; the rows of those ids are then ordered again, column by column (a union
    keeps no order). One window over every batch of the project, each partition in its own order, read
    and sorted them all: 11 ms of SQLite at 1,000 batches, and the costliest query of the board to compile.
    One column (a live poll after a change in it) is its own ORDER BY … LIMIT, with no union to compile.
    """
    if len(columns) == 1:
        ((status, (sort, limit)),) = columns.items()
        cards = batches.filter(status=status).select_related("assignee").only(*CARD_FIELDS)
        return list(cards.order_by(*sort.order())[:limit])
    parts, params = [], []
    for i, (status, (sort, limit)) in enumerate(columns.items()):
        sql, part_params = (
            batches.filter(status=status).order_by(*sort.order()).values_list("pk")[:limit].query.sql_with_params()
        )
        parts.append(f"SELECT * FROM ({sql}) AS column{i}")
        params.extend(part_params)
    order = [F("status").asc()]
    quote, table = connection.ops.quote_name, connection.ops.quote_name(Batch._meta.db_table)
    for status, (sort, _limit) in columns.items():
        for name, descending in ((sort.field, sort.descending), ("id", sort.id_descending)):
            column = f"{table}.{quote(Batch._meta.get_field(name).column)}"
            term = RawSQL(f"CASE WHEN {table}.{quote('status')} = %s THEN {column} END", [status])
            order.append(term.desc() if descending else term.asc())
    return list(
        Batch.objects.filter(pk__in=RawSQL(" UNION ALL ".join(parts), params))
        .select_related("assignee")
        .only(*CARD_FIELDS)
        .order_by(*order)
    )


def build_columns(
    membership: Membership,
    board_filter: BoardFilter,
    statuses: list[str] | None = None,
    shown: dict[str, int] | None = None,
    state: BoardState | None = None,
) -> list[Column]:
    """The given columns (all four by default) with their first cards: three queries whatever the size,
    the order of each column and the density (the person's BoardLayout) included."""
    statuses = [s for s in Status.values if statuses is None or s in statuses]
    shown = shown or {}
    layout = BoardLayout.of(membership.user, membership.project.pk)
    # A collapsed column shows its counts only: none of its cards is read.
    open_statuses = [s for s in statuses if s not in layout.collapsed]
    limits = {s: min(max(COLUMN_PAGE, shown.get(s, 0)), MAX_REFRESH) for s in open_statuses}
    batches = board_batches(membership, board_filter)
    totals = (state or board_state(membership, board_filter)).totals
    by_status: dict[str, list[Batch]] = {s: [] for s in statuses}
    if open_statuses:
        for batch in first_cards(
            batches, {status: (layout.sort_of(status), limits[status] + 1) for status in open_statuses}
        ):
            by_status[batch.status].append(batch)
    shown_batches = {}
    cursors = {}
    for status in statuses:
        if status not in limits:
            shown_batches[status], cursors[status] = [], ""
            continue
        rows = by_status[status]
        more = len(rows) > limits[status]
        shown_batches[status] = rows[: limits[status]]
        cursors[status] = layout.sort_of(status).encode(shown_batches[status][-1]) if more else ""
    cards = iter(prepare_cards([batch for status in statuses for batch in shown_batches[status]], membership))
    return [
        Column(
            status=status,
            batches=totals[status]["batches"],
            images=totals[status]["images"],
            cards=[next(cards) for _ in shown_batches[status]],
            cursor=cursors[status],
            filtered=board_filter.active,
            sort=layout.sort_of(status),
            compact=layout.compact,
            collapsed=status in layout.collapsed,
            **_viewer(membership, status),
        )
        for status in statuses
    ]


def _viewer(membership: Membership, status: str) -> dict:
    """What a column's empty text depends on: whether this person manages the project, and whether they see
    the whole column or only their own batches in it (BatchScope; no query)."""
    scope = BatchScope.of(membership.user, membership.perms, membership.project)
    return {"manages": membership.manages, "whole": scope.everything or status in scope.statuses}


def column_page(membership: Membership, board_filter: BoardFilter, status: str, sort: Sort, after: tuple) -> Column:
    """The next cards of one column after a cursor, in the column's order (keyset paging: stable while cards move)."""
    value, pk = after
    rows = list(
        board_batches(membership, board_filter)
        .filter(status=status)
        .filter(sort.after(value, pk))
        .select_related("assignee")
        .order_by(*sort.order())[: COLUMN_PAGE + 1]
    )
    more = len(rows) > COLUMN_PAGE
    rows = rows[:COLUMN_PAGE]
    layout = BoardLayout.of(membership.user, membership.project.pk)
    return Column(
        status=status,
        cards=prepare_cards(rows, membership),
        cursor=sort.encode(rows[-1]) if more else "",
        filtered=board_filter.active,
        sort=sort,
        compact=layout.compact,
        **_viewer(membership, status),
    )


@dataclass(frozen=True)
class BoardState:
    """What the board's header and its live poll need of the whole project: a fingerprint of every batch
    this person sees, one part per column (any move, split, merge, delete or annotation progress in a
    column changes its part; a move changes both columns'), and the batches and images per column among
    those the filter keeps."""

    parts: dict[str, str]
    totals: dict[str, dict[str, int]]
    # The latest save per column ("annotator active 12 s ago" on a card; not part of the token: a save that
    # moves no progress changes no card a poll refreshes, but a page rendered afresh shows it).
    activity: tuple = ()

    @property
    def token(self) -> str:
        return "".join(self.parts[status] for status in Status.values)

    def changed_since(self, token: str | None) -> list[str]:
        """The columns whose part differs from a token the page had (all of them for a token it cannot read)."""
        token = token or ""
        if len(token) != TOKEN_PART * len(Status.values):
            return list(Status.values)
        old = [token[i : i + TOKEN_PART] for i in range(0, len(token), TOKEN_PART)]
        return [status for status, part in zip(Status.values, old, strict=True) if part != self.parts[status]]


TOKEN_PART = 8  # hex characters of the fingerprint per column; the token is the four parts in column order


def board_state(membership: Membership, board_filter: BoardFilter | None = None) -> BoardState:
    """The board's fingerprint and column counts in one grouped query (they were two)."""
    kept = board_filter.condition(membership.user) if board_filter is not None else Q()
    rows = (
        visible_batches(membership)
        .order_by()
        .values("status")
        .annotate(
            n=Count("id"),
            versions=Sum("version"),
            done=Sum("done_count"),
            latest=Max("updated_at"),
            active=Max("last_active_at"),
            batches=Count("id", filter=kept or None),
            images=Sum("image_count", filter=kept or None),
        )
    )
    totals = {status: {"batches": 0, "images": 0} for status in Status.values}
    raw = {status: "0" for status in Status.values}
    activity = []
    for row in rows:
        activity.append((row["status"], row["active"]))
        totals[row["status"]] = {"batches": row["batches"], "images": row["images"] or 0}
        latest = row["latest"].isoformat() if row["latest"] else ""
        raw[row["status"]] = f"{row['n']}:{row['versions'] or 0}:{row['done'] or 0}:{latest}"
    parts = {
        status: hashlib.sha256(f"{status}:{text}".encode()).hexdigest()[:TOKEN_PART] for status, text in raw.items()
    }
    return BoardState(parts, totals, tuple(sorted(activity, key=lambda item: item[0])))


def board_token(membership: Membership) -> str:
    return board_state(membership).token


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


@require_safe
@login_required
def board(request, project_pk: int):
    membership = get_project_for(request.user, project_pk)
    project = membership.project
    board_filter = remembered_filter(request, membership)
    state = board_state(membership, board_filter)
    layout = BoardLayout.of(request.user, project.pk)
    if request.htmx and not request.htmx.history_restore_request:
        # The filter form: swap the columns in place, and the "Clear" link that depends on the filter.
        columns = build_columns(membership, board_filter, state=state)
        context = board_context(membership, board_filter, columns, token=state.token, layout=layout, oob=True)
        return render(request, "batches/board.html#filter_oob", context)
    # The same page as last time while nothing on it has changed (batches/board_page.py).
    page = BoardPage(request, membership, board_filter, state)
    html = page.cached()
    if html is None:
        started = timezone.now()
        columns = build_columns(membership, board_filter, state=state)
        context = board_context(
            membership,
            board_filter,
            columns,
            token=state.token,
            layout=layout,
            annotators=users_with_role(project, "annotator").order_by("username"),
            bulk_actions=[(action, BULK_LABELS[action]) for action in BULK_ACTIONS],
            **page_markers(),
        )
        html = render_to_string("batches/board.html", context, request)
        moments = [labels_valid_until(card.batch, started) for column in columns for card in column.cards]
        page.store(html, started, min(filter(None, moments), default=None))
    return HttpResponse(page.fill(html))


@require_safe
@login_required
def board_column(request, project_pk: int, status: str):
    membership = get_project_for(request.user, project_pk)
    # The order the page was loaded in travels with its cursor: a sort changed since (in another tab)
    # cannot mix two orders in one column.
    sort = SORTS.get(request.GET.get("sort") or DEFAULT_SORT)
    after = sort.decode(request.GET.get("after")) if sort else None
    if status not in Status.values or after is None:
        raise Http404(_("No such column page."))
    board_filter = BoardFilter.from_data(request.GET)
    column = column_page(membership, board_filter, status, sort, after)
    context = board_context(membership, board_filter, [column], column=column)
    if request.htmx:
        return render(request, "batches/board.html#more_cards", context)
    return render(request, "batches/board.html", {**context, "single_column": True})


@require_POST
@login_required
def board_layout(request, project_pk: int):
    """Arrange the board: compact cards on or off, one column's order, one column collapsed or open.

    Remembered on the person (every browser, every answer that renders the board). Without JavaScript the
    forms post here and come back to the board.
    """
    membership = get_project_for(request.user, project_pk)
    data = request.POST
    with transaction.atomic():
        # Read afresh under a lock: a change saved since this request's user was read (another column
        # collapsed a moment ago, another tab) is kept, not overwritten with the older arrangement.
        fresh = get_user_model().objects.select_for_update().only("board_layout").get(pk=request.user.pk)
        request.user.board_layout = fresh.board_layout
        layout = BoardLayout.of(request.user, project_pk)
        column = data.get("column", "")
        if "compact" in data:
            if data["compact"] not in ("0", "1"):
                return HttpResponseBadRequest(_("Compact is 0 or 1."))
            layout.compact = data["compact"] == "1"
        elif "sort" in data or "collapsed" in data:
            if column not in Status.values:
                return HttpResponseBadRequest(_("No such column."))
            if "sort" in data:
                if data["sort"] not in SORTS:
                    return HttpResponseBadRequest(_("No such order."))
                layout.sorts[column] = data["sort"]
                if data["sort"] == DEFAULT_SORT:
                    del layout.sorts[column]
            else:
                if data["collapsed"] not in ("0", "1"):
                    return HttpResponseBadRequest(_("Collapsed is 0 or 1."))
                (layout.collapsed.add if data["collapsed"] == "1" else layout.collapsed.discard)(column)
        else:
            return HttpResponseBadRequest(_("Say what to change: compact, sort or collapsed."))
        layout.save(request.user, project_pk)
    board_filter = BoardFilter.from_data(data)
    if not request.htmx:
        query = board_filter.querystring
        return redirect(reverse("board", args=[project_pk]) + (f"?{query}" if query else ""))
    state = board_state(membership, board_filter)
    columns = build_columns(membership, board_filter, state=state)
    context = board_context(membership, board_filter, columns, token=state.token, oob=True, layout=layout)
    return render(request, "batches/board.html#layout_oob", context)
