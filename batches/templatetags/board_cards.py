"""`{% board_cards cards compact %}`: the board's cards, each rendered once per content and kept in the cache.

A card's HTML depends only on what it shows (its batch row, thumbnails, age label, the viewer's
moves) and the language, so it is cached under a key made of exactly those: an unchanged card is
never rendered twice, by any worker sharing the cache (settings.CACHES). The one per-person part, the
CSRF token of the menu's forms, is a marker in the cached HTML, filled in for each page.

The key's first characters are also the card's `data-sig`: the browser sends them back with a live
poll or a move, and the answer carries only the cards whose signature changed (batches/views/board_live.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import fields

from django import template
from django.core.cache import cache
from django.template.loader import get_template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from accounts import calendars

register = template.Library()

CARD_TEMPLATE = "batches/board.html#card"
CSRF_MARK = mark_safe("<!--card-csrf-->")
CARD_SECONDS = 24 * 3600
# Bump when the card partial changes shape, so no worker serves cards of the old template.
CARD_SHAPE = 5
SIG_LENGTH = 10  # hex characters of the key a card carries as data-sig


def _stable(value):
    """A value as the card shows it, the same in every process: a menu item is its move's name, words and
    flags (the repr of its rule book row names a function by its memory address, which differs from one
    process to the next, so cards cached by one worker were never found by another)."""
    if isinstance(value, list | tuple):
        return tuple(_stable(item) for item in value)
    if hasattr(value, "action") and hasattr(value, "label"):
        return (value.action, str(value.label), bool(value.dialog), bool(value.danger))
    return value


def card_keys(cards, project_pk: int, language: str, manages: bool = False, compact: bool = False) -> list[str]:
    """Each card's key: everything it shows. Every column of its batch row, every field of the Card beside
    it (thumbnails, the viewer's moves, labels: whatever later work adds), the assignee's name, the
    language, the calendar and time zone its dates are written in, and the density (a compact card is
    another rendering of the same batch). Cards alike share their menu (prepare_cards): each shared
    menu is made stable once per call, not once per card."""
    if not cards:
        return []
    names = [f.name for f in fields(cards[0]) if f.name != "batch"]
    attnames = [f.attname for f in cards[0].batch._meta.concrete_fields]
    page = (
        CARD_SHAPE,
        project_pk,
        manages,  # a manager's card has a selection checkbox
        compact,
        language,
        calendars.current(),
        timezone.get_current_timezone_name(),
    )
    shared: dict[int, object] = {}
    keys = []
    for card in cards:
        batch = card.batch
        extras = []
        for name in names:
            value = getattr(card, name)
            if isinstance(value, list) and value and not isinstance(value[0], int):
                if id(value) not in shared:
                    shared[id(value)] = _stable(value)
                value = shared[id(value)]
            elif isinstance(value, list):
                value = tuple(value)
            extras.append(value)
        shown = (
            page,
            tuple(getattr(batch, attname) for attname in attnames),
            batch.assignee.username if batch.assignee_id else "",
            extras,
        )
        keys.append("card:" + hashlib.sha256(repr(shown).encode()).hexdigest()[:32])
    return keys


def card_key(card, project_pk: int, language: str, manages: bool = False, compact: bool = False) -> str:
    return card_keys([card], project_pk, language, manages, compact)[0]


def card_sig(key: str) -> str:
    """What the browser keeps of a card's key (data-sig) to say which version of the card it shows."""
    return key[5 : 5 + SIG_LENGTH]


def render_cards(
    cards, project, membership, csrf_token: str | None, keys: list[str] | None = None, compact: bool = False
) -> list[str]:
    """Each card's HTML, from the cache or rendered (and cached) once, with this page's CSRF token."""
    if not cards:
        return []
    manages = bool(membership and membership.manages)
    compact = bool(compact)
    if keys is None:
        language = get_language()
        keys = card_keys(cards, project.pk, language, manages, compact)
    found = cache.get_many(keys)
    fresh = {}
    partial = None
    for key, card in zip(keys, cards, strict=True):
        if key not in found:
            partial = partial or get_template(CARD_TEMPLATE)
            found[key] = fresh[key] = partial.render(
                {
                    "card": card,
                    "project": project,
                    "membership": membership,
                    "card_csrf": CSRF_MARK,
                    "card_sig": card_sig(key),
                    "compact": compact,
                }
            )
    if fresh:
        cache.set_many(fresh, CARD_SECONDS)
    csrf = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', csrf_token) if csrf_token else ""
    return [found[key].replace(CSRF_MARK, csrf) for key in keys]


@register.simple_tag(takes_context=True)
def board_cards(context, cards, compact: bool = False) -> SafeString:
    html = render_cards(
        cards, context["project"], context.get("membership"), context.get("csrf_token"), compact=compact
    )
    return mark_safe("".join(html))
