"""Board benchmark: what the board, its live poll, a move and a save cost as a project grows.

Run standalone (`DEBUG=1 .venv/bin/python bench/bench_board.py`) or through `make bench`. For each
database (SQLite always; PostgreSQL when `BENCH_POSTGRES_URL` or a server on 127.0.0.1:5432 answers)
and each project size, a throwaway database is filled with bulk-created rows (batches spread over the
four columns, image rows with thumbnail names, no files), then one fresh process measures every
request through Django's whole middleware stack (the test client: sessions, CSRF, auth, CSP, htmx),
beside a minimal logged-in GET and a minimal logged-in POST measured in the same run. The figure of
each request is the median of its runs; the ratio to the minimal request of the same run is the
figure to compare across runs on this noisy machine. Query counts are listed: they must not grow with
the project. Writes the "board" section of docs/PERFORMANCE.md.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# (images, batches): the sizes, 1,000 batches from 50k images on.
SIZES = [
    tuple(int(x) for x in item.split("x"))
    for item in os.environ.get("BENCH_BOARD_SIZES", "500x10,5000x100,50000x1000,200000x1000").split(",")
]
RUNS = int(os.environ.get("BENCH_BOARD_RUNS", "15"))
# Delete for good is measured on projects of at least this many images, with a batch of as many.
DELETE_SIZE = int(os.environ.get("BENCH_DELETE_IMAGES", "50000"))
# The project size also measured under gunicorn with the production configuration (PostgreSQL only).
GUNICORN_SIZE = int(os.environ.get("BENCH_GUNICORN_IMAGES", "50000"))
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/bench_board")


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "binaboard.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="bench-board-media-")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def postgres_available() -> bool:
    try:
        import psycopg

        admin_url = POSTGRES_URL.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin_url, connect_timeout=3, autocommit=True) as conn:
            name = POSTGRES_URL.rsplit("/", 1)[1]
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return True
    except Exception:  # no server, no PostgreSQL rows: the report says so
        return False


# --- filling a project (in its own process) ------------------------------------------------------


def build(database_url: str, images: int, batches: int) -> None:
    setup_django(database_url)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from accounts.roles import grant_role
    from batches.models import Batch, BatchEvent, Image, LabelClass, Project

    call_command("migrate", verbosity=0)
    User = get_user_model()
    people = {role: User.objects.create_user(username=role, password="bench-password-1") for role in ROLES}
    project = Project.objects.create(name="Bench", annotator_visibility="board")
    for role, user in people.items():
        grant_role(project, user, role)
    for key, name in enumerate(["car", "person", "bike", "bus", "sign"], start=1):
        LabelClass.objects.create(project=project, name=name, key=key)
    statuses = list(Batch.Status.values)
    per_batch = images // batches
    now = timezone.now()
    rows = []
    for i in range(batches):
        status = statuses[i % 4]
        rows.append(
            Batch(
                project=project,
                name=f"Batch {i:04d}",
                status=status,
                assignee=None if status == Batch.Status.UNASSIGNED else people["annotator"],
                position=-i,
                image_count=per_batch,
                done_count=per_batch if status in (Batch.Status.REVIEW, Batch.Status.DATASET) else per_batch // 2,
                created_at=now,
                status_changed_at=now,
            )
        )
    Batch.objects.bulk_create(rows, batch_size=1000)
    events = [
        BatchEvent(project=project, batch=b, batch_name=b.name, action="created", to_status="unassigned")
        for b in Batch.objects.filter(project=project)
    ]
    BatchEvent.objects.bulk_create(events, batch_size=1000)
    serial = 0
    for batch in Batch.objects.filter(project=project).order_by("pk").iterator():
        chunk = []
        for _ in range(per_batch):
            serial += 1
            chunk.append(
                Image(
                    project=project,
                    batch=batch,
                    file=f"bench/{serial}.jpg",
                    thumbnail=f"bench/t{serial}.jpg",
                    width=1920,
                    height=1080,
                    sha256=f"{serial:064x}",
                    original_name=f"{serial}.jpg",
                    state="annotated" if batch.done_count == per_batch else "new",
                )
            )
        Image.objects.bulk_create(chunk, batch_size=2000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


ROLES = ("manager", "annotator", "reviewer")


# --- measuring (in a fresh process) ---------------------------------------------------------------


def production_env(port: int) -> dict:
    """What `make serve` sets: DEBUG off, hashed static files (collected once), plain HTTP on loopback."""
    static_root = Path(tempfile.gettempdir()) / f"bench-board-static-{os.getuid()}"
    env = {
        **os.environ,
        "DEBUG": "0",
        "PORT": str(port),
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        "STATIC_ROOT": str(static_root),
        "GUNICORN_ACCESS_LOG": "0",
        "GUNICORN_LOG_LEVEL": "warning",
    }
    if not (static_root / "staticfiles.json").exists():
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": "binaboard.settings"},
            check=True,
        )
    return env


def start_server(database_url: str, port: int, kind: str = "runserver") -> subprocess.Popen:
    """The app in its own process, as a person's browser reaches it: one HTTP connection per request.

    `runserver`: one process, one thread, DEBUG on (`make run`); `gunicorn`: the production
    configuration (gunicorn.conf.py, DEBUG off, persistent database connections: CONN_MAX_AGE)."""
    env = {
        **(production_env(port) if kind == "gunicorn" else os.environ),
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "bench"), str(ROOT)]),
        "LOG_LEVEL": "WARNING",
    }
    if kind == "gunicorn":
        command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"]
    else:
        command = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--nothreading"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import http.client

    for _ in range(600):  # up to a minute on a busy machine
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/login/")
            conn.getresponse().read()
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the bench server did not start")


CARD = re.compile(r'<article id="card-(\d+)"[^>]*?data-sig="([0-9a-f]*)"', re.S)
SECTION = re.compile(r'<section id="column-(\w+)".*?</section>', re.S)


def shown_board(html: str) -> dict:
    """What static/js/board-live.js sends with a poll or a move: the page's cards per column and its load-more links."""
    cards, more = [], []
    for match in SECTION.finditer(html):
        if "data-column=" not in match.group(0):
            continue
        status = match.group(1)
        cards.append(f"{status}:" + ",".join(f"{pk}.{sig}" for pk, sig in CARD.findall(match.group(0))))
        if 'class="load-more"' in match.group(0):
            more.append(status)
    return {"cards": ";".join(cards), "more": ",".join(more)}


def measure(database_url: str, kind: str = "runserver") -> dict:
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench_settings"
    sys.path.insert(0, str(ROOT / "bench"))
    setup_django(database_url)
    import http.client
    from urllib.parse import urlencode

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from batches.models import Batch, Image, Project

    settings.ALLOWED_HOSTS = ["testserver", "127.0.0.1"]
    User = get_user_model()
    csrf = "b" * 32  # an unmasked CSRF secret, sent as cookie and header alike
    sessions, clients = {}, {}
    for role in ROLES:
        client = Client()
        client.force_login(User.objects.get(username=role))
        clients[role] = client
        sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    project = Project.objects.get(name="Bench")
    port = int(os.environ.get("BENCH_PORT", 0)) or 8900 + os.getpid() % 50
    server = start_server(database_url, port, kind)

    def over_http(role: str, method: str, path: str, data=None, json_body=None, headers=None) -> tuple[int, int]:
        headers = {
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={sessions[role]}; {settings.CSRF_COOKIE_NAME}={csrf}",
            **(headers or {}),
        }
        body = None
        if method == "GET" and data:
            path = f"{path}?{urlencode(data, doseq=True)}"
        elif method == "POST":
            headers["X-CSRFToken"] = csrf
            if json_body is not None:
                body, headers["Content-Type"] = json.dumps(json_body), "application/json"
            else:
                body, headers["Content-Type"] = urlencode(data or {}, doseq=True), "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        size = len(response.read())
        conn.close()
        return response.status, size

    def in_process(role: str, method: str, path: str, data=None, json_body=None, headers=None) -> int:
        client = clients[role]
        with CaptureQueriesContext(connection) as captured:
            if method == "GET":
                client.get(path, data or {}, headers=headers or {})
            elif json_body is not None:
                client.post(path, json.dumps(json_body), content_type="application/json", headers=headers or {})
            else:
                client.post(path, data or {}, headers=headers or {})
        return len(captured)

    def timed(label: str, role: str, spec, runs: int = RUNS) -> dict:
        """spec(i) -> (method, path, data, json_body, headers) for run i; run `runs` counts the queries."""
        times, floors = [], []
        status = size = 0
        for i in range(runs):
            method, path, data, json_body, headers = spec(i)
            # The floor of the same kind right before each run, so both meet the same load (the machine
            # is shared): the ratio is the median of the request over the median of its floor.
            floor = ("GET", "/__bench/get", None) if method == "GET" else ("POST", "/__bench/post", {})
            start = time.perf_counter()
            over_http(role, *floor)
            floors.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            status, size = over_http(role, method, path, data, json_body, headers)
            times.append((time.perf_counter() - start) * 1000)
        queries = in_process(role, *spec(runs))
        return {
            "label": label,
            "ms": statistics.median(times),
            "floor_ms": statistics.median(floors),
            "queries": queries,
            "kb": size / 1024,
            "status": status,
        }

    board_url = reverse("board", args=[project.pk])
    version_url = reverse("board_version", args=[project.pk])
    htmx = {"HX-Request": "true"}
    results = []
    try:
        results.append(timed("minimal logged-in GET", "manager", lambda i: ("GET", "/__bench/get", None, None, None)))
        results.append(timed("minimal logged-in POST", "manager", lambda i: ("POST", "/__bench/post", {}, None, None)))
        # Its queries are counted in this process as the server reads them on a reload: the page stored.
        clients["manager"].get(board_url)
        results.append(timed("board, first page", "manager", lambda i: ("GET", board_url, None, None, None)))
        page = clients["manager"].get(board_url).content.decode()
        token = re.search(r'id="board-token" name="token" value="([^"]*)"', page).group(1)
        shown = shown_board(page)
        results.append(
            timed(
                "live poll, nothing changed",
                "manager",
                lambda i: ("GET", version_url, {"token": token, **shown}, None, htmx),
            )
        )
        changing = Batch.objects.filter(project=project, status=Batch.Status.UNASSIGNED).order_by("-pk").first()

        def poll_after_change(i):
            # Someone else's move since this board last looked: one batch's version changes.
            # The page as the browser has it after its last poll (its cards' ages may have changed since).
            page = clients["manager"].get(board_url).content.decode()
            seen_token = re.search(r'id="board-token" name="token" value="([^"]*)"', page).group(1)
            Batch.objects.filter(pk=changing.pk).update(version=1000 + i)
            return ("GET", version_url, {"token": seen_token, **shown_board(page)}, None, htmx)

        results.append(timed("live poll after one change", "manager", poll_after_change))

        def board_after_change(i):
            # The board loaded again right after someone else's move: its stored page is over, so it is
            # rendered again (the unchanged cards from their cache).
            Batch.objects.filter(pk=changing.pk).update(version=3000 + i)
            return ("GET", board_url, None, None, None)

        results.append(timed("board after one change (rendered again)", "manager", board_after_change))
        # Pages whose lists could grow with the project: each reads a bounded page of it.
        for label, role, name in [
            ("export page", "manager", "export"),
            ("my work (annotator of every batch)", "annotator", "my_work"),
            ("my work count (top bar, every page)", "annotator", "my_work_count"),
        ]:
            url = reverse(name, args=[project.pk] if name == "export" else [])
            results.append(timed(label, role, lambda i, url=url: ("GET", url, None, None, None)))

        def move(action: str, status: str, extra: dict):
            batches = list(Batch.objects.filter(project=project, status=status).order_by("pk")[: RUNS + 1])
            if len(batches) < RUNS + 1:
                return None

            def spec(i):
                b = batches[i]
                # The page as the mover's browser has it just before the move (board-live.js sends it).
                role = "reviewer" if action == "approve" else "manager"
                page = clients[role].get(board_url).content.decode()
                token = re.search(r'id="board-token" name="token" value="([^"]*)"', page).group(1)
                data = {"action": action, "version": b.version, "from": b.status, "token": token, **extra}
                data.update(shown_board(page))  # and its fingerprint: the board's hx-include sends #board-token
                return ("POST", reverse("batch_move", args=[project.pk, b.pk]), data, None, htmx)

            return spec

        annotator = User.objects.get(username="annotator")
        for label, role, spec in [
            ("move: approve", "reviewer", move("approve", Batch.Status.REVIEW, {"dialog": "1"})),
            (
                "move: assign all",
                "manager",
                move("assign", Batch.Status.UNASSIGNED, {"assignees": annotator.pk, "dialog": "1"}),
            ),
        ]:
            if spec is not None:
                results.append(timed(label, role, spec))

        annotating = Batch.objects.filter(project=project, status=Batch.Status.ANNOTATING).order_by("pk").first()
        image = Image.objects.filter(batch=annotating).order_by("pk").first()
        label = project.label_classes.order_by("pk").first()
        save_url = reverse("annotate_save", args=[project.pk, annotating.pk, image.pk])

        def save(i):
            box = {"label_class": label.pk, "x": 10 + i, "y": 10, "w": 100, "h": 80}
            return ("POST", save_url, None, {"boxes": [box]}, None)

        results.append(timed("annotation save, 1 box", "annotator", save))
        if kind == "runserver" and Image.objects.filter(project=project).count() >= DELETE_SIZE:
            results.append(delete_for_good(project, over_http, in_process))
    finally:
        server.terminate()
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return {"vendor": connection.vendor, "kind": kind, "results": results}


def delete_for_good(project, over_http, in_process) -> dict:
    """One Unassigned batch of 50,000 images with their 100,000 files deleted for good: the request's
    time, then the worker's removal (the queued remove_files task) and the files it left."""
    from django.conf import settings
    from django.urls import reverse

    from batches.models import Batch, Image, PendingRemoval, StoredFile
    from batches.tasks import remove_files

    size = DELETE_SIZE
    media = Path(settings.MEDIA_ROOT)
    (media / "gone").mkdir(parents=True, exist_ok=True)
    batch = Batch.objects.create(project=project, name="To delete", position=-10_000_000, image_count=size)
    rows = []
    for i in range(size):
        rows.append(
            Image(
                project=project,
                batch=batch,
                file=f"gone/{i}.jpg",
                thumbnail=f"gone/t{i}.jpg",
                width=1920,
                height=1080,
                sha256=f"{10**12 + i:064x}",
                original_name=f"{i}.jpg",
            )
        )
        for name in (f"gone/{i}.jpg", f"gone/t{i}.jpg"):
            (media / name).touch()
    Image.objects.bulk_create(rows, batch_size=2000)
    data = {"action": "delete", "version": batch.version, "from": batch.status, "confirmed": "yes", "dialog": "1"}
    url = reverse("batch_move", args=[project.pk, batch.pk])
    start = time.perf_counter()
    status, size_bytes = over_http("manager", "POST", url, data, None, {"HX-Request": "true"})
    ms = (time.perf_counter() - start) * 1000
    # What the worker runs once the delete has committed (the bench server has no worker beside it).
    started = time.perf_counter()
    runs = {*PendingRemoval.objects.values_list("run", flat=True), *StoredFile.objects.values_list("upload", flat=True)}
    for run in runs:
        remove_files.call(str(run))
    cleanup_s = time.perf_counter() - started
    left = sum(1 for _ in (media / "gone").iterdir())
    label = (
        f"delete for good, {size:,} images ({2 * size:,} files; the worker's removal {cleanup_s:.1f} s, {left} left)"
    )
    return {"label": label, "ms": ms, "queries": None, "kb": size_bytes / 1024, "status": status}


# --- running and reporting ------------------------------------------------------------------------


def run(mode: str, database_url: str, *args: str) -> dict | None:
    output = subprocess.run(
        [sys.executable, __file__, mode, database_url, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "DEBUG": "1", "LOG_LEVEL": "WARNING"},
    )
    if output.returncode != 0:
        sys.stderr.write(output.stderr[-3000:])
        raise SystemExit(f"bench_board {mode} failed")
    last = output.stdout.strip().splitlines()[-1] if output.stdout.strip() else "null"
    return json.loads(last)


def main() -> None:
    # One key for the measuring process (which makes the sessions) and the servers (which read them).
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    databases = []
    with tempfile.TemporaryDirectory(prefix="bench-board-") as tmp:
        targets = []
        if os.environ.get("BENCH_BOARD_SQLITE", "1") == "1":
            targets.append(("SQLite", lambda n: f"sqlite:///{tmp}/board-{n}.sqlite3"))
        if os.environ.get("BENCH_BOARD_POSTGRES", "1") == "1" and postgres_available():
            targets.append(("PostgreSQL", lambda n: POSTGRES_URL))
        for name, url_for in targets:
            for images, batches in SIZES:
                url = url_for(images)
                if name == "PostgreSQL":
                    postgres_available()  # a fresh, empty database per size
                started = time.perf_counter()
                run("build", url, str(images), str(batches))
                built = time.perf_counter() - started
                print(f"{name} {images:,} images / {batches:,} batches built in {built:.1f} s", flush=True)
                databases.append((name, images, batches, run("measure", url)))
                if name == "PostgreSQL" and images == GUNICORN_SIZE:
                    databases.append((f"{name}, gunicorn", images, batches, run("measure", url, "gunicorn")))
    if os.environ.get("BENCH_BOARD_SAVE"):
        # Part of a run split over processes (one per database): `bench_board.py report A.json B.json` writes it.
        Path(os.environ["BENCH_BOARD_SAVE"]).write_text(json.dumps(databases))
        return
    write_report(databases)


GOALS = [
    # (what, the request's label starts with, the floor, at most this many × the floor; or None: ≤ 1 s).
    # A minimal request as the floor: the one sent right before each request; another row: its ×min.
    ("board first page ≤ 3× minimal GET", "board, first page", "minimal logged-in GET", 3.0),
    # #14's table gives this row's floor as the poll with nothing changed ("7 ms unchanged")
    (
        "live poll after a change ≤ 2× the poll with nothing changed",
        "live poll after one change",
        "live poll, nothing changed",
        2.0,
    ),
    ("live poll after a change ≤ 2× minimal GET", "live poll after one change", "minimal logged-in GET", 2.0),
    ("a move ≤ 3× minimal POST", "move:", "minimal logged-in POST", 3.0),
    ("annotation save ≤ 1.5× minimal POST", "annotation save", "minimal logged-in POST", 1.5),
    ("delete for good ≤ 1 s in the request, 0 files left", "delete for good", None, None),
]


def goal_table(databases: list) -> list[str]:
    """Each goal of #14 at the two largest sizes measured: the worst ratio of each database, met or not."""
    largest = sorted({images for _, images, _, _ in databases})[-2:]
    lines = ["| goal | database | images | measured | met |", "| --- | --- | ---: | ---: | :---: |"]
    for goal, prefix, floor_label, limit in GOALS:
        for name, images, _batches, measured in databases:
            if images not in largest:
                continue
            by_label = {r["label"]: r for r in measured["results"]}
            rows = [r for r in measured["results"] if r["label"].startswith(prefix)]
            if not rows:
                continue
            if floor_label is None:
                worst = max(rows, key=lambda r: r["ms"])
                left = re.search(r"(\d+) left", worst["label"])
                ok = worst["ms"] <= 1000 and left is not None and left.group(1) == "0"
                lines.append(f"| {goal} | {name} | {images:,} | {worst['ms'] / 1000:.2f} s | {'yes' if ok else 'no'} |")
                continue
            if floor_label.startswith("minimal"):
                ratio = max(r["ms"] / r["floor_ms"] for r in rows)
            else:
                # Another row of the same run: each over the minimal request sent right before it, so a
                # moment of load on the shared machine during one of the two rows does not count
                base = by_label[floor_label]
                ratio = max((r["ms"] / r["floor_ms"]) / (base["ms"] / base["floor_ms"]) for r in rows)
            lines.append(f"| {goal} | {name} | {images:,} | {ratio:.1f}× | {'yes' if ratio <= limit else 'no'} |")
    return lines


def write_report(databases: list) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _report import write_section

    lines = [
        f"Median of {RUNS} requests each, over HTTP with a fresh connection per request to the app in its own "
        "process (`runserver --nothreading`, DEBUG on as `make run` has it; the rows marked gunicorn: the "
        "production configuration, gunicorn.conf.py with DEBUG off and persistent database connections). "
        "Right before each request a minimal signed-in GET (for GETs) or CSRF-checked POST (for POSTs) is "
        "sent to the same server: **floor ms** is their median, **×min** the request's median over it, so "
        "both meet the same load. Batches are spread evenly over the four columns; the board shows the first "
        "cards of each column. A poll or a move sends the cards the page shows, as board-live.js does. "
        "Queries: counted once more per request in the measuring process.",
        "",
        "| database | images / batches | request | ms | floor ms | ×min | queries | KB |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, images, batches, measured in databases:
        floor = {r["label"]: r["ms"] for r in measured["results"]}
        for r in measured["results"]:
            is_post = r["label"].startswith(("move", "annotation", "delete", "minimal logged-in POST"))
            flag = "" if r["status"] < 400 else f" (HTTP {r['status']})"
            base = r.get("floor_ms") or floor["minimal logged-in POST" if is_post else "minimal logged-in GET"]
            lines.append(
                f"| {name} | {images:,} / {batches:,} | {r['label']}{flag} | {r['ms']:.1f} | {base:.1f} | {r['ms'] / base:.1f}× "
                f"| {'–' if r['queries'] is None else r['queries']} | {r['kb']:.0f} |"
            )
    lines += ["", *goal_table(databases)]
    write_section("board", "### Board, poll, moves and saves as the project grows\n\n" + "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "build":
        build(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        print("null")
    elif len(sys.argv) > 1 and sys.argv[1] == "report":
        write_report([tuple(row) for name in sys.argv[2:] for row in json.loads(Path(name).read_text())])
    elif len(sys.argv) > 1 and sys.argv[1] == "measure":
        print(json.dumps(measure(sys.argv[2], *sys.argv[3:])))
    else:
        main()
