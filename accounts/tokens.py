"""Personal API tokens: made on the settings page, shown once, stored as a SHA-256 digest only.

A token is "bb_" + 43 random URL-safe characters (256 bits), so a plain SHA-256 is enough to store it:
nothing can be guessed from the digest, and finding a token costs one indexed lookup per request.
A token acts for its person with their roles, narrowed by its scope (read only: GET and HEAD) and,
when it names projects, to those projects (any other project answers 404, as to a non-member).
Revoking is immediate; an expired token stops working at its expiry.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import ApiToken, Project

log = logging.getLogger("accounts.tokens")

PREFIX = "bb_"
# last_used_at is written at most this often per token: a busy pipeline does not write on every request.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown to the person once, never stored


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


@transaction.atomic
def create_token(*, user, name: str, scope: str, expires_in_days: int | None, projects=()) -> NewToken:
    secret = PREFIX + secrets.token_urlsafe(32)
    expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
    token = ApiToken.objects.create(
        user=user, name=name, scope=scope, prefix=secret[:10], digest=digest_of(secret), expires_at=expires_at
    )
    if projects:
        token.projects.set(projects)
    return NewToken(token, secret)


def find_token(secret: str) -> ApiToken | None:
    """The active token with this secret, its person loaded, or None (unknown, revoked, expired, inactive user)."""
    if not isinstance(secret, str) or not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(digest=digest_of(secret)).first()
    if token is None or not token.is_active or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def revoke(token: ApiToken) -> bool:
    """Revoke now; False when it was revoked already."""
    changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    return bool(changed)


def revoke_all(user, *, reason: str) -> int:
    """Revoke every token of this person that still works; how many. Called with a new password: a token made
    under the old one (perhaps by whoever knew it) must not outlive it, as Django's other sessions do not."""
    now = timezone.now()
    working = Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    count = ApiToken.objects.filter(working, user=user, revoked_at__isnull=True).update(revoked_at=now)
    if count:
        log.info("%d API tokens of user %s (%s) revoked: %s", count, user.pk, user.get_username(), reason)
    return count


def allowed_project_ids(token: ApiToken) -> set[int] | None:
    """The projects the token is limited to, or None for every project of its person (one query, cached)."""
    if not hasattr(token, "_project_ids"):
        ids = set(token.projects.values_list("pk", flat=True))
        token._project_ids = ids or None
    return token._project_ids


def reaches(token: ApiToken | None, project: Project | int) -> bool:
    if token is None:
        return True
    ids = allowed_project_ids(token)
    pk = project if isinstance(project, int) else project.pk
    return ids is None or pk in ids
