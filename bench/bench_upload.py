"""Upload sessions over HTTP: accepted and processed images/s, memory, and a resume after the client dies.

    DEBUG=1 .venv/bin/python bench/bench_upload.py        (also run by `make bench`)

A real server (gunicorn, the production configuration, 2 processes) on 127.0.0.1:8851 and real workers
(`manage.py worker`, django-tasks-db) on one SQLite database in a temporary folder. The client posts
chunks like upload.js does: 20 files per request (one framed body, batches/uploads/frames.py), 3 requests
at once, after asking which hashes the session already has.

- accepted images/s: from the first chunk to the last answer (bytes stored, the report reachable);
- processed images/s: from the first chunk until the session is done (every thumbnail made);
- the bare-Pillow floor (bench_ingest.run_floor: open + draft + thumbnail + save), measured before, between and
  after the two runs; each run is compared with the mean of the floors on either side of it.

Goals (issue 12): accepted ≥ 2× the one-core floor and above 165 images/s; processed ≥ 0.8 × workers ×
floor. Then BENCH_UPLOAD_LARGE (default 10,000) generated small JPEGs: the client is killed half-way and
started again; the second client sends only the missing files. Peak memory of web and worker processes
is sampled in the first and the second half. Environment: BENCH_UPLOAD_IMAGES (500), BENCH_UPLOAD_LARGE.
"""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import write_section
from bench_ingest import photos, run_floor

ROOT = Path(__file__).resolve().parent.parent
PORT = int(os.environ.get("BENCH_UPLOAD_PORT", "8851"))
BASE = f"http://127.0.0.1:{PORT}"
COUNT = int(os.environ.get("BENCH_UPLOAD_IMAGES", "500"))
LARGE = int(os.environ.get("BENCH_UPLOAD_LARGE", "10000"))
CHUNK = 20
CONCURRENT = 3


# --- the site: database, user, project, server, workers -------------------------------------------


class Site:
    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="bench-upload-"))
        self.env = {
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": f"sqlite:///{self.folder / 'db.sqlite3'}",
            "MEDIA_ROOT": str(self.folder / "media"),
            "TASKS_BACKEND": "db",
            "PORT": str(PORT),
            "WEB_CONCURRENCY": "2",
            "LOG_LEVEL": "WARNING",
            "TASK_MAINTENANCE_SECONDS": "5",
        }
        self.server: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []

    def manage(self, *args: str, stdin: str = "") -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, input=stdin, capture_output=True, text=True
        )
        if done.returncode:
            raise SystemExit(done.stdout + done.stderr)
        return done.stdout

    def setup(self) -> tuple[str, list[int]]:
        self.manage("migrate", "--noinput")
        script = (
            "from django.contrib.auth import get_user_model\n"
            "from django.contrib.sessions.backends.db import SessionStore\n"
            "from django.contrib.auth import SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY\n"
            "from accounts.models import Project\n"
            "from accounts.roles import grant_role\n"
            "user = get_user_model().objects.create_user('bench', password='x')\n"
            "ids = []\n"
            "for n in range(4):\n"
            "    p = Project.objects.create(name=f'Bench {n}')\n"
            "    grant_role(p, user, 'manager')\n"
            "    ids.append(p.pk)\n"
            "s = SessionStore()\n"
            "s[SESSION_KEY] = str(user.pk)\n"
            "s[BACKEND_SESSION_KEY] = 'django.contrib.auth.backends.ModelBackend'\n"
            "s[HASH_SESSION_KEY] = user.get_session_auth_hash()\n"
            "s.create()\n"
            "print('BENCH', s.session_key, *ids)\n"
        )
        line = next(line for line in self.manage("shell", "-c", script).splitlines() if line.startswith("BENCH "))
        key, *ids = line.split()[1:]
        return key, [int(i) for i in ids]

    def start_server(self) -> None:
        self.server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "binaboard.wsgi"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=(self.folder / "server.log").open("w"),
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{BASE}/healthz", timeout=1).ok:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        raise SystemExit("the server did not start: " + (self.folder / "server.log").read_text()[-2000:])

    def start_workers(self, n: int) -> None:
        for i in range(n):
            self.workers.append(
                subprocess.Popen(
                    [sys.executable, "manage.py", "worker"],
                    cwd=ROOT,
                    env=self.env,
                    stdout=(self.folder / f"worker{i}.log").open("w"),
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

    def stop_workers(self) -> None:
        for worker in self.workers:
            os.killpg(worker.pid, signal.SIGTERM)
        for worker in self.workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
        self.workers = []

    def close(self) -> None:
        self.stop_workers()
        if self.server:
            os.killpg(self.server.pid, signal.SIGTERM)
            self.server.wait(timeout=30)
        shutil.rmtree(self.folder, ignore_errors=True)

    def rss(self) -> dict[str, float]:
        """Current RSS (MB) of the web processes and of the worker processes, each the largest one."""
        web = [p for p in family(self.server.pid)] if self.server else []
        work = [p for w in self.workers for p in family(w.pid)]
        return {
            "web": max((rss_mb(p) for p in web), default=0.0),
            "worker": max((rss_mb(p) for p in work), default=0.0),
        }


def family(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    found, frontier = {pid}, {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return sorted(found)


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


# --- the client: what upload.js does ---------------------------------------------------------------


class Client:
    def __init__(self, session_key: str, project: int) -> None:
        self.http = requests.Session()
        self.http.cookies.set("sessionid", session_key)
        self.http.get(f"{BASE}/projects/{project}/upload/").raise_for_status()
        self.csrf = self.http.cookies.get("csrftoken")
        self.project = project
        self.requests = 0
        self.bytes = 0
        self.lock = threading.Lock()

    def post(self, url: str, headers: dict | None = None, **kwargs) -> dict:
        response = self.http.post(
            BASE + url, headers={"X-CSRFToken": self.csrf, "Accept": "application/json", **(headers or {})}, **kwargs
        )
        if response.status_code >= 300:
            raise SystemExit(f"{url}: HTTP {response.status_code} {response.text[:300]}")
        return response.json()

    def upload(self, files: list[tuple[str, bytes]], fingerprint: str, finish: bool = True) -> dict:
        session = self.post(
            f"/projects/{self.project}/uploads/start",
            data={"expected": len(files), "name": "bench", "fingerprint": fingerprint},
        )
        urls = session["urls"]
        # As upload.js does: files hashed in order and asked about a page at a time (a chunk's worth at first,
        # doubling up to 1,000); what the session lacks is sent at once, CONCURRENT chunks in flight, while
        # later files are still being hashed.
        queue: list[tuple[str, bytes]] = []
        ready = threading.Condition()
        done = False
        skipped = sent = 0

        def hash_and_ask() -> None:
            nonlocal done, skipped
            try:
                page, size = [], CHUNK
                for index, (name, data) in enumerate(files):
                    page.append((name, data, hashlib.sha256(data).hexdigest()))
                    if len(page) >= size or index == len(files) - 1:
                        known = set(self.post(urls["known"], data=json.dumps([sha for *_, sha in page]))["known"])
                        with ready:
                            queue.extend((name, data) for name, data, sha in page if sha not in known)
                            skipped += sum(1 for *_, sha in page if sha in known)
                            ready.notify_all()
                        page, size = [], min(size * 2, 1000)
            finally:
                with ready:
                    done = True
                    ready.notify_all()

        def sender() -> None:
            nonlocal sent
            while True:
                with ready:
                    ready.wait_for(lambda: len(queue) >= CHUNK or done)
                    if not queue:
                        return
                    chunk = queue[:CHUNK]
                    del queue[:CHUNK]
                self.post(urls["files"], data=framed(chunk), headers={"Content-Type": FRAMED})
                with self.lock:
                    self.requests += 1
                    self.bytes += sum(len(data) for _, data in chunk)
                    sent += len(chunk)

        with ThreadPoolExecutor(CONCURRENT + 1) as pool:
            for future in [pool.submit(hash_and_ask), *(pool.submit(sender) for _ in range(CONCURRENT))]:
                future.result()
        if finish:
            session = self.post(urls["finish"])
        return {**session, "skipped": skipped, "sent": sent}

    def wait_done(self, session: dict, timeout: float = 1200) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.http.get(BASE + session["urls"]["status"]).json()
            if status["status"] in ("done", "cancelled"):
                return status
            time.sleep(0.05)
        raise SystemExit("the upload did not finish in time")


FRAMED = "application/vnd.binaboard.chunk"  # batches/uploads/frames.py


def framed(chunk: list[tuple[str, bytes]]) -> bytes:
    """A chunk as upload.js sends it: the manifest's length, the manifest, the files back to back."""
    manifest = json.dumps([{"name": name, "size": len(data)} for name, data in chunk]).encode()
    return b"".join([len(manifest).to_bytes(4, "big"), manifest, *(data for _, data in chunk)])


# --- the runs ------------------------------------------------------------------------------------


def measure(site: Site, key: str, project: int, files: list[tuple[str, bytes]], workers: int) -> dict:
    site.start_workers(workers)
    time.sleep(2)  # the workers are up and polling before the clock starts
    client = Client(key, project)
    started = time.perf_counter()
    session = client.upload(files, fingerprint=hashlib.sha256(f"{project}".encode()).hexdigest())
    accepted = time.perf_counter() - started
    status = client.wait_done(session)
    processed = time.perf_counter() - started
    site.stop_workers()
    assert status["processed"] == len(files), status
    return {"accepted": len(files) / accepted, "processed": len(files) / processed, "status": status}


def small_jpegs(n: int) -> list[tuple[str, bytes]]:
    from PIL import Image

    out = []
    for i in range(n):
        im = Image.new("RGB", (64, 48), ((i * 37) % 256, (i * 91) % 256, 128))
        for bit in range(16):  # the number as 4×4 black or white squares: every file is different
            colour = (255, 255, 255) if i >> bit & 1 else (0, 0, 0)
            im.paste(colour, (4 * bit, 0, 4 * bit + 4, 4))
        buffer = io.BytesIO()
        im.save(buffer, "JPEG", quality=85)
        out.append((f"small/{i:05d}.jpg", buffer.getvalue()))
    return out


def large_run(site: Site, key: str, project: int) -> dict:
    files = small_jpegs(LARGE)
    fingerprint = hashlib.sha256(b"large").hexdigest()
    site.start_workers(1)
    samples: list[tuple[float, dict]] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            samples.append((time.monotonic(), site.rss()))
            time.sleep(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    # The first client runs in a process of its own and is killed (SIGKILL) half-way, as a closed laptop.
    ctx = multiprocessing.get_context("fork")
    first = ctx.Process(target=_first_client, args=(key, project, files, fingerprint))
    first.start()
    watcher = Client(key, project)
    while True:
        found = watcher.post(f"/projects/{project}/uploads/start", data={"expected": LARGE, "fingerprint": fingerprint})
        if found["received"] >= LARGE // 2 or not first.is_alive():
            break
        time.sleep(0.2)
    if first.is_alive():  # it may have ended on its own between the last look and now
        os.kill(first.pid, signal.SIGKILL)
    first.join()
    if first.exitcode not in (0, -signal.SIGKILL):
        raise SystemExit(f"the first client failed (exit code {first.exitcode}) after {found['received']} files")
    half = time.monotonic()
    second = Client(key, project)
    session = second.upload(files, fingerprint)
    status = second.wait_done(session)
    stop.set()
    sampler.join()
    site.stop_workers()
    first_half = [s for t, s in samples if t <= half]
    second_half = [s for t, s in samples if t > half]
    return {
        "status": status,
        "seconds": time.monotonic() - started,
        "resent": session["sent"],
        "skipped": session["skipped"],
        "requests": second.requests,
        "bytes": second.bytes,
        "web": (max(s["web"] for s in first_half), max(s["web"] for s in second_half)),
        "worker": (max(s["worker"] for s in first_half), max(s["worker"] for s in second_half)),
    }


def _first_client(key: str, project: int, files, fingerprint: str) -> None:
    Client(key, project).upload(files, fingerprint, finish=False)


def floor_now(paths: list[Path]) -> float:
    """The bare-Pillow floor right now, in images/s (one core)."""
    scratch = Path(tempfile.mkdtemp(prefix="bench-floor-"))
    try:
        floor = run_floor(paths, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    rate = floor["images"] / floor["seconds"]
    print(f"floor (bare Pillow, one core): {rate:.0f} images/s", flush=True)
    return rate


def main() -> None:
    paths = photos()[:COUNT]
    # The floor before, between and after the two runs: each run is compared with the mean of the floors on
    # either side of it, so a machine that got busier (or quieter) during the run tilts neither way.
    floors = [floor_now(paths)]
    files = [(path.name, path.read_bytes()) for path in paths]
    site = Site()
    try:
        key, projects = site.setup()
        site.start_server()
        runs = {}
        for workers, project in ((1, projects[0]), (2, projects[1])):
            runs[workers] = measure(site, key, project, files, workers)
            print(
                f"{workers} worker(s): accepted {runs[workers]['accepted']:.0f} images/s, "
                f"processed {runs[workers]['processed']:.0f} images/s",
                flush=True,
            )
            floors.append(floor_now(paths))
            runs[workers]["floor"] = (floors[-2] + floors[-1]) / 2
        large = large_run(site, key, projects[2]) if LARGE else None
    finally:
        site.close()
    report(floors, runs, large)


def report(floors: list[float], runs: dict, large: dict | None) -> None:
    def verdict(ok: bool) -> str:
        return "met" if ok else "**missed**"

    lines = [
        "## Upload sessions (bench/bench_upload.py)",
        "",
        f"{COUNT} × 1920×1080 JPEGs posted like upload.js ({CHUNK} files a request, {CONCURRENT} at once) to gunicorn "
        "(2 processes) with django-tasks-db workers, SQLite, local disk; all on the same 2 shared cores.",
        "",
        "| workers | accepted images/s | processed images/s | floor around the run | processed ÷ (workers × floor) |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for workers, run in runs.items():
        lines.append(
            f"| {workers} | {run['accepted']:.0f} | {run['processed']:.0f} | {run['floor']:.0f} "
            f"| {run['processed'] / (workers * run['floor']):.2f} |"
        )
    floor = sum(floors) / len(floors)
    best = max(run["accepted"] for run in runs.values())
    lines += [
        "",
        "Bare-Pillow floor (open + draft + thumbnail + save, one core), measured before, between and after the runs: "
        + ", ".join(f"{rate:.0f}" for rate in floors)
        + f" images/s (mean **{floor:.0f}**); each run is compared with the mean of the two around it.",
        "",
        f"- accepted ≥ 2 × floor ({2 * floor:.0f}/s) and > 165/s: {verdict(best >= 2 * floor and best > 165)} "
        f"(best {best:.0f}/s);",
        f"- processed ≥ 0.8 × workers × floor: 1 worker {verdict(runs[1]['processed'] >= 0.8 * runs[1]['floor'])}, "
        f"2 workers {verdict(runs[2]['processed'] >= 1.6 * runs[2]['floor'])} (the web server, the client and both "
        "workers share the machine's 2 cores, so 2 workers cannot have 2 cores of their own here).",
    ]
    if large:
        status = large["status"]
        lines += [
            "",
            f"### {LARGE:,} small JPEGs, client killed half-way",
            "",
            f"Finished: {status['processed']:,} images ready, {status['failed']} refused, in {large['seconds']:.0f} s "
            "(1 worker).",
            f"The second client skipped {large['skipped']:,} files the session had and sent {large['resent']:,} "
            f"({large['requests']} requests, {large['bytes'] / 1e6:.1f} MB).",
            "",
            "| peak RSS (MB) | first half | second half |",
            "| --- | ---: | ---: |",
            f"| web process | {large['web'][0]:.0f} | {large['web'][1]:.0f} |",
            f"| worker process | {large['worker'][0]:.0f} | {large['worker'][1]:.0f} |",
        ]
    lines += [
        "",
        "The machine is shared (up to 8 sessions on its 2 cores run tests and benchmarks beside this one), so",
        "the figures are noisy: the floor is measured around each run, and the ratios within a run are",
        "what counts. Workers run at a lower CPU priority (`WORKER_NICE`, 10 by default): requests come first.",
    ]
    write_section("upload", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
