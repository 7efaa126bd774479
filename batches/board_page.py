"""The board's whole page, kept in the cache while nothing it shows has changed (#14).

A board is opened again and again (every visit, every reload, every tab) while most of the time nothing on
it has moved. Its page is a function of what the request reads before rendering:

- the person: their name, staff flag, board layout and permissions in the project;
- the project's row, the filter, the path, the language, calendar and time zone;
- the board's fingerprint (BoardState: every batch the person sees, with its counts, versions, progress,
  activity and last change);
- the people whose names can show (PEOPLE_KEY: a new value whenever a user is renamed or deleted, or given
  or taken a role in a project);
- the clock, through the cards' age, activity and "waiting N days" labels.

All but the clock make the key; the clock makes each stored page's end of validity: LABEL_GRACE seconds
after the first moment one of its labels would read differently (`labels_valid_until`). A page found under
its key, and still valid, is the page a fresh render would give, byte for byte (its age labels at most
LABEL_GRACE behind), except for what is the request's own: the CSRF token and the CSP nonce, both markers
in the stored page filled in for each response. A page with a message to show (a toast after a redirect) is
neither taken from nor put into the cache.

The key also names this process (BOOT): a stored page is only ever served by the code that rendered it, so
a deploy (new templates, new code) never serves a page of the old one. docs/decisions/board-page-cache.md
says why and what it costs.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.middleware.csp import get_nonce
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.translation import get_language

from accounts import calendars
from accounts.models import ProjectUserObjectPermission

from .models import Batch
from .stale import WAITING, waiting_since

Status = Batch.Status
PAGE_SECONDS = 300  # at most this long in the cache, whatever the labels' validity
# A stored page is served until this many seconds after its first label would read differently: a board
# whose cards moved within the hour has a minute label ticking over every few seconds (80 cards, each at its
# own second), which would end every page as soon as it is stored. A label a few seconds behind the clock is
# what any page loaded a moment ago shows, and what an open board shows between changes (its live poll
# refreshes a column's labels only when the column changes).
LABEL_GRACE = 15
BOOT = secrets.token_hex(8)
CSRF_MARK = f"csrf{secrets.token_hex(16)}"
NONCE_MARK = f"nonce{secrets.token_hex(16)}"
PEOPLE_KEY = "board-page:people"
ACTIVE_WINDOW = 600  # seconds: a card says "annotator active N s ago" for this long after a save


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


@receiver(post_save, sender=get_user_model(), dispatch_uid="board_page_people_saved")
@receiver(post_delete, sender=get_user_model(), dispatch_uid="board_page_people_deleted")
def people_changed(update_fields=None, **kwargs) -> None:
    """A name on a card (an assignee) or in the filter may have changed: no stored page is served again. A
    save of named fields without the name (signing in writes the last login; a board layout) changes none."""
    if update_fields is not None and "username" not in update_fields:
        return
    _new_people()


@receiver(post_save, sender=ProjectUserObjectPermission, dispatch_uid="board_page_role_given")
@receiver(post_delete, sender=ProjectUserObjectPermission, dispatch_uid="board_page_role_taken")
def roles_changed(**kwargs) -> None:
    """Someone became an annotator of a project or stopped being one (the filter lists them; guardian's
    assign_perm and remove_perm, the admin and a cascade all save or delete these rows one by one)."""
    _new_people()


def _new_people() -> None:
    # Once the change is committed: set inside its transaction, a page rendered meanwhile (the old name
    # still read) would be stored under the new value and served after the commit.
    transaction.on_commit(lambda: cache.set(PEOPLE_KEY, secrets.token_hex(8), None))


class BoardPage:
    """One request's board page: found in the cache, or rendered by the caller and stored."""

    def __init__(self, request, membership, board_filter, state) -> None:
        self.request = request
        user = request.user
        project = membership.project
        self.usable = not len(get_messages(request))
        self.people = None
        shown = (
            BOOT,
            request.get_full_path(),
            get_language(),
            calendars.current(),
            timezone.get_current_timezone_name(),
            user.pk,
            user.get_username(),
            user.is_staff,
            repr(user.board_layout),
            tuple(sorted(membership.perms)),
            tuple(getattr(project, field.attname) for field in project._meta.concrete_fields),
            board_filter.q,
            board_filter.assignee,
            state.parts,
            state.totals,
            state.activity,
        )
        self.key = f"board-page:{project.pk}:" + hashlib.sha256(repr(shown).encode()).hexdigest()

    def cached(self) -> str | None:
        """The stored page for this key, if the people behind its names and its labels are still as stored."""
        if not self.usable:
            return None
        found = cache.get_many([self.key, PEOPLE_KEY])
        self.people = found.get(PEOPLE_KEY)
        if self.people is None:
            # Never set, or evicted: a new value, which no stored page has (a counter could start again
            # at a value stored pages still carry).
            self.people = secrets.token_hex(8)
            cache.set(PEOPLE_KEY, self.people, None)
            return None
        stored = found.get(self.key)
        if stored is None:
            return None
        people, valid_until, html = stored
        if people != self.people or time.time() >= valid_until:
            return None
        return html

    def store(self, html: str, batches, started: datetime) -> None:
        """Keep the page until LABEL_GRACE after the first of its cards' labels would change (from `started`,
        a moment taken before its rows were read), at most PAGE_SECONDS; under the people's value read before
        them too."""
        if not self.usable:
            return
        moments = [moment for batch in batches if (moment := labels_valid_until(batch, started)) is not None]
        labels_change = min(moments) + timedelta(seconds=LABEL_GRACE) if moments else None
        valid_until = min(filter(None, [started + timedelta(seconds=PAGE_SECONDS), labels_change])).timestamp()
        seconds = valid_until - time.time()
        if seconds > 1:
            cache.set(self.key, (self.people, valid_until, html), int(seconds))

    def fill(self, html: str) -> str:
        """The page with this request's own CSRF token and CSP nonce in place of the markers."""
        html = html.replace(CSRF_MARK, get_token(self.request))
        if NONCE_MARK in html:
            html = html.replace(NONCE_MARK, str(get_nonce(self.request)))
        return html


def render_context() -> dict:
    """What the page is rendered with instead of the request's own token and nonce."""
    return {"csrf_token": CSRF_MARK, "csp_nonce": NONCE_MARK}


__all__ = ["BoardPage", "labels_valid_until", "render_context"]
