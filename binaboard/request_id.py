"""A request id on every log line of a request and in its X-Request-ID response header.

An id sent by the proxy (nginx's `$request_id`, a load balancer's) is kept when it is a plain token,
so one id follows the request through every layer; anything else is replaced by a fresh one.
"""

import re
import uuid
from contextvars import ContextVar

HEADER = "X-Request-ID"
SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")

# Set at the start of each request and deliberately not reset at its end: a streamed response (an
# export) logs after the middleware has returned, and the next request on the thread sets its own.
_current: ContextVar[str] = ContextVar("request_id", default="-")


def current_request_id() -> str:
    return _current.get()


def incoming_or_new(value: str | None) -> str:
    if value and SANE_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = incoming_or_new(request.headers.get(HEADER))
        _current.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response
