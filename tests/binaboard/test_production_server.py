"""The production smoke test: the real gunicorn configuration, DEBUG off, collected static files.

Runs on the database the suite runs on (a database of its own beside DATABASE_URL's on PostgreSQL, a
temporary SQLite file otherwise), behind a pretend TLS proxy (X-Forwarded-Proto: https), with a short
worker timeout so a slow download can outlast it. Its settings only add URLs that fail on purpose.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from django.conf import settings as django_settings
from PIL import Image as PILImage

from tests.binaboard.failing_urls import FAILURE_MESSAGE

# One server for the whole module, on one xdist worker where `--dist loadgroup` keeps the group together.
pytestmark = pytest.mark.xdist_group("production_server")

ROOT = Path(django_settings.BASE_DIR)
WORKER_TIMEOUT = 2
PASSWORD = "smoke-test-" + secrets.token_urlsafe(12)
SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "X-Request-ID")


# --- the server ------------------------------------------------------------------------------------


def smoke_database_url(tmp: Path) -> tuple[str, str | None]:
    """A database for the server alone: (its URL, the PostgreSQL database to drop afterwards)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return f"sqlite:///{tmp}/smoke.sqlite3", None
    # xdist workers may each start a server for this module: one database per worker.
    name = f"{os.environ.get('TEST_DB_NAME') or 'test'}_smoke_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    run_sql(url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    return urlsplit(url)._replace(path=f"/{name}").geturl(), name


def run_sql(url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)


def manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def start_gunicorn(env: dict, log_path: Path) -> subprocess.Popen:
    log = log_path.open("w")
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen) -> None:
    process.terminate()  # the master stops its workers
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_for_port(process: subprocess.Popen, log_path: Path) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", log_path.read_text())
        if found:
            return int(found.group(1))
        assert process.poll() is None, log_path.read_text()
        time.sleep(0.1)
    raise AssertionError("gunicorn did not start:\n" + log_path.read_text())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("production")
    database_url, pg_database = smoke_database_url(tmp)
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "SECRET_KEY_FILE"}}
    env = {
        **clean,
        "DJANGO_SETTINGS_MODULE": "tests.binaboard.smoke_settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "DATABASE_URL": database_url,
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_ROOT": str(tmp / "static"),
        "MEDIA_ROOT": str(tmp / "media"),
        "GUNICORN_BIND": "127.0.0.1:0",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "4",
        "GUNICORN_TIMEOUT": str(WORKER_TIMEOUT),
        "INGEST_WORKERS": "1",
        "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
    }
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    manage(env, "createsuperuser", "--noinput", "--username", "smoke", "--email", "smoke@example.com")
    log_path = tmp / "server.log"
    process = start_gunicorn(env, log_path)
    try:
        port = wait_for_port(process, log_path)
        yield {"port": port, "log": log_path, "env": env, "tmp": tmp}
    finally:
        stop(process)
        if pg_database:
            run_sql(os.environ["DATABASE_URL"], f'DROP DATABASE IF EXISTS "{pg_database}" WITH (FORCE)')


class Browser:
    """Just enough of a browser behind a TLS proxy: keeps cookies (Secure ones too) and follows nothing."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, *, body: dict | None = None, headers: dict | None = None, tls=True):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {"Host": "127.0.0.1", **(headers or {})}
        if tls:
            sent["X-Forwarded-Proto"] = "https"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent["Referer"] = f"https://127.0.0.1{path}"  # CSRF checks the referer over HTTPS
        connection.request(method, path, body=data, headers=sent)
        response = connection.getresponse()
        content = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        connection.close()
        return response, content

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: dict):
        return self.request("POST", path, body=body)

    def csrf_token(self, html: bytes) -> str:
        return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1).decode()


def assert_security_headers(response) -> None:
    for header in SECURITY_HEADERS:
        assert response.getheader(header), header
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("X-Frame-Options") == "DENY"
    assert "frame-ancestors 'none'" in response.getheader("Content-Security-Policy")


@pytest.fixture(scope="module")
def signed_in(server):
    browser = Browser(server["port"])
    response, html = browser.get("/login/")
    assert response.status == 200
    response, _ = browser.post(
        "/login/", {"username": "smoke", "password": PASSWORD, "csrfmiddlewaretoken": browser.csrf_token(html)}
    )
    assert (response.status, response.getheader("Location")) == (302, "/")
    return browser


@pytest.fixture(scope="module")
def board(signed_in) -> str:
    """A project made through its form; the path of its board."""
    response, html = signed_in.get("/projects/new/")
    assert response.status == 200
    form = {"name": "Smoke", "description": "", "review_required": "on"}
    response, _ = signed_in.post("/projects/new/", {**form, "csrfmiddlewaretoken": signed_in.csrf_token(html)})
    assert response.status == 302
    return response.getheader("Location")


# --- the checks --------------------------------------------------------------------------------------


def test_the_login_page_and_a_hashed_stylesheet_come_with_the_security_headers(server):
    browser = Browser(server["port"])
    response, html = browser.get("/login/")
    assert response.status == 200
    assert_security_headers(response)
    assert response.getheader("Strict-Transport-Security").startswith("max-age=31536000")
    stylesheet = re.search(rb'href="(/static/css/app\.[0-9a-f]{12}\.css)"', html).group(1).decode()
    response, _ = browser.get(stylesheet, headers={"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert_security_headers(response)
    assert response.getheader("Content-Encoding") == "gzip"
    assert "immutable" in response.getheader("Cache-Control")


def test_plain_http_is_sent_to_https(server):
    response, _ = Browser(server["port"]).get("/login/", tls=False)
    assert response.status == 301
    assert response.getheader("Location") == "https://127.0.0.1/login/"


def test_a_user_signs_in_creates_a_project_and_loads_its_board(signed_in, board):
    response, html = signed_in.get(board)
    assert response.status == 200
    assert b"Unassigned" in html
    assert_security_headers(response)


def test_health_and_readiness_answer(server):
    browser = Browser(server["port"])
    for path in ("/healthz", "/readyz"):
        response, body = browser.get(path, tls=False, headers={"Host": "10.1.2.3"})  # a probe, by IP, plain HTTP
        assert (response.status, body) == (200, b"ok\n"), path


def test_a_forced_error_is_logged_with_its_traceback_and_request_id(server):
    response, html = Browser(server["port"]).get("/test-failures/crash/")
    assert response.status == 500
    request_id = response.getheader("X-Request-ID")
    assert request_id.encode() in html
    log = wait_for_log(server["log"], f"RuntimeError: {FAILURE_MESSAGE}")
    error_line = next(line for line in log.splitlines() if "Internal Server Error" in line)
    assert f"[{request_id}] django.request" in error_line
    assert "(GET /test-failures/crash/ user=-)" in error_line
    after = log[log.index(error_line) :]
    assert after.index("Traceback (most recent call last)") < after.index(f"RuntimeError: {FAILURE_MESSAGE}")


def wait_for_log(path: Path, text: str) -> str:
    deadline = time.monotonic() + 10
    while text not in (log := path.read_text()):
        assert time.monotonic() < deadline, log
        time.sleep(0.1)
    return log


def test_a_download_longer_than_the_worker_timeout_is_not_cut_off(server, signed_in, board):
    picture = server["tmp"] / "large.png"
    # Noise does not compress: about 6 MB, more than the kernel buffers between gunicorn and us hold
    # (4 MB here), so the thread sending it is blocked for as long as the client does not read.
    PILImage.frombytes("RGB", (1450, 1450), os.urandom(1450 * 1450 * 3)).save(picture, compress_level=1)
    manage(server["env"], "import_images", "Smoke", str(picture), "--as", "smoke", "--no-progress", "--now")
    code = "from batches.models import Image; print('image', Image.objects.latest('pk').pk)"
    pk = re.search(r"^image (\d+)$", manage(server["env"], "shell", "-c", code), re.MULTILINE).group(1)

    started = time.monotonic()
    status, body = slow_download(server["port"], f"/images/{pk}/file", signed_in.cookies)
    elapsed = time.monotonic() - started
    assert status == 200
    assert hashlib.sha256(body).digest() == hashlib.sha256(picture.read_bytes()).digest()
    assert elapsed > 2 * WORKER_TIMEOUT  # the test proves something only if it outlasted the timeout
    assert "WORKER TIMEOUT" not in server["log"].read_text()


def slow_download(port: int, path: str, cookies: dict[str, str]) -> tuple[int, bytes]:
    """A client on a stalled link: a small receive window, nothing read for 2.5 worker timeouts.

    gunicorn's sync worker is killed mid-send here (its heartbeat stops while it writes), which cuts
    the file short; a gthread worker keeps beating while one of its threads waits.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)
    sock.connect(("127.0.0.1", port))
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Proto: https\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    sock.sendall(request.encode())
    time.sleep(2.5 * WORKER_TIMEOUT)
    received = bytearray()
    try:
        while chunk := sock.recv(64 * 1024):
            received += chunk
    except ConnectionResetError:
        pass  # what a killed worker leaves; the length check below says how much was lost
    sock.close()
    head, _, body = bytes(received).partition(b"\r\n\r\n")
    status = int(head.split()[1])
    length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))
    assert len(body) == length, f"cut off after {len(body)} of {length} bytes"
    return status, body


@pytest.mark.parametrize(
    ("key", "reason"),
    [("django-insecure-" + "x" * 60, "published development key"), ("", "SECRET_KEY is not set")],
)
def test_an_insecure_or_missing_key_refuses_to_start_in_one_line(server, key, reason):
    env = {**server["env"], "SECRET_KEY": key}
    done = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    last_line = done.stderr.strip().splitlines()[-1]
    assert last_line.startswith("BinaBoard refuses to start:")
    assert reason in last_line
    assert "Booting worker" not in done.stderr
