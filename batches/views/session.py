"""The session check the workspaces and the board ask after "signed out, sign in again (new tab), retry"."""

from __future__ import annotations

from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@require_safe
@never_cache
def session_csrf(request):
    """The CSRF token for this browser now (signing in again changes it) and whether it is signed in."""
    return JsonResponse({"csrfToken": get_token(request), "authenticated": request.user.is_authenticated})
