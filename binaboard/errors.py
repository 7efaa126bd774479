"""Error pages: the app's own page with its header and a way back, or JSON for JSON clients.

A request gets JSON when it prefers `application/json` (the annotate workspace's fetches) or when it
reached a view marked `answers_json` (see batches.views.annotate.json_view). The 500 page renders
without context processors, so it still works when the database or a session is what failed, and a
database that cannot be reached answers 503 with Retry-After instead of 500.
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csp import get_nonce
from django.shortcuts import render
from django.template import loader
from django.utils.html import escape
from django.utils.translation import gettext as _

from .request_id import current_request_id

log = logging.getLogger("binaboard.errors")

RETRY_AFTER_SECONDS = 30


def wants_json(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    if match is not None and getattr(match.func, "answers_json", False):
        return True
    if request.path.startswith("/api/"):  # the API (batches/api) answers JSON, its unknown URLs too
        return True
    return request.get_preferred_type(["text/html", "application/json"]) == "application/json"


def _json_error(status: int, kind: str, message: str) -> JsonResponse:
    return JsonResponse({"error": message, "kind": kind, "request_id": current_request_id()}, status=status)


def _page(request: HttpRequest, status: int, kind: str, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):  # the API's error shape (batches/api/errors.py)
        return JsonResponse({"code": kind, "message": message}, status=status)
    if wants_json(request):
        return _json_error(status, kind, message)
    return render(request, f"{status}.html", {"message": message}, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _page(request, 400, "bad_request", _("The request could not be understood. Go back and try again."))


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    # Our own PermissionDenied messages are written for the person who hit them; Django's are empty.
    message = str(exception) or _("You do not have permission to do that.")
    return _page(request, 403, "forbidden", message)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    # Never the exception's text: a 404 must not tell a non-member what exists.
    return _page(request, 404, "not_found", _("There is nothing here, or it is not shared with you."))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    message = _("This form has expired or came from another site. Reload the page and try again.")
    return _page(request, 403, "csrf", message)


def database_unavailable(exc: BaseException | None) -> bool:
    while exc is not None:
        if isinstance(exc, OperationalError | InterfaceError):
            return True
        exc = exc.__cause__
    return False


def server_error(request: HttpRequest) -> HttpResponse:
    """500, or 503 when the database is out of reach; never touches the database or the session."""
    if database_unavailable(sys.exception()):
        status, kind = 503, "unavailable"
        message = _("BinaBoard cannot reach its database right now. Please try again in a minute.")
    else:
        status, kind = 500, "server_error"
        message = _("Something went wrong on our side. It has been logged; please try again.")
    if request.path.startswith("/api/"):  # the API's error shape (batches/api/errors.py), and the id to quote
        response = JsonResponse({"code": kind, "message": message, "request_id": current_request_id()}, status=status)
    elif wants_json(request):
        response = _json_error(status, kind, message)
    else:
        context = {"message": message, "request_id": current_request_id(), "csp_nonce": get_nonce(request)}
        try:
            body = loader.get_template(f"{status}.html").render(context)
        except Exception:  # e.g. static files were never collected: still answer, plainly
            log.exception("the %s page could not be rendered", status)
            body = f"<!doctype html><title>{status}</title><p>{escape(message)}</p>"
        response = HttpResponse(body, status=status)
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
