"""The API object: authentication, rate limit, JSON parser, error answers, and the routers of every area."""

from __future__ import annotations

import functools

from django.http import HttpResponseNotAllowed
from django.urls import URLPattern
from ninja import NinjaAPI

from . import annotations, batches, classes, exports, images, labels, members, moves, projects, uploads, webhooks
from .auth import BrowserSession, RateLimit, TokenAuth
from .docs import LocalSwagger
from .errors import install, method_not_allowed
from .parser import SafeParser

# (prefix, router): each area's endpoints live in its own module.
ROUTERS = [
    ("/projects", projects.router),
    ("/projects", classes.router),
    ("/projects", members.router),
    ("/projects", batches.router),
    ("/projects", moves.router),
    ("/projects", images.router),
    ("/projects", annotations.router),
    ("/projects", uploads.router),
    ("/projects", exports.router),
    ("/projects", labels.router),
    ("/projects", webhooks.router),
]

ERROR_SCHEMA = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {
            "type": "string",
            "enum": [
                "stale",
                "refused",
                "forbidden",
                "invalid",
                "not_found",
                "throttled",
                "unauthenticated",
                "precondition",
                "server_error",
                "unavailable",
            ],
        },
        "message": {"type": "string", "description": "for a person, in their language"},
        "errors": {
            "type": "array",
            "description": "422: what is wrong, per field",
            "items": {"type": "object", "properties": {"field": {"type": "string"}, "message": {"type": "string"}}},
        },
        "batch": {"type": "object", "nullable": True, "description": "409: the batch as it is now"},
        "changed_by": {"type": "object", "nullable": True, "description": "409: who changed it last, how and when"},
        "retry_after": {"type": "integer", "description": "429: seconds to wait (also the Retry-After header)"},
        "request_id": {"type": "string", "description": "500: the id to quote when reporting it"},
    },
}
ERROR_ANSWERS = {
    400: "invalid input",
    401: "no valid token or session",
    403: "your roles or your token's scope do not allow it",
    404: "no such thing, or you are not a member",
    409: "stale (the batch changed since your version) or refused (not possible from where it is)",
    422: "the body does not fit: errors per field",
    429: "throttled: wait Retry-After seconds",
}


class BinaBoardAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """The schema, with the error answers every operation may give (batches/api/errors.py)."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        for operations in schema["paths"].values():
            for operation in operations.values():
                if isinstance(operation, dict) and "responses" in operation:
                    for status, description in ERROR_ANSWERS.items():
                        operation["responses"].setdefault(status, {"description": description, **ref})
        return schema


api = BinaBoardAPI(
    title="BinaBoard API",
    version="1",
    description="Everything a person can do on the board, for programs. See docs/API.md.",
    urls_namespace="api",
    auth=[TokenAuth(), BrowserSession()],
    throttle=[RateLimit()],
    parser=SafeParser(),
    docs=LocalSwagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install(api)
for prefix, router in ROUTERS:
    api.add_router(prefix, router)


def answers_405_in_json(view):
    """The path's view, answering a method it does not take as every other API error (JSON, `code`, `message`),
    and HEAD as its GET (django-ninja knows only the methods an operation names; HTTP asks every GET to take
    HEAD too: uptime checks and link checkers send it). The server sends a HEAD answer's headers only."""

    @functools.wraps(view)  # keeps django-ninja's csrf_exempt: the API checks CSRF itself, for sessions only
    def answer(request, *args, **kwargs):
        head = request.method == "HEAD"
        if head:
            request.method = "GET"
        try:
            response = view(request, *args, **kwargs)
        finally:
            if head:
                request.method = "HEAD"
        if isinstance(response, HttpResponseNotAllowed):
            return method_not_allowed(api, request, response["Allow"])
        return response

    return answer


def urls():
    """The API's URL patterns, one per path: django-ninja adds a pattern per operation (GET and POST of one path
    are two patterns of which Django only ever reaches the first, which then serves every method)."""
    patterns, app_name, namespace = api.urls
    seen: set[str] = set()
    unique = []
    for pattern in patterns:
        route = str(pattern.pattern)
        if route not in seen:
            seen.add(route)
            view = answers_405_in_json(pattern.callback)
            unique.append(URLPattern(pattern.pattern, view, pattern.default_args, pattern.name))
    return unique, app_name, namespace
