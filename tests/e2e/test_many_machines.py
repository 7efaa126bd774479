"""Many machines, simulated on one: two app servers and two workers that share nothing on local disk.

Two gunicorn servers (the production configuration: gunicorn.conf.py, DEBUG off, behind a pretend TLS
proxy) and two RQ workers (`manage.py worker`), each with a media folder, a temporary folder and a copy
of the static files of its own, against the test's PostgreSQL database, Redis and a moto S3 server in a
process of its own. One browser session alternates between the two servers while a manager uploads a
folder, assigns it, an annotator annotates, a reviewer approves and the manager exports with images (a
job, then a download). The work must be spread over both workers, the export must equal the one this
process makes from the same rows and bucket, and no process may have written a file to its local disk.

It runs in the PostgreSQL pass (SQLite is one file on one disk: no second machine could share it) and
skips only when PostgreSQL or Redis cannot be reached.
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from playwright.sync_api import expect

from batches.export.core import ExportOptions
from batches.export.formats import prepare_export
from batches.models import Batch, ExportJob, Image, UploadSession
from tests.batches import ingest_samples as samples
from tests.binaboard.test_production_server import stop, wait_for_port
from tests.task_helpers import ROOT, TEST_REDIS_URL, database_url, kill_worker, wait_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("many_machines"),
]

BUCKET = "binaboard-machines"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
IMAGES = 4


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_client():
    import redis

    return redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2)


@pytest.fixture
def reachable(transactional_db):
    assert connection.vendor == "postgresql"  # the postgres mark skips this test on SQLite
    try:
        redis_client().ping()
    except Exception as exc:  # redis.ConnectionError, a refused socket
        pytest.skip(f"Redis at {TEST_REDIS_URL} cannot be reached: {exc}")


@pytest.fixture
def s3(tmp_path, reachable):
    """moto's S3 server in a process of its own, with an empty bucket."""
    import boto3

    port = free_port()
    log = (tmp_path / "moto.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **CREDENTIALS},
        start_new_session=True,
    )
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="testing",
                          aws_secret_access_key="testing", region_name="us-east-1")  # fmt: skip
    try:
        wait_for(lambda: _answers(port), timeout=30, what="the moto server")
        client.create_bucket(Bucket=BUCKET)
        yield endpoint, client
    finally:
        stop(process)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Machines:
    """Two servers, two workers; each process has its own MEDIA_ROOT, TMPDIR and static files."""

    def __init__(self, tmp: Path, endpoint: str):
        self.tmp = tmp
        self.secret_key = secrets.token_urlsafe(60)
        self.processes: list[subprocess.Popen] = []
        self.servers: list[tuple[subprocess.Popen, Path]] = []
        self.logs: dict[str, Path] = {}
        self.ports = [free_port(), free_port()]
        clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "SECRET_KEY_FILE"}}
        self.common = {
            **clean,
            **CREDENTIALS,
            "DJANGO_SETTINGS_MODULE": "binaboard.settings",
            "DEBUG": "0",
            "SECRET_KEY": self.secret_key,
            "DATABASE_URL": database_url(),
            "ALLOWED_HOSTS": "127.0.0.1",
            "CSRF_TRUSTED_ORIGINS": ",".join(f"http://127.0.0.1:{port}" for port in self.ports),
            "TASKS_BACKEND": "rq",
            "REDIS_URL": TEST_REDIS_URL,
            "STORAGE_BACKEND": "s3",
            "S3_BUCKET": BUCKET,
            "S3_ENDPOINT_URL": endpoint,
            "S3_REGION": "us-east-1",
            "S3_ADDRESSING_STYLE": "path",
            "UPLOAD_CHUNK_FILES": "1",
            "TASK_MAINTENANCE_SECONDS": "5",
            "LOG_LEVEL": "INFO",
            "WEB_CONCURRENCY": "1",
            "GUNICORN_THREADS": "4",
            "GUNICORN_GRACEFUL_TIMEOUT": "3",  # the browser's kept-alive connections need not be waited for
        }
        self.static = tmp / "static-built"
        # Built once, beside the workers' start (they need none), then copied to each server.
        self.collecting = subprocess.Popen(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
            env={**self.common, "STATIC_ROOT": str(self.static), **self._own("build")},
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    def wait_for_static(self) -> None:
        _out, errors = self.collecting.communicate(timeout=180)
        assert self.collecting.returncode == 0, errors

    def _own(self, name: str) -> dict[str, str]:
        """This machine's own disk: media and temporary folders nobody else sees."""
        media, temp = self.tmp / name / "media", self.tmp / name / "tmp"
        media.mkdir(parents=True, exist_ok=True)
        temp.mkdir(parents=True, exist_ok=True)
        return {"MEDIA_ROOT": str(media), "TMPDIR": str(temp)}

    def start_server(self, name: str, port: int) -> None:
        static = self.tmp / name / "static"
        shutil.copytree(self.static, static)
        env = {**self.common, **self._own(name), "STATIC_ROOT": str(static), "GUNICORN_BIND": f"127.0.0.1:{port}"}
        log = self.logs[name] = self.tmp / f"{name}.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"],
            env=env, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self.processes.append(process)
        self.servers.append((process, log))

    def start_worker(self, name: str) -> None:
        log = self.logs[name] = self.tmp / f"{name}.log"
        process = subprocess.Popen(
            [sys.executable, "manage.py", "worker", "--name", name],
            env={**self.common, **self._own(name)},
            cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self.processes.append(process)

    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    def files_on_local_disk(self) -> list[str]:
        """Whatever any process left in its own media or temporary folder."""
        return sorted(
            str(path.relative_to(self.tmp))
            for name in ("web-a", "web-b", "worker-a", "worker-b")
            for path in (self.tmp / name).rglob("*")
            if path.is_file() and "static" not in path.relative_to(self.tmp / name).parts
        )

    def stop(self) -> None:
        if self.collecting.poll() is None:
            self.collecting.kill()
            self.collecting.wait()
        for process in self.processes:
            if process.poll() is None:
                if "worker" in " ".join(map(str, process.args)):
                    kill_worker(process)
                else:
                    stop(process)

    def log(self, name: str) -> str:
        return self.logs[name].read_text() if name in self.logs else ""


@pytest.fixture
def machines(tmp_path, s3, settings):
    redis_client().flushdb()
    endpoint, _client = s3
    site = Machines(tmp_path, endpoint)
    # This process signs people in (a session row in the shared database) with the servers' key.
    settings.SECRET_KEY = site.secret_key
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    try:
        site.start_worker("worker-a")
        site.start_worker("worker-b")
        site.wait_for_static()
        site.start_server("web-a", site.ports[0])
        site.start_server("web-b", site.ports[1])
        for process, log in site.servers:
            wait_for_port(process, log)
        wait_for(lambda: "Listening on" in site.log("worker-a") and "Listening on" in site.log("worker-b"),
                 timeout=30, what="both workers")  # fmt: skip
        yield site
    finally:
        site.stop()
        redis_client().flushdb()


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "Pier-07"
    root.mkdir()
    for n in range(IMAGES):
        (root / f"pier_{n:02}.jpg").write_bytes(samples.jpeg(640, 480, seed=40 + n))
    (root / "pier_broken.jpg").write_bytes(samples.truncated_jpeg())  # passes the cheap checks, not the decode
    return root


def sign_in(page, url: str, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": url,
                "secure": True,
                "httpOnly": True,
            }
        ]
    )


def image_point(page, x: float, y: float) -> tuple[float, float]:
    return page.evaluate(
        """([x, y]) => {
            const s = window.BinaBoard.annotate.state;
            const r = document.getElementById('viewport').getBoundingClientRect();
            return [r.left + s.tx + x * s.scale, r.top + s.ty + y * s.scale];
        }""",
        [x, y],
    )


def archive_contents(data: bytes) -> dict[str, bytes | dict]:
    """Every file of a zip, without the moment it was made (COCO's "info", the README's "Made …" line)."""
    contents: dict[str, bytes | dict] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            contents[info.filename] = archive.read(info)
            if info.filename.endswith(".json"):
                contents[info.filename] = json.loads(contents[info.filename])
                contents[info.filename].pop("info", None)
            if info.filename == "README.txt":
                contents[info.filename] = re.sub(rb"Made \d{4}-\d\d-\d\d [0-9:]+ \w+\.", b"", contents[info.filename])
    return contents


def one_machine_export(project, options: ExportOptions, endpoint: str, settings) -> dict[str, bytes]:
    """The same export made here, in one process, from the same rows and the same bucket."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET, "endpoint_url": endpoint, "addressing_style": "path", "region_name": "us-east-1",
                "access_key": "testing", "secret_key": "testing", "default_acl": None, "file_overwrite": False,
            },
        },
    }  # fmt: skip
    export = prepare_export(project, options)
    try:
        return archive_contents(b"".join(export.stream()))
    finally:
        export.close()


def finished_jobs_by_worker() -> dict[str, list[str]]:
    """Every task the queue ran, by the name of the worker that ran it (RQ keeps it with the job)."""
    from django_tasks_rq.backend import Job
    from rq import Queue
    from rq.registry import FinishedJobRegistry

    connection_ = redis_client()
    by_worker: dict[str, list[str]] = {}
    for name in settings.TASK_QUEUES:
        registry = FinishedJobRegistry(queue=Queue(name, connection=connection_, job_class=Job))
        for job_id in registry.get_job_ids():
            job = Job.fetch(job_id, connection=connection_)
            by_worker.setdefault(job.worker_name or "?", []).append(job.func_name)
    return by_worker


def test_two_servers_and_two_workers_sharing_nothing_on_disk_give_the_one_machine_result(
    browser, machines, s3, folder, project, manager, annotator, reviewer, settings
):
    started = time.monotonic()
    a, b = machines.urls()
    context = browser.new_context(
        extra_http_headers={"X-Forwarded-Proto": "https"}, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    page.set_default_timeout(20_000)
    expect.set_options(timeout=20_000)

    # The manager uploads a folder on server B; chunks of one file, so several tasks reach the queue.
    sign_in(page, a, manager)
    page.goto(f"{b}/projects/{project.pk}/upload/")
    page.locator("#upload-folder").set_input_files(str(folder))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("[data-upload-report]")).to_contain_text(
        f"Kept {IMAGES} images as the new batch “Pier-07” in Unassigned; refused 1 file.", timeout=40_000
    )
    expect(page.locator('[data-upload-report] tr[data-outcome="refused"]')).to_contain_text("pier_broken.jpg")
    session = UploadSession.objects.get()
    batch = Batch.objects.get(pk=session.batch_id)
    assert batch.image_count == IMAGES

    # On server A the manager assigns it to the annotator from the card's menu.
    page.goto(f"{a}/projects/{project.pk}/")
    page.locator(f"#card-{batch.pk}-moves").click()
    page.locator(f"#card-{batch.pk} [data-move=assign]").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_label("annotator", exact=True).check()
    dialog.get_by_role("button", name="Assign").click()
    expect(page.locator(f'section[data-column="annotating"] [data-batch-id="{batch.pk}"]')).to_be_visible()

    # The annotator works on server B: a box on the first image (read from S3), "no objects" on the others.
    sign_in(page, b, annotator)
    page.goto(f"{b}/projects/{project.pk}/batches/{batch.pk}/annotate/")
    # Locators, not wait_for_function: a string predicate is polled with eval, which the app's CSP refuses.
    expect(page.locator("#photo")).to_have_js_property("complete", True)
    expect(page.locator("#photo")).not_to_have_js_property("naturalWidth", 0)
    page.mouse.move(*image_point(page, 100, 80))
    page.mouse.down()
    page.mouse.move(*image_point(page, 300, 260), steps=8)
    page.mouse.up()
    expect(page.locator("#save-status")).to_have_text("Saved")
    for position in range(2, IMAGES + 1):
        page.keyboard.press("d")
        expect(page.locator("#image-position")).to_have_text(f"{position} of {IMAGES}")
        page.keyboard.press("n")
        expect(page.locator("#image-state")).to_have_text("No objects")
        expect(page.locator("#save-status")).to_have_text("Saved")
    expect(page.locator("#progress-text")).to_have_text(f"{IMAGES} / {IMAGES} done")
    page.get_by_role("button", name="Submit batch").click()
    page.wait_for_url(re.compile(r"/projects/\d+/"))

    # The reviewer approves on server A.
    sign_in(page, a, reviewer)
    page.goto(f"{a}/projects/{project.pk}/batches/{batch.pk}/review/")
    page.get_by_role("button", name=re.compile("Approve")).click()
    page.wait_for_url(re.compile(r"/projects/\d+/"))
    assert Batch.objects.get(pk=batch.pk).status == Batch.Status.DATASET

    # The manager asks for an export with images on server B, and downloads it from server A.
    sign_in(page, b, manager)
    page.goto(f"{b}/projects/{project.pk}/export/")
    page.get_by_label("COCO").check()
    page.locator("#id_include_images").check()
    page.get_by_role("button", name="Export", exact=True).click()
    expect(page.locator("#export-jobs .export-job-done")).to_have_count(1, timeout=40_000)
    job = ExportJob.objects.get()
    page.goto(f"{a}/projects/{project.pk}/export/")
    # Fetched through the browser's context (its cookies, its proxy header): a download started by a
    # click would leave Playwright's extra headers behind, and the pretend proxy with them.
    link = page.locator("#export-jobs .export-job-done").get_by_role("link", name="Download")
    answer = page.request.get(a + link.get_attribute("href"))
    assert answer.ok, answer.status
    assert answer.url.startswith(s3[0]), answer.url  # a presigned redirect: the bytes come from the bucket
    received = archive_contents(answer.body())
    context.close()

    # The export equals what one machine makes of the same rows.
    options = ExportOptions(format="coco", include_images=True, split=None, seed=job.options["seed"],
                            batch_ids=tuple(job.options["batch_ids"]) if job.options["batch_ids"] else None)  # fmt: skip
    expected = one_machine_export(project, options, s3[0], settings)
    assert sorted(received) == sorted(expected)
    assert received == expected
    assert sum(name.endswith(".jpg") for name in received) == IMAGES

    # Both workers did part of the work: the upload's chunks, the deep checks, the export.
    by_worker = finished_jobs_by_worker()
    assert set(by_worker) == {"worker-a", "worker-b"}, by_worker
    # Both servers answered requests.
    for name in ("web-a", "web-b"):
        assert re.search(r'"POST /projects/', machines.log(name)), name

    # Images and thumbnails live in the bucket; no process wrote a file to its own disk.
    stored = s3[1].list_objects_v2(Bucket=BUCKET).get("Contents", [])
    names = {entry["Key"] for entry in stored}
    for image in Image.objects.filter(batch=batch):
        assert image.file.name in names and image.thumbnail.name in names
    assert machines.files_on_local_disk() == []
    assert not problems, problems
    assert time.monotonic() - started < 90, "the simulation grew too slow for CI"
