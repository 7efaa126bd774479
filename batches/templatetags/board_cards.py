"""`{% board_cards cards compact %}`: the board's cards, each rendered once per content and kept in the cache.

A card's HTML depends only on what it shows (its batch row, thumbnails, age label, the viewer's
moves) and the language, so it is cached under a key made of exactly those: an unchanged card is
never rendered twice, by any worker sharing the cache (settings.CACHES). The one per-person part, the
CSRF token of the menu's forms, is a marker in the cached HTML, filled in for each page.
"""

from __future__ import annotations

import hashlib
from dataclasses import fields

from django import template
from django.core.cache import cache
from django.template.loader import get_template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

CARD_TEMPLATE = "batches/board.html#card"
CSRF_MARK = mark_safe("<!--card-csrf-->")
CARD_SECONDS = 24 * 3600
# Bump when the card partial changes shape, so no worker serves cards of the old template.
CARD_SHAPE = 3


def card_key(card, project_pk: int, language: str, manages: bool = False, compact: bool = False) -> str:
    """Everything the card shows: every column of its batch row, every field of the Card beside it
    (thumbnails, the viewer's moves, labels: whatever later work adds), the assignee's name, the language,
    and the density (a compact card is another rendering of the same batch)."""
    batch = card.batch
    row = tuple(getattr(batch, field.attname) for field in batch._meta.concrete_fields)
    extras = tuple(getattr(card, field.name) for field in fields(card) if field.name != "batch")
    shown = (
        CARD_SHAPE,
        project_pk,
        row,
        batch.assignee.username if batch.assignee_id else "",
        repr(extras),
        manages,  # a manager's card has a selection checkbox
        compact,
        language,
    )
    return "card:" + hashlib.sha256(repr(shown).encode()).hexdigest()[:32]


@register.simple_tag(takes_context=True)
def board_cards(context, cards, compact: bool = False) -> SafeString:
    if not cards:
        return mark_safe("")
    project = context["project"]
    language = get_language()
    membership = context.get("membership")
    manages = bool(membership and membership.manages)
    compact = bool(compact)
    keys = [card_key(card, project.pk, language, manages, compact) for card in cards]
    found = cache.get_many(keys)
    fresh = {}
    partial = get_template(CARD_TEMPLATE)
    html = []
    for key, card in zip(keys, cards, strict=True):
        if key not in found:
            found[key] = fresh[key] = partial.render(
                {"card": card, "project": project, "membership": membership, "card_csrf": CSRF_MARK, "compact": compact}
            )
        html.append(found[key])
    if fresh:
        cache.set_many(fresh, CARD_SECONDS)
    token = context.get("csrf_token")
    csrf = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token) if token else ""
    return mark_safe("".join(html).replace(CSRF_MARK, csrf))
