"""A request id on every log line of a request and in its X-Request-ID response header.

An id sent by the proxy (nginx's `$request_id`, a load balancer's) is kept when it is a plain token,
so one id follows the request through every layer; anything else is replaced by a fresh one.
"""

import re
import uuid
from contextvars import ContextVar

from django.core.signals import request_finished
from django.dispatch import receiver

HEADER = "X-Request-ID"
SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")

# Set when a request arrives and forgotten once its response is closed, which for a streamed export is
# after the last byte, long after the middleware returned: the export's log lines keep the id.
_current: ContextVar[str] = ContextVar("request_id", default="-")


def current_request_id() -> str:
    return _current.get()


def incoming_or_new(value: str | None) -> str:
    if value and SANE_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


@receiver(request_finished)
def _forget_request_id(**kwargs) -> None:
    _current.set("-")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = incoming_or_new(request.headers.get(HEADER))
        _current.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response
