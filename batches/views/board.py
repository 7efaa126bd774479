"""The board: four columns of batch cards, their filter, paging, and the cheap "has anything changed" check.

The board's query count does not depend on how many batches or images a project has: the cards of
all shown columns come from one windowed query (the first N per column), their thumbnails from
another (the first four per card), and the header counts from one grouped query.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field, replace
from datetime import datetime
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Count, F, Max, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.roles import users_with_role

from ..access import get_project_for, project_perms
from ..models import Batch, Image, Project
from ..params import parse_id

Status = Batch.Status
COLUMN_PAGE = 50
# A live refresh re-renders as many cards as the person had loaded (so nothing jumps), up to this.
MAX_REFRESH = 500
THUMBS_PER_CARD = 4
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
    action: str
    label: str
    dialog: bool  # needs input or a confirmation first
    danger: bool = False
    url: str = ""  # the dialog's, for moves that have one


@dataclass
class BoardFilter:
    q: str = ""
    assignee: str = ""  # "" for everyone, "me", or a user id

    @classmethod
    def from_data(cls, data) -> BoardFilter:
        q = (data.get("q") or "").strip()[:200]
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
    cards: list[Batch] = field(default_factory=list)
    cursor: str = ""  # where "load more" continues; empty when every card is shown
    filtered: bool = False

    @property
    def label(self) -> str:
        return Status(self.status).label

    @property
    def empty_text(self) -> str:
        return "No batch here matches the filter." if self.filtered else EMPTY_TEXT[self.status]


# --- what a user may do with a card ---------------------------------------------------------------


def moves_for(user, project: Project, batch: Batch) -> list[MenuItem]:
    """The moves of Batch.MOVES this user may make on this batch now (the server checks again)."""
    perms = project.user_perms
    manages = "manage_project" in perms
    items = []
    for move in Batch.moves_from(batch.status):
        if move.action == "submit":
            if manages or ("annotate_project" in perms and batch.assignee_id == user.pk):
                label = "Submit for review" if project.review_required else "Submit to Dataset"
                items.append(MenuItem("submit", label, dialog=False))
        elif move.action == "approve":
            own = batch.assignee_id == user.pk and not project.allow_self_review
            if "review_project" in perms and not own:
                items.append(MenuItem("approve", "Approve", dialog=False))
        elif move.permission in perms:
            labels = {
                "assign": "Assign",
                "reassign": "Reassign",
                "reject": "Reject",
                "reset": "Reset to Unassigned",
                "delete": "Delete for good",
                "merge": "Merge with another",
            }
            items.append(
                MenuItem(move.action, labels[move.action], dialog=True, danger=move.action in ("reset", "delete"))
            )
    return items


def may_annotate(user, project: Project, batch: Batch) -> bool:
    perms = project.user_perms
    return batch.status == Status.ANNOTATING and (
        "manage_project" in perms or ("annotate_project" in perms and batch.assignee_id == user.pk)
    )


def may_review(user, project: Project, batch: Batch) -> bool:
    return batch.status == Status.REVIEW and "review_project" in project.user_perms


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


class CardUrls:
    """Each link of a card, reversed once per page and filled in per card: a board shows hundreds."""

    PK = "2147483646"
    ACTION = "ACTION"

    def __init__(self, project: Project):
        self.board = reverse("board", args=[project.pk])
        self.detail = reverse("batch_detail", args=[project.pk, self.PK])
        self.move = reverse("batch_move", args=[project.pk, self.PK])
        self.dialog = reverse("batch_move_dialog", args=[project.pk, self.PK, self.ACTION])
        self.thumbnail = reverse("image_thumbnail", args=[self.PK])

    def fill(self, pattern: str, pk: int, action: str = "") -> str:
        return pattern.replace(self.PK, str(pk)).replace(self.ACTION, action)


def prepare_cards(cards: list[Batch], user, project: Project) -> None:
    """Everything a card shows beyond its row: thumbnails (one query for all), links, age, the user's moves."""
    thumbs = thumbnails_for([card.pk for card in cards])
    urls = CardUrls(project)
    now = timezone.now()
    for card in cards:
        card.project = project  # already loaded: spares a query per card wherever card.project is read
        card.thumb_urls = [urls.fill(urls.thumbnail, image_id) for image_id in thumbs.get(card.pk, [])]
        card.detail_url = urls.fill(urls.detail, card.pk)
        card.board_url = urls.board
        card.move_url = urls.fill(urls.move, card.pk)
        card.age_label = AGE_LABEL[card.status].format(short_age(card.status_changed_at, now))
        card.since = timezone.localtime(card.status_changed_at).strftime("%Y-%m-%d %H:%M")
        card.menu = [
            replace(item, url=urls.fill(urls.dialog, card.pk, item.action)) if item.dialog else item
            for item in moves_for(user, project, card)
        ]
        card.can_annotate = may_annotate(user, project, card)
        card.can_review = may_review(user, project, card)


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


def board_batches(project: Project, user, board_filter: BoardFilter) -> QuerySet:
    return board_filter.apply(Batch.objects.visible_to(user, project_perms(user, project), project), user)


def build_columns(
    project: Project,
    user,
    board_filter: BoardFilter,
    statuses: list[str] | None = None,
    shown: dict[str, int] | None = None,
) -> list[Column]:
    """The given columns (all four by default) with their first cards: three queries whatever the size."""
    statuses = [s for s in Status.values if statuses is None or s in statuses]
    shown = shown or {}
    limits = {s: min(max(COLUMN_PAGE, shown.get(s, 0)), MAX_REFRESH) for s in statuses}
    batches = board_batches(project, user, board_filter)
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
    columns = []
    for status in statuses:
        cards = by_status[status]
        more = len(cards) > limits[status]
        cards = cards[: limits[status]]
        columns.append(
            Column(
                status=status,
                batches=totals[status]["batches"],
                images=totals[status]["images"],
                cards=cards,
                cursor=encode_cursor(cards[-1]) if more else "",
                filtered=board_filter.active,
            )
        )
    prepare_cards([card for column in columns for card in column.cards], user, project)
    return columns


def column_page(project: Project, user, board_filter: BoardFilter, status: str, after: tuple[float, int]) -> Column:
    """The next cards of one column after a cursor (keyset paging: stable while cards move)."""
    position, pk = after
    cards = list(
        board_batches(project, user, board_filter)
        .filter(status=status)
        .filter(Q(position__gt=position) | Q(position=position, pk__lt=pk))
        .select_related("assignee")
        .order_by("position", "-id")[: COLUMN_PAGE + 1]
    )
    more = len(cards) > COLUMN_PAGE
    cards = cards[:COLUMN_PAGE]
    prepare_cards(cards, user, project)
    return Column(status=status, cards=cards, cursor=encode_cursor(cards[-1]) if more else "")


def board_token(project: Project, user) -> str:
    """A fingerprint of every batch of the project this person sees, in one aggregate query: any move,
    split, merge, delete or annotation progress changes it."""
    row = Batch.objects.visible_to(user, project_perms(user, project), project).aggregate(
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


def board_context(request, project: Project, board_filter: BoardFilter, columns: list[Column], **extra) -> dict:
    return {"project": project, "filter": board_filter, "columns": columns, **extra}


# --- views ----------------------------------------------------------------------------------------


@require_GET
@login_required
def board(request, project_pk: int):
    project = get_project_for(request.user, project_pk)
    board_filter = BoardFilter.from_data(request.GET)
    columns = build_columns(project, request.user, board_filter)
    context = board_context(request, project, board_filter, columns, token=board_token(project, request.user))
    if request.htmx and not request.htmx.history_restore_request:
        # The filter form: swap the columns in place.
        return render(request, "batches/board.html#columns_oob", {**context, "oob": True})
    context["annotators"] = users_with_role(project, "annotator").order_by("username")
    return render(request, "batches/board.html", context)


@require_GET
@login_required
def board_column(request, project_pk: int, status: str):
    project = get_project_for(request.user, project_pk)
    after = decode_cursor(request.GET.get("after"))
    if status not in Status.values or after is None:
        raise Http404("No such column page.")
    board_filter = BoardFilter.from_data(request.GET)
    column = column_page(project, request.user, board_filter, status, after)
    context = board_context(request, project, board_filter, [column], column=column)
    if request.htmx:
        return render(request, "batches/board.html#more_cards", context)
    return render(request, "batches/board.html", {**context, "single_column": True})


@require_GET
@login_required
def board_version(request, project_pk: int):
    """The live check: 204 without rendering anything when the client's token is current."""
    project = get_project_for(request.user, project_pk)
    token = board_token(project, request.user)
    if request.GET.get("token") == token:
        return HttpResponse(status=204)
    board_filter = BoardFilter.from_data(request.GET)
    columns = build_columns(project, request.user, board_filter, shown=parse_shown(request.GET.get("shown")))
    context = board_context(request, project, board_filter, columns, token=token, oob=True)
    return render(request, "batches/board.html#columns_oob", context)
