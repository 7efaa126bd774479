"""Log records carry the request id, and errors about a request say which request and whose.

RequestContextFilter sits on the console handler, so it sees every record, whichever logger made it.
"""

import logging

from django.http import HttpRequest
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter

from .request_id import current_request_id

REQUEST_FIELDS = ("method", "path", "user_id")


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        # django.request and django.security pass the HttpRequest; the development server's django.server
        # passes its socket (on every 4xx/5xx line), which has neither a method nor a path.
        request = getattr(record, "request", None)
        if isinstance(request, HttpRequest) and not hasattr(record, "path"):
            record.method = request.method
            record.path = request.get_full_path()
            record.user_id = _user_id(request)
        return True


def _user_id(request) -> int | None:
    # Loading the user may need the database, which may be the very thing that failed.
    try:
        user = request.user
        return user.pk if user.is_authenticated else None
    except Exception:
        return None


class PlainFormatter(logging.Formatter):
    """`time LEVEL [request id] logger: message`, then `(GET /path user=7)` for a request's error."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        if hasattr(record, "path"):
            user = record.user_id if record.user_id is not None else "-"
            line += f" ({record.method} {record.path} user={user})"
        return line


class JsonFormatter(BaseJsonFormatter):
    """One JSON object per line; extra fields (a workflow move's batch, action, ...) stay fields."""

    def __init__(self, *args, **kwargs):
        # The request object itself is not data: its method, path and user id are copied out.
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request"])
        super().__init__(*args, **kwargs)
