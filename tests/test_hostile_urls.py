"""Every URL of the project, as every kind of visitor, with hostile values everywhere: never a 5xx, never a change.

The walk reads the URL patterns themselves (the admin's included), so a route added later is covered
without touching this file; a route whose parameters the walker cannot fill fails the test and says so.
Each pattern is filled with the ids of real objects (so the views get past their 404s and read their
input) and with hostile ids. Every request sends every field name any form or view here reads, all
set to one hostile value, as GET query and as POST body, plus a 10,000-deep JSON body.

Text fields of a POST always get text too long for any form (the hostile value plus 10 kB), so a
POST that would create something with a value that happens to be a fine name (say "٣", or a name
once its invisible characters are removed) is still refused: the database must not change.
Each (visitor, URL, method) runs inside a savepoint that is rolled back afterwards, so one request's
effect never hides another's; the database is compared (row counts and contents) before the rollback.

Each visitor's routes are dealt into shards, one test each, so pytest-xdist spreads the walk over its
workers (one test per visitor kept one worker busy minutes after the other had finished); together the
shards of a visitor cover every route, which test_the_shards_deal_out_every_route_once checks. The admin
knows three kinds of visitor, staff, a signed-in account that is not staff, and nobody: the superuser, the
outsider and the anonymous visitor walk it (a project's members are the outsider there).

What this walk does not check has walks of its own: that another project's ids answer exactly what an id that
exists nowhere answers (test_cross_project_ids.py), that a POST without the CSRF token is refused everywhere
(test_csrf_everywhere.py), and that typed names with markup reach every page escaped (test_hostile_names.py).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import inspect
import json
import logging
import re
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.utils.http import urlencode
from django.utils.regex_helper import normalize
from django.views.decorators.http import require_http_methods
from ninja.operation import PathView

from accounts.invitations import invite
from accounts.models import Notification
from accounts.roles import grant_role
from batches import workflow
from batches.models import Batch, Image, LabelClass, Project, Webhook
from tests.factories import annotate, batch_in, make_batch, make_project, make_user, stored_image_rows

NUL = "a\x00b"
# NUL (PostgreSQL refuses it in text), an escape sequence, and bidi overrides and isolates.
INVISIBLE = "\u202eevil\x00\x1b[31m\u2066txt\u2069\x7f"
LONG = "x" * 10_240
ARABIC_THREE = "\u0663"
SUPERSCRIPT_TWO = "\u00b2"
HUGE = str(10**30)
NEGATIVE = "-1"
NESTED = "[" * 10_000 + "]" * 10_000  # a JSON body
# In a form field, 2,000 levels already exceed Python's recursion limit, at a fifth of the cost.
NESTED_FIELD = "[" * 2_000 + "]" * 2_000

# Chunks in upload.js's framed format (batches/uploads/frames.py), malformed every way, to the URLs that read
# that format (an upload's /files, on the pages and in the API): every other view sees an unknown content type
# and an empty form, which the walk sends everywhere already. Sent everywhere, they doubled the walk's time.
FRAMED = "application/vnd.binaboard.chunk"
FRAMED_URL = re.compile(r"/uploads/[^/]+/files/?$")


def _framed(manifest: bytes, rest: bytes = b"") -> bytes:
    return len(manifest).to_bytes(4, "big") + manifest + rest


FRAMED_BODIES = [
    b"\xff\xff\xff\xff",  # a manifest longer than anything
    _framed(b"[" * 10_000),
    # Names with invisible characters, and sizes that lie (the body is shorter than they say).
    _framed(json.dumps([{"name": INVISIBLE, "size": 3}, {"name": "b", "size": -1}]).encode(), b"abc"),
    _framed(json.dumps([{"name": INVISIBLE + LONG, "size": 10**30}]).encode(), b"x"),
    _framed(b'[{"name": "a", "size": 1e99}]', b"x"),
]

EVERY_VALUE = [INVISIBLE, LONG, ARABIC_THREE, SUPERSCRIPT_TWO, HUGE, NEGATIVE, "", NESTED_FIELD, "nan"]
# Who reads less of the input gets fewer values: enough to reach every parser once.
SOME_VALUES = [INVISIBLE, SUPERSCRIPT_TWO, HUGE, NESTED_FIELD]
ADMIN_VALUES = [INVISIBLE, LONG, SUPERSCRIPT_TWO, HUGE, "", NESTED_FIELD]
STRANGER_VALUES = [INVISIBLE, HUGE]
HTMX_VALUES = {INVISIBLE}  # htmx requests take other branches (partials)

# Every field name a form, template or view of the project reads (grep name=" in templates/, the
# form classes and request.GET/POST in the views), and the admin's.
FIELDS = [
    # board, moves, dialogs
    "q",
    "assignee",
    "compact",
    "sort",
    "collapsed",
    "column",
    "images",
    "assignees",
    "after",
    "before",
    "shown",
    "token",
    "from",
    "to",
    "action",
    "version",
    "scope",
    "count",
    "other",
    "name",
    "comment",
    "confirm",
    "confirmed",
    "dialog",
    "next",
    "move",
    "page",
    # workspaces
    "image",
    "offset",
    "end",
    "current",
    "flagged",
    "note",
    "boxes",
    "no_objects",
    # upload and export
    "folder",
    "files",
    "batches",
    "format",
    "include_images",
    "split",
    "train",
    "val",
    "test",
    "seed",
    # webhooks and the label import
    "url",
    "events",
    "active",
    "new_secret",
    "archive",
    "unknown",
    # .zip archives in parts (upload sessions)
    "index",
    "size",
    "sha256",
    "part",
    "mapping",
    # API tokens (settings page)
    "expires",
    "projects",
    # accounts
    "who",
    "roles",
    "description",
    "review_required",
    "allow_self_review",
    "key",
    "colour",
    "username",
    "password",
    "old_password",
    "new_password1",
    "new_password2",
    "password1",
    "password2",
    "usable_password",
    "email",
    "first_name",
    "last_name",
    "is_active",
    "is_staff",
    "is_superuser",
    "groups",
    "user_permissions",
    "permissions",
    "project",
    "batch",
    "status",
    "state",
    "label_class",
    # notifications (issue 18): open from the list, and the e-mail choice of each kind
    "open",
    *Notification.Kind.values,
    # the admin
    "o",
    "p",
    "e",
    "all",
    "_selected_action",
    "select_across",
    "index",
    "_save",
    "_continue",
    "_addanother",
    "_changelist_filters",
    "_to_field",
    "_popup",
    "term",
    "app_label",
    "model_name",
    "field_name",
    "post",
    "action_checkbox",
    "project__id__exact",
    "status__exact",
    "batch__id__exact",
]
TEXT_FIELDS = {
    "q",
    "name",
    "comment",
    "note",
    "folder",
    "who",
    "description",
    "colour",
    "username",
    "password",
    "old_password",
    "new_password1",
    "new_password2",
    "password1",
    "password2",
    "email",
    "first_name",
    "last_name",
    "term",
}
# POSTs that change the database by design with no field to refuse (a confirmed removal; saving
# axes' read-only logs in the admin); only "no 5xx" holds for them. Sessions and sign-in attempts
# (django-axes records every failed one) are not compared at all.
CHANGES_BY_DESIGN = {
    "member_remove",
    "label_class_delete",
    "logout",
    "admin:logout",
    "delete",
    "webhook_test",
    "api:webhook_test",  # the same test event through the API
    "notifications_read_all",  # marks the visitor's notifications read, whatever the input
    "invitation_revoke",  # a confirmed revoke
}
CHANGES_BY_DESIGN_PREFIXES = ("admin:axes_",)
IGNORED_TABLES = ("django_session", "axes_")
HOSTILE_PATH_VALUES = {"int": ["0", "9" * 30], "other": ["\x00", ARABIC_THREE, "\u202e", "x" * 300]}


@dataclass
class Route:
    template: str
    pattern: URLPattern
    name: str = field(default="")


def _part(pattern) -> str:
    """One pattern's piece of the route, with <conv:name> placeholders (regex routes normalised)."""
    route = getattr(pattern.pattern, "_route", None)
    if route is not None:
        return route
    regex = pattern.pattern._regex
    text, params = normalize(regex)[0]
    for param in params:
        text = text.replace(f"%({param})s", f"<regex:{param}>")
    return text


def walk(patterns=None, prefix: str = "", namespace: str = ""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from walk(pattern.url_patterns, prefix + _part(pattern), inner)
        else:
            yield Route(prefix + _part(pattern), pattern, f"{namespace}{pattern.name or ''}")


PLACEHOLDER = re.compile(r"<(?:(\w+):)?(\w+)>")


class World:
    """A project with batches in every column, boxes, a flagged image, and a second project."""

    def __init__(self):
        self.project = make_project("Street scenes")
        self.manager = make_user("manager")
        self.annotator = make_user("annotator")
        self.reviewer = make_user("reviewer")
        self.outsider = make_user("outsider")
        self.root = make_user("root", is_superuser=True, is_staff=True)
        grant_role(self.project, self.manager, "manager")
        grant_role(self.project, self.annotator, "annotator")
        grant_role(self.project, self.reviewer, "reviewer")
        self.label_class = self.project.label_classes.first() or LabelClass.objects.create(
            project=self.project, name="car"
        )
        people = {"manager": self.manager, "annotator": self.annotator, "reviewer": self.reviewer}
        self.batches = {status: batch_in(status, self.project, images=3, **people) for status in Batch.Status.values}
        stored = workflow.create_batch(
            actor=self.manager, project=self.project, name="Stored", images=stored_image_rows(self.project, 2)
        )
        self.stored_image = stored.images.first()
        annotating = self.batches[Batch.Status.ANNOTATING]
        annotate(annotating.images.first(), self.label_class, author=self.annotator)
        review = self.batches[Batch.Status.REVIEW]
        workflow_image = review.images.first()
        Image.objects.filter(pk=workflow_image.pk).update(review_flag=True, review_note="blurry")
        self.group = Group.objects.create(name="helpers")
        self.webhook = Webhook.objects.create(
            project=self.project, url="https://hooks.example/in", secret="whsec_x", events=["batch.created"]
        )
        self.invitation = invite(
            project=self.project, inviter=self.manager, who="someone@example.com", roles=["annotator"]
        )
        other = make_project("Elsewhere")
        make_batch(other, self.root, images=1)

    def fills(self, route: Route, actor: str) -> list[dict]:
        """Valid values for the route's parameters, one dict per variant worth visiting.

        A batch page is visited with a batch in every column by the manager, and with the batch
        their work is on by the others (a stranger's 404 is the same for any batch).
        """
        names = {name for _, name in PLACEHOLDER.findall(route.template)}
        base = {"project_pk": self.project.pk, "user_pk": self.annotator.pk, "class_pk": self.label_class.pk}
        # Issue 18: signed or random tokens (a made-up one reads as not found), a pending invitation.
        base.update(token="not-a-token", uidb64="MQ", invitation_pk=self.invitation.pk)
        if route.template.startswith("images/"):
            return [{"pk": self.stored_image.pk}]
        if "project_pk" not in names:
            base["pk"] = self.project.pk
        base["image_pk"] = self.batches[Batch.Status.ANNOTATING].images.first().pk
        base.update(status="annotating", action="assign", table="cfd")  # table: the flow CSVs (rework #19)
        base.update(self._admin_values(route))
        if route.name.startswith("webhook_"):
            return [{**base, "pk": self.webhook.pk}]
        if "pk" in base or "pk" not in names:
            return [base]
        variants = []
        statuses = {"manager": Batch.Status.values, "reviewer": [Batch.Status.REVIEW]}.get(
            actor, [Batch.Status.ANNOTATING]
        )
        for status, batch in self.batches.items():
            if status not in statuses:
                continue
            image = batch.images.first()
            action = {"unassigned": "assign", "annotating": "reassign", "review": "reject", "dataset": "reset"}[status]
            variants.append({**base, "pk": batch.pk, "image_pk": image.pk, "status": status, "action": action})
        return variants

    def _admin_values(self, route: Route) -> dict:
        model_admin = getattr(route.pattern.callback, "model_admin", None)
        values = {
            "app_label": "batches",
            "url": "nothing-here/",
            "content_type_id": ContentType.objects.get_for_model(Project).pk,
            "object_id": self.project.pk,
            "object_pk": self.project.pk,  # guardian's object permissions pages
            "user_id": self.annotator.pk,
            "group_id": self.group.pk,
            "id": self.manager.pk,  # a user's password page
        }
        if model_admin is not None:
            first = model_admin.model._default_manager.order_by("pk").first()
            values["object_id"] = first.pk if first else 1
        return values


def url_for(route: Route, values: dict) -> str:
    def fill(match):
        return quote(str(values[match.group(2)]), safe="")

    return "/" + PLACEHOLDER.sub(fill, route.template)


def hostile_urls(route: Route, values: dict) -> list[str]:
    urls = []
    for converter, name in PLACEHOLDER.findall(route.template):
        for bad in HOSTILE_PATH_VALUES["int" if converter == "int" else "other"]:
            urls.append(url_for(route, {**values, name: bad}))
    return urls


def post_data(value: str) -> dict:
    text = value if len(value) > 1000 else value + LONG
    return {name: text if name in TEXT_FIELDS else value for name in FIELDS}


# The walk sends the same few bodies thousands of times: each is encoded once, by the test client's own
# encoders, and sent as those bytes (the server reads exactly what `client.get(url, data)` and
# `client.post(url, data)` would send). A content type equal to, but not, MULTIPART_CONTENT makes the
# client send the bytes as they are instead of encoding them again.
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
assert MULTIPART == MULTIPART_CONTENT and MULTIPART is not MULTIPART_CONTENT


@functools.cache
def query_string(value: str) -> str:
    return urlencode(dict.fromkeys(FIELDS, value), doseq=True)


@functools.cache
def form_body(value: str) -> bytes:
    return encode_multipart(BOUNDARY, post_data(value))


@functools.cache
def list_body(value: str) -> bytes:
    return encode_multipart(BOUNDARY, {name: [value, NUL + LONG] for name in FIELDS})


def database_state() -> str:
    """Row counts and contents of every table but the sessions', as one digest."""
    digest = hashlib.sha256()
    for model in apps.get_models():
        if model._meta.db_table.startswith(IGNORED_TABLES) or not model._meta.managed:
            continue
        names = [f.attname for f in model._meta.concrete_fields]
        rows = list(model._base_manager.order_by("pk").values_list(*names))
        digest.update(f"{model._meta.label}:{len(rows)}:{rows!r}".encode())
    return digest.hexdigest()


WRITE = re.compile(r'^\s*(INSERT INTO|UPDATE|DELETE FROM) "?(\w+)', re.IGNORECASE)


@dataclass
class Walk:
    client: Client
    problems: list[str] = field(default_factory=list)
    framed: list[str] = field(default_factory=list)  # the URLs that got the malformed framed chunks

    def send(self, method: str, url: str, *, sent: str = "", expect: int | None = None, **kwargs) -> None:
        try:
            with transaction.atomic():
                response = getattr(self.client, method)(url, **kwargs)
                if response.streaming:
                    b"".join(response.streaming_content)
        except DatabaseError as exc:
            self.problems.append(f"{method.upper()} {url!r}: database error {exc!r}")
            return
        except Exception as exc:  # a streamed body that failed half-way
            self.problems.append(f"{method.upper()} {url!r}: {exc!r}")
            return
        if response.status_code >= 500:
            error = getattr(response, "exc_info", None)
            reason = repr(error[1]) if error else response.content[:200]
            sent = sent or repr(kwargs.get("data", ""))[:60]
            self.problems.append(f"{method.upper()} {url[:120]!r} {sent}: {reason}")
        elif expect is not None and response.status_code != expect:
            self.problems.append(f"{method.upper()} {url[:120]!r}: {response.status_code}, expected {expect}")

    def visit(self, method: str, url: str, values: list[str], *, changes_allowed: bool, refused=False) -> None:
        """All values at one URL in a savepoint rolled back afterwards; any write there is a problem.

        The client's cookies are put back too: a sign-out (rolled back) must not sign the walk out.
        `refused`: the view refuses the method before anything reads the request (allowed_methods); one
        value shows it answers 405 (checked), the others would reach nothing more.
        """
        if refused:
            values = values[:1]
        cookies = copy.deepcopy(self.client.cookies)
        writes = []

        def record_writes(execute, sql, params, many, context):
            match = WRITE.match(sql)
            if match and not match.group(2).startswith(IGNORED_TABLES):
                writes.append(sql[:160])
            return execute(sql, params, many, context)

        with transaction.atomic(), connection.execute_wrapper(record_writes):
            for value in values:
                htmx = [{}, {"headers": {"HX-Request": "true"}}] if value in HTMX_VALUES else [{}]
                for extra in htmx:
                    sent, expect = repr(value)[:60], 405 if refused else None
                    if method == "get":
                        self.send("get", url, QUERY_STRING=query_string(value), sent=sent, expect=expect, **extra)
                    else:
                        body = form_body(value)
                        self.send("post", url, data=body, content_type=MULTIPART, sent=sent, expect=expect, **extra)
            if method == "post" and not refused:
                lists = list_body(values[0])  # every field twice: the value and a NUL
                self.send("post", url, data=lists, content_type=MULTIPART, sent=f"lists of {values[0]!r}"[:60])
                self.send("post", url, data=NESTED, content_type="application/json")
                if FRAMED_URL.search(url):
                    self.framed.append(url)
                    for body in FRAMED_BODIES:
                        self.send("post", url, data=body, content_type=FRAMED)
            transaction.set_rollback(True)
        self.client.cookies = cookies
        if writes and not changes_allowed:
            self.problems.append(f"{method.upper()} {url!r} wrote to the database: {writes[:3]}")


ACTORS = ["manager", "annotator", "reviewer", "outsider", "anonymous", "root"]
_METHOD_CHECK = require_http_methods(["GET"])(lambda request: None)
NINJA_VIEW = "PathView.get_view.<locals>.sync_view_wrapper"


def allowed_methods(route: Route) -> set[str] | None:
    """The methods a route's view answers, when it refuses the others before anything reads the request.

    That is Django's require_http_methods (require_GET, require_POST) as the view's outermost decorator,
    or a django-ninja path (PathView answers 405 before authentication and parameters). None: any other
    view, which gets every value by every method. Middleware reads the same whatever the URL, and sees
    every value at the URLs that take the method.
    """
    callback = route.pattern.callback
    inner = getattr(callback, "__wrapped__", None)
    if getattr(inner, "__qualname__", "") == NINJA_VIEW:  # batches/api/main.py's answers_405_in_json around it
        callback = inner
    code = getattr(callback, "__code__", None)
    cells = inspect.getclosurevars(callback).nonlocals if code else {}
    if code is _METHOD_CHECK.__code__:
        return {method.upper() for method in cells["request_method_list"]}
    path_view = cells.get("self")
    if isinstance(path_view, PathView) and callback.__qualname__ == NINJA_VIEW:
        return {method.upper() for operation in path_view.operations for method in operation.methods}
    return None


def _is_admin(route: Route) -> bool:
    return route.name.startswith("admin:")


def _values_for(actor: str, route: Route) -> list[str]:
    if actor in ("outsider", "anonymous"):
        return STRANGER_VALUES
    if actor == "root":
        return ADMIN_VALUES
    return EVERY_VALUE if actor == "manager" else SOME_VALUES


@pytest.fixture
def quiet_request_log():
    """Thousands of refused requests log a warning each; pytest would keep every record (and its request) in memory."""
    loggers = [logging.getLogger(name) for name in ("django.request", "django.security", "batches")]
    for logger in loggers:
        logger.disabled = True
    yield
    for logger in loggers:
        logger.disabled = False


# How many tests each visitor's walk is dealt into (about 10-15 s of requests each on a quiet machine).
SHARDS = {"manager": 5, "annotator": 2, "reviewer": 2, "outsider": 2, "anonymous": 1, "root": 3}
WALKS = [(actor, shard) for actor in ACTORS for shard in range(SHARDS[actor])]


# To the admin site a member is the outsider: a signed-in, active account that is not staff (the admin asks
# AdminSite.has_permission, which reads is_active and is_staff and nothing of projects, before anything
# else; its guard reads only the request). The outsider's walk of the admin is theirs.
MEMBERS = ("manager", "annotator", "reviewer")


def walks(actor: str, route: Route) -> bool:
    if actor == "root":
        return _is_admin(route)  # the superuser is no member: outside the admin it is an outsider, walked already
    return actor not in MEMBERS or not _is_admin(route)


def routes_of(actor: str, shard: int) -> list[Route]:
    """The routes one shard of a visitor's walk visits: every SHARDS[actor]-th one, from the shard's own."""
    return [route for route in walk() if walks(actor, route)][shard :: SHARDS[actor]]


def _is_chunk_endpoint(route: Route) -> bool:
    return bool(FRAMED_URL.search("/" + route.template))


def _shape(url: str) -> str:
    """A URL or a route's template with its numbers and placeholders as N: /api/vN/projects/N/uploads/N/files."""
    return re.sub(r"\d+", "N", re.sub(r"<[^>]+>", "N", url))


@pytest.mark.parametrize(("actor", "shard"), WALKS, ids=[f"{actor}-{shard}" for actor, shard in WALKS])
def test_no_url_answers_a_server_error_or_changes_data_for_hostile_input(db, quiet_request_log, settings, actor, shard):
    # The API's rate limit would answer 429, before reading anything, to most of a walk's API requests.
    settings.API_RATE_LIMIT = 0
    world = World()
    client = Client(raise_request_exception=False)
    if actor != "anonymous":
        client.force_login(getattr(world, actor))
    runner = Walk(client)
    before = database_state()
    unfilled = []
    routes = routes_of(actor, shard)
    for route in routes:
        fills = world.fills(route, actor)
        allowed = allowed_methods(route)
        by_design = (
            route.name in CHANGES_BY_DESIGN
            or route.name.rsplit("_", 1)[-1] in CHANGES_BY_DESIGN
            or route.name.startswith(CHANGES_BY_DESIGN_PREFIXES)
        )
        for variant in fills:
            url = url_for(route, variant)
            try:
                resolved = resolve(url)
            except Resolver404:
                resolved = None
            if resolved is None or resolved.func is not route.pattern.callback:
                unfilled.append(route.template)
                continue
            for method in ("get", "post"):
                refused = allowed is not None and method.upper() not in allowed
                changes_allowed = by_design and method == "post"
                runner.visit(method, url, _values_for(actor, route), changes_allowed=changes_allowed, refused=refused)
        for url in hostile_urls(route, fills[0]):
            for method in ("get", "post"):
                # int() reads "٣" as 3: where such an id names an object (the admin's), a route that changes data by
                # design may change it, as with its own id; whether one exists depends on the rows made before.
                runner.visit(method, url, [""], changes_allowed=by_design and method == "post")
    assert not unfilled, f"The walker cannot fill these routes; teach World.fills their parameters: {unfilled}"
    assert not runner.problems, "\n".join(runner.problems)
    assert database_state() == before
    # A manager's walk reaches both chunk endpoints (the page's and the API's, dealt to whichever shards)
    # with the malformed framed bodies.
    reached = {_shape(url) for url in runner.framed}
    expected = {_shape("/" + route.template) for route in routes if _is_chunk_endpoint(route)}
    assert actor != "manager" or expected <= reached


def test_the_walk_knows_which_views_refuse_a_method_before_reading_anything():
    routes = {route.name: route for route in walk()}
    assert allowed_methods(routes["annotate_save"]) == {"POST"}
    assert allowed_methods(routes["board_version"]) == {"GET", "HEAD"}
    assert allowed_methods(routes["batch_assign"]) == {"GET", "POST"}
    assert allowed_methods(routes["api:assign"]) == {"POST"}
    assert allowed_methods(routes["admin:batches_batch_changelist"]) is None


def test_to_the_admin_a_member_is_the_outsider(db):
    assert admin.site.__class__.has_permission is AdminSite.has_permission  # is_active and is_staff, nothing else
    world = World()
    for actor in (*MEMBERS, "outsider"):
        user = getattr(world, actor)
        assert (user.is_active, user.is_staff, user.is_superuser) == (True, False, False), actor


def test_the_shards_deal_out_every_route_once(db):
    every = [route.template for route in walk()]
    admin = [route.template for route in walk() if _is_admin(route)]
    pages = [route.template for route in walk() if not _is_admin(route)]
    for actor in ACTORS:
        dealt = [route.template for shard in range(SHARDS[actor]) for route in routes_of(actor, shard)]
        expected = admin if actor == "root" else pages if actor in MEMBERS else every
        assert sorted(dealt) == sorted(expected), actor
    # The walk's check of the malformed framed chunks expects the page's and the API's chunk endpoints.
    chunks = {_shape("/" + route.template) for route in walk() if _is_chunk_endpoint(route)}
    assert chunks == {"/projects/N/uploads/N/files", "/api/vN/projects/N/uploads/N/files"}


def test_the_walk_covers_the_projects_and_the_admins_routes(db):
    names = {route.name for route in walk()}
    assert {"board", "annotate_save", "review_flag", "upload", "project_create", "label_class_delete"} <= names
    assert "admin:batches_batch_changelist" in names
    assert "admin:batches_batch_change" in names
