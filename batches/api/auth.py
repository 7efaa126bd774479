"""Who is calling: a personal API token (Authorization: Bearer …) or the browser's session (with CSRF).

A read-only token may only read (GET, HEAD); a token limited to some projects sees the others as a
non-member does (404). Every caller is rate limited per token (per person for the session) by a
counter in the cache: settings.API_RATE_LIMIT requests per API_RATE_WINDOW seconds.
"""

from __future__ import annotations

import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth
from ninja.throttling import BaseThrottle

from accounts.tokens import find_token

from ..ingest.limits import Limits
from ..views.upload import LimitedUploadHandler
from .errors import ApiError

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def prepare_uploads(request) -> None:
    """A multipart body is read through the upload limits (files over the limit are dropped while they stream
    in), before anything reads request.POST: the CSRF check of a session would parse it first."""
    if request.content_type == "multipart/form-data" and not hasattr(request, "_api_upload_handler"):
        handler = LimitedUploadHandler(request, Limits.from_settings())
        request.upload_handlers = [handler]
        request._api_upload_handler = handler


class TokenAuth(HttpBearer):
    """A personal API token (accounts/tokens.py)."""

    def __call__(self, request):
        prepare_uploads(request)
        request.api_token = None
        return super().__call__(request)

    def authenticate(self, request, token: str):
        found = find_token(token)
        if found is None:
            # A request that names a token is judged by it: an unknown, expired or revoked one is a 401, even
            # beside a signed-in session (which would otherwise act instead, or fail its CSRF check).
            raise AuthenticationError()
        if not found.writes and request.method not in SAFE_METHODS:
            raise ApiError(403, "forbidden", _("This token is read-only: it cannot change anything."))
        request.user = found.user
        request.api_token = found
        return found.user


class BrowserSession(SessionAuth):
    """The signed-in browser: the same session as the pages, and their CSRF check on every change."""

    def __call__(self, request):
        prepare_uploads(request)
        request.api_token = None
        return super().__call__(request)


class RateLimit(BaseThrottle):
    """A fixed-window counter per token (or per person on a session) in the shared cache."""

    def __init__(self):
        self._local = threading.local()  # one instance serves every request: the wait is per thread

    def allow_request(self, request) -> bool:
        limit = settings.API_RATE_LIMIT
        window = settings.API_RATE_WINDOW
        if not limit:
            return True
        token = getattr(request, "api_token", None)
        who = f"t{token.digest[:20]}" if token is not None else f"u{getattr(request.user, 'pk', None)}"
        now = time.time()
        start = int(now // window)
        key = f"api-rate:{who}:{start}"
        cache.add(key, 0, timeout=window + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # evicted between add and incr
            cache.set(key, 1, timeout=window + 1)
            count = 1
        self._local.retry_after = (start + 1) * window - now
        return count <= limit

    def wait(self) -> float | None:
        return getattr(self._local, "retry_after", None)
