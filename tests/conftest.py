"""The shared cast: a manager, an annotator, a reviewer, an outsider, in one project."""

import os

import pytest

from accounts.roles import grant_role
from tests.factories import make_project, make_user

# Playwright's sync API runs an event loop; the ORM may be used beside it in one test.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
os.environ.setdefault("DEBUG", "1")


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings):
    # Tasks run where they are enqueued unless a test asks for a real queue (the task_backend fixture).
    settings.TASKS_BACKEND = "immediate"
    settings.TASKS = {"default": settings.TASK_BACKENDS["immediate"]}


@pytest.fixture(autouse=True)
def _empty_cache():
    # Stored pages and cards are keyed by ids and rows that another test (its rows rolled back, SQLite
    # reusing their ids) can have again: each test starts with nothing stored.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2 costs most of a second per user here; every test makes several users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _each_test_starts_in_english():
    # A request by a Persian-speaking user activates Persian for the thread (the preferences middleware, as
    # Django's LocaleMiddleware, leaves it active after the answer): the next test must not inherit it.
    from django.utils import translation

    from accounts import calendars

    translation.activate("en")
    calendars.activate(None)
    yield
    translation.deactivate()
    calendars.activate(None)


@pytest.fixture
def project(db):
    return make_project("Street scenes")


@pytest.fixture
def manager(project):
    user = make_user("manager")
    grant_role(project, user, "manager")
    return user


@pytest.fixture
def annotator(project):
    user = make_user("annotator")
    grant_role(project, user, "annotator")
    return user


@pytest.fixture
def annotator2(project):
    user = make_user("annotator2")
    grant_role(project, user, "annotator")
    return user


@pytest.fixture
def reviewer(project):
    user = make_user("reviewer")
    grant_role(project, user, "reviewer")
    return user


@pytest.fixture
def outsider(db):
    return make_user("outsider")


@pytest.fixture
def superuser(db):
    return make_user("root", is_superuser=True, is_staff=True)


@pytest.fixture(scope="session")
def _live_server_media_prefix():
    # Media is private (settings.MEDIA_URL = None: no public URL), but Django's live server wraps the
    # app in a media-files handler that crashes on a None prefix. Give it one nothing links to;
    # images still reach the browser only through the permission-checking views.
    from django.test import override_settings

    with override_settings(MEDIA_URL="/__no_public_media__/"):
        yield


@pytest.fixture(scope="session")
def live_server(_live_server_media_prefix, live_server):
    return live_server


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
        ],
    }


def _chromium_path() -> str | None:
    import shutil

    path = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    return path if os.path.exists(path) else shutil.which("chromium")


def _keep_xdist_groups_together(config, items) -> None:
    """`--dist loadgroup` keeps the tests of one xdist_group on one worker by the "@group" that xdist adds to
    their node ids. pytest-xdist 3.8 writes it to `item._nodeid`, which pytest 9 no longer reads (node ids
    are `item._id` now): no test was grouped, so the production server started once per worker and the
    task_queue tests ran side by side. Add the suffix as xdist means to, unless xdist already did."""
    if not getattr(config.option, "loadgroup", False):  # set on xdist's workers under --dist loadgroup
        return
    from _pytest.nodeid import NodeId

    for item in items:
        names = sorted({str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                        for mark in item.iter_markers("xdist_group")})  # fmt: skip
        nodeid = item.nodeid
        if names and nodeid.rfind("@") <= nodeid.rfind("]"):
            item._id = NodeId.parse(f"{nodeid}@{'_'.join(names)}")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests skip without DATABASE_URL; browser tests skip without Chromium (fail in CI)."""
    _keep_xdist_groups_together(config, items)
    on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    has_chromium = _chromium_path() is not None
    must_have_browser = os.environ.get("BINABOARD_REQUIRE_BROWSER") == "1" or os.environ.get("CI") == "true"
    wants_browser = any("browser" in item.keywords for item in items)
    if wants_browser and not has_chromium and must_have_browser:
        raise pytest.UsageError("Browser tests must run in CI, but no Chromium was found (apt-get install chromium).")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://... (CI does)"))
        if "browser" in item.keywords and not has_chromium:
            item.add_marker(pytest.mark.skip(reason="no Chromium found (apt-get install chromium)"))


@pytest.fixture(params=["db", "rq"])
def task_backend(request, settings):
    """Run the test once on each task queue: the database (django-tasks-db) and Redis (RQ).

    RQ uses tests.task_helpers.TEST_REDIS_URL (a database number of its own), flushed first; the test
    is skipped when Redis does not answer (CI runs it).
    """
    from tests.task_helpers import TEST_REDIS_URL

    kind = request.param
    settings.TASKS_BACKEND = kind
    settings.TASKS = {"default": settings.TASK_BACKENDS[kind]}
    settings.RQ_QUEUES = {name: {"URL": TEST_REDIS_URL, "DEFAULT_TIMEOUT": -1} for name in settings.TASK_QUEUES}
    if kind == "rq":
        import redis

        client = redis.Redis.from_url(TEST_REDIS_URL)
        try:
            client.flushdb()
        except redis.ConnectionError:
            pytest.skip(f"Redis does not answer at {TEST_REDIS_URL}")
        yield kind
        client.flushdb()
        client.close()
    else:
        yield kind


@pytest.fixture
def manager_client(client, manager):
    """The test client, signed in as the project's manager."""
    client.force_login(manager)
    return client
