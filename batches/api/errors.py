"""How the API answers when something did not happen: JSON with a stable `code` and a message for a person.

| code            | status   | when                                                                        |
| --------------- | -------- | --------------------------------------------------------------------------- |
| stale           | 409      | the batch changed since the version you sent (body: who, and its state now) |
| refused         | 409      | the move is not possible from where the batch is (body: its state now)      |
| forbidden       | 403      | your roles (or your token's scope) do not allow it                          |
| invalid         | 400, 422 | the input is wrong; 422 lists `errors` per field                            |
| not_found       | 404      | no such thing, or you are not a member (nothing leaks)                      |
| throttled       | 429      | too many requests; `Retry-After` says when to try again                     |
| unauthenticated | 401      | no valid token or session                                                   |
| precondition    | 428      | a move without the version you saw (`If-Match` or `version`)                |
"""

from __future__ import annotations

import math

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from accounts.calendars import localise_digits
from accounts.membership import MembershipError
from accounts.roles import RoleError

from ..errors import WorkflowError
from ..export import ExportError
from ..models import Batch, BatchEvent
from ..params import JsonBodyError

STATUS = {
    WorkflowError.STALE: 409,
    WorkflowError.REFUSED: 409,
    WorkflowError.FORBIDDEN: 403,
    WorkflowError.INVALID: 400,
}
HTTP_CODES = {400: "invalid", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "invalid"}


class ApiError(Exception):
    """An answer other than 2xx, raised anywhere in the API: status, code, message and extra fields."""

    def __init__(self, status: int, code: str, message: str, **extra):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = str(message)
        self.extra = extra


def event_json(event: BatchEvent | None) -> dict | None:
    if event is None:
        return None
    return {
        "by": event.actor.username if event.actor else None,
        "action": event.action,
        "at": event.created_at.isoformat(),
        "from_status": event.from_status or None,
        "to_status": event.to_status or None,
    }


def batch_state(pk: int | None) -> dict:
    """The batch as it is now and who changed it last (for a 409): read afresh, it may be gone."""
    if pk is None:
        return {"batch": None, "changed_by": None}
    batch = Batch.objects.filter(pk=pk).select_related("assignee").first()
    last = BatchEvent.objects.filter(batch_ref=pk).select_related("actor").order_by("-created_at", "-id").first()
    state = None
    if batch is not None:
        state = {
            "id": batch.pk,
            "status": batch.status,
            "version": batch.version,
            "assignee": batch.assignee.username if batch.assignee else None,
            "name": batch.name,
        }
    return {"batch": state, "changed_by": event_json(last)}


def _limit(error: dict, key: str) -> str:
    return localise_digits(str((error.get("ctx") or {}).get(key, "")))


# pydantic's messages are English only: the usual ones in the person's language, the rare rest as pydantic says.
FIELD_MESSAGES = {
    "missing": lambda error: _("This field is required."),
    "int_type": lambda error: _("Give a whole number."),
    "int_parsing": lambda error: _("Give a whole number."),
    "int_from_float": lambda error: _("Give a whole number."),
    "bool_type": lambda error: _("Give true or false."),
    "bool_parsing": lambda error: _("Give true or false."),
    "string_type": lambda error: _("Give text, in quotes."),
    "list_type": lambda error: _("Give a list, in square brackets."),
    "dict_type": lambda error: _("Give an object, in curly brackets."),
    "model_type": lambda error: _("Give an object, in curly brackets."),
    "model_attributes_type": lambda error: _("Give an object, in curly brackets."),
    "greater_than_equal": lambda error: _("Give %(limit)s or more.") % {"limit": _limit(error, "ge")},
    "less_than_equal": lambda error: _("Give %(limit)s or less.") % {"limit": _limit(error, "le")},
    "string_too_long": lambda error: _("Give at most %(limit)s characters.") % {"limit": _limit(error, "max_length")},
    "too_long": lambda error: _("Give at most %(limit)s items.") % {"limit": _limit(error, "max_length")},
}


def field_message(error: dict) -> str:
    translate = FIELD_MESSAGES.get(error.get("type", ""))
    return str(translate(error)) if translate else str(error.get("msg", ""))


def _answer(api, request, status: int, code: str, message: str, **extra):
    response = api.create_response(request, {"code": code, "message": str(message), **extra}, status=status)
    if code == "stale" and extra.get("batch"):
        response["ETag"] = f'"{extra["batch"]["version"]}"'
    return response


def method_not_allowed(api, request, allowed: str):
    """A method the path does not take: the API's JSON answer (django-ninja's own is a line of English text),
    with the Allow header of the methods it does take."""
    methods = {method.strip() for method in allowed.split(",") if method.strip()}
    allowed = ", ".join(sorted(methods | ({"HEAD"} if "GET" in methods else set())))  # HEAD is served as GET
    message = _("This address does not take %(method)s; it takes %(allowed)s.") % {
        "method": request.method,
        "allowed": allowed,
    }
    response = _answer(api, request, 405, "invalid", message)
    response["Allow"] = allowed
    return response


def install(api) -> None:
    """Every exception the API knows becomes its JSON answer."""

    def on_api_error(request, exc: ApiError):
        response = _answer(api, request, exc.status, exc.code, exc.message, **exc.extra)
        if exc.code == "throttled" and "retry_after" in exc.extra:
            response["Retry-After"] = str(exc.extra["retry_after"])
        return response

    def on_workflow_error(request, exc: WorkflowError):
        status = STATUS.get(exc.kind, 400)
        extra = {}
        if exc.kind in (WorkflowError.STALE, WorkflowError.REFUSED):
            extra = batch_state(getattr(exc.batch, "pk", None))
        return _answer(api, request, status, exc.kind, exc.message, **extra)

    def on_not_found(request, exc):
        # Never the exception's text beyond our own: a 404 must not tell a non-member what exists.
        return _answer(api, request, 404, "not_found", _("There is nothing here, or it is not shared with you."))

    def on_forbidden(request, exc):
        message = str(exc) or _("You do not have permission to do that.")
        return _answer(api, request, 403, "forbidden", message)

    def on_validation(request, exc: ValidationError):
        errors = [
            {
                "field": ".".join(
                    str(part)
                    for part in error.get("loc", ())
                    if part not in ("body", "payload", "query", "path", "filters", "paging")
                ),
                "message": field_message(error),
            }
            for error in exc.errors
        ]
        return _answer(api, request, 422, "invalid", _("Some fields are not valid."), errors=errors)

    def on_http_error(request, exc: HttpError):
        if isinstance(exc, Throttled):
            return on_throttled(request, exc)
        if isinstance(exc, AuthenticationError):
            return _answer(
                api, request, 401, "unauthenticated", _("Send a valid API token (Authorization: Bearer …) or sign in.")
            )
        cause = exc.__cause__
        message = str(cause) if isinstance(cause, JsonBodyError | ApiError) else exc.message
        if exc.status_code == 400 and not isinstance(cause, JsonBodyError | ApiError):
            message = _("The request body is not valid JSON.")
        if exc.status_code == 403:
            message = _("The CSRF check failed: send the X-CSRFToken header with the csrftoken cookie's value.")
        return _answer(api, request, exc.status_code, HTTP_CODES.get(exc.status_code, "invalid"), message)

    def on_throttled(request, exc: Throttled):
        # Rounded up, in the body and the Retry-After header alike: a caller who waits the number it was
        # given must not be refused again.
        wait = max(1, math.ceil(exc.wait or 1))
        response = _answer(
            api,
            request,
            429,
            "throttled",
            _("Too many requests: try again in %(seconds)s seconds.") % {"seconds": localise_digits(str(wait))},
            retry_after=wait,
        )
        response["Retry-After"] = str(wait)
        return response

    def on_too_big(request, exc):
        # django-ninja reads the body before the parser does: beyond DATA_UPLOAD_MAX_MEMORY_SIZE it raised here.
        return _answer(api, request, 413, "invalid", _("The request is too large."))

    def on_invalid_input(request, exc):
        return _answer(api, request, 400, "invalid", str(exc.message if hasattr(exc, "message") else exc))

    api.add_exception_handler(ApiError, on_api_error)
    api.add_exception_handler(WorkflowError, on_workflow_error)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(PermissionDenied, on_forbidden)
    api.add_exception_handler(ValidationError, on_validation)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(RequestDataTooBig, on_too_big)
    api.add_exception_handler(MembershipError, on_invalid_input)
    api.add_exception_handler(RoleError, on_invalid_input)
    api.add_exception_handler(ExportError, on_invalid_input)
