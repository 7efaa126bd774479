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
after the first moment one of its labels would read differently (`labels_valid_until` in batches/views/board.py, beside the labels). A page found under
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

    def store(self, html: str, started: datetime, labels_change: datetime | None) -> None:
        """Keep the page until LABEL_GRACE after the first of its cards' labels would change (`labels_change`,
        reckoned from `started`, a moment taken before its rows were read), at most PAGE_SECONDS; under the
        people's value read before them too."""
        if not self.usable:
            return
        until = started + timedelta(seconds=PAGE_SECONDS)
        if labels_change is not None:
            until = min(until, labels_change + timedelta(seconds=LABEL_GRACE))
        valid_until = until.timestamp()
        seconds = valid_until - time.time()
        if seconds > 1:
            cache.set(self.key, (self.people, valid_until, html), int(seconds))

    def fill(self, html: str) -> str:
        """The page with this request's own CSRF token and CSP nonce in place of the markers."""
        html = html.replace(CSRF_MARK, get_token(self.request))
        if NONCE_MARK in html:
            html = html.replace(NONCE_MARK, str(get_nonce(self.request)))
        return html


def page_markers() -> dict:
    """What the page is rendered with instead of the request's own token and nonce."""
    return {"csrf_token": CSRF_MARK, "csp_nonce": NONCE_MARK}


__all__ = ["BoardPage", "page_markers"]
