"""/healthz and /readyz for load balancers and process supervisors.

/healthz: the process answers (no database), for restarts. /readyz: the database and the file
storage answer, for taking a server in or out of rotation; the checks are listed in
settings.READINESS_CHECKS, so a task queue adds one line there. Both answer a status code and one
word: the reason for a failure goes to the log, never to the public.

Served by a middleware placed before the host check and the HTTPS redirect: probes come by IP over
plain HTTP, and a refused host or a redirect would read as "down".
"""

import logging
import os
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.db import connections
from django.http import HttpResponse
from django.utils.module_loading import import_string

log = logging.getLogger("binaboard.health")

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"


def database_ready() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")


def storage_ready() -> None:
    storage = storages["default"]
    if isinstance(storage, FileSystemStorage):
        # MEDIA_ROOT appears with the first upload; until then its parent must take it.
        location = Path(storage.location)
        target = location if location.exists() else location.parent
        if not os.access(target, os.W_OK | os.X_OK):
            raise PermissionError(f"{target} is not writable")
    else:
        storage.listdir("")  # one request to the bucket: reachable, and the credentials work


def readiness_checks() -> list[Callable[[], None]]:
    return [import_string(path) for path in settings.READINESS_CHECKS]


def _answer(status: int, word: str) -> HttpResponse:
    response = HttpResponse(word + "\n", status=status, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def healthz(request) -> HttpResponse:
    return _answer(200, "ok")


def readyz(request) -> HttpResponse:
    for check in readiness_checks():
        try:
            check()
        except Exception:
            log.exception("readiness check %s failed", check.__name__)
            return _answer(503, "unavailable")
    return _answer(200, "ok")


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.views = {HEALTH_PATH: healthz, READY_PATH: readyz}

    def __call__(self, request):
        view = self.views.get(request.path_info)
        if view is not None and request.method in {"GET", "HEAD"}:
            return view(request)
        return self.get_response(request)
