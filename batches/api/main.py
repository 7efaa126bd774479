"""The API object: authentication, rate limit, JSON parser, error answers, and the routers of every area."""

from __future__ import annotations

from ninja import NinjaAPI

from . import annotations, batches, classes, exports, images, members, moves, projects, uploads
from .auth import BrowserSession, RateLimit, TokenAuth
from .docs import LocalSwagger
from .errors import install
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
]

api = NinjaAPI(
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
            unique.append(pattern)
    return unique, app_name, namespace
