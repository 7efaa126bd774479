"""Upload sessions in a real browser: a folder in chunks, progress, the card processing then ready, cancel, resume."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from batches.models import Batch, UploadFile, UploadSession
from batches.uploads import archives, processing, sessions
from batches.workflow import WorkflowError
from tests.batches import ingest_samples as samples
from tests.batches.ingest_samples import stored_files
from tests.e2e.test_upload import screenshot, sign_in
from tests.task_helpers import wait_for

pytestmark = pytest.mark.browser


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "Harbour-03"
    (root / "east").mkdir(parents=True)
    for n in range(6):
        (root / ("east" if n % 2 else "") / f"img_{n:02}.jpg").write_bytes(samples.jpeg(320, 240, seed=n))
    (root / "notes.svg").write_bytes(samples.SVG_WITH_SCRIPT)
    return root


@pytest.fixture
def queued(settings):
    """Tasks wait in the database queue: the test plays the worker (processing.process_waiting)."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    settings.UPLOAD_CHUNK_FILES = 2


@pytest.fixture
def counted_chunks(monkeypatch):
    """Count the chunk requests the server receives (the live server runs in this process)."""
    calls: list[int] = []
    real = sessions.receive_chunk

    def counting(**kwargs):
        calls.append(len(kwargs["arrivals"]))
        return real(**kwargs)

    monkeypatch.setattr("batches.views.upload_sessions.sessions.receive_chunk", counting)
    return calls


def test_a_folder_goes_in_chunks_and_its_card_shows_processing_then_ready(
    page, live_server, project, manager, folder, queued, counted_chunks
):
    sign_in(page, live_server, manager)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/projects/{project.pk}/upload/")
    page.locator("#upload-folder").set_input_files(str(folder))
    expect(page.locator("[data-upload-selection]")).to_contain_text("7 files chosen")
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("[data-upload-status]")).to_contain_text("Processing: 0 of 7 images ready")
    screenshot(page, "upload-session-processing")
    # upload.js sends three chunks at once: they reach the server in any order.
    assert sorted(counted_chunks, reverse=True) == [2, 2, 2, 1]
    session = UploadSession.objects.get()
    assert session.name == "Harbour-03"

    board = page.context.new_page()
    board.goto(f"{live_server.url}/projects/{project.pk}/")
    card = board.locator(f'[data-batch-id="{session.batch_id}"]')
    expect(card.locator("[data-processing]")).to_contain_text("processing 0 / 7")

    processing.process_waiting()  # the worker's part
    expect(page.locator("[data-upload-report]")).to_contain_text(
        "Kept 6 images as the new batch “Harbour-03” in Unassigned; refused 1 file."
    )
    expect(page.locator('[data-upload-report] tr[data-outcome="refused"]')).to_contain_text("SVG")
    expect(card.locator("[data-processing]")).to_have_count(0, timeout=15_000)  # the board's live poll
    expect(card.locator(".image-count")).to_contain_text("6 images")
    screenshot(board, "upload-session-card-ready")


def test_the_first_chunk_leaves_while_later_files_are_still_being_fingerprinted(
    page, live_server, project, manager, folder, queued, counted_chunks
):
    """A big folder used to be hashed whole before a byte was sent; now each page of hashes is asked about and sent."""
    sign_in(page, live_server, manager)
    page.goto(f"{live_server.url}/projects/{project.pk}/upload/")
    # Hashing is made slow (150 ms a file) and every step is logged in order.
    page.evaluate(
        """() => {
        window.steps = [];
        const digest = crypto.subtle.digest.bind(crypto.subtle);
        crypto.subtle.digest = (algorithm, data) => new Promise((resolve) => setTimeout(resolve, 150))
          .then(() => digest(algorithm, data)).then((hash) => { window.steps.push('hash'); return hash; });
        const open = XMLHttpRequest.prototype.open;
        XMLHttpRequest.prototype.open = function (method, url) {
          if (String(url).endsWith('/files')) window.steps.push('chunk');
          return open.apply(this, arguments);
        };
      }"""
    )
    page.locator("#upload-folder").set_input_files(str(folder))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("[data-upload-status]")).to_contain_text("Processing: 0 of 7 images ready", timeout=15_000)
    steps = page.evaluate("window.steps")
    hashes = [i for i, step in enumerate(steps) if step == "hash"]
    assert steps.count("chunk") == 4 and len(hashes) >= 7  # the 7 files (and the folder's fingerprint)
    assert steps.index("chunk") < hashes[-1], steps  # the first chunk went before the last file was hashed
    assert sorted(counted_chunks, reverse=True) == [2, 2, 2, 1]  # three in flight: any order
    session = UploadSession.objects.get()
    assert session.received + session.failed == 7


def test_a_refused_chunk_stops_the_hashing_and_the_sending_behind_it(
    page, live_server, project, manager, folder, queued, monkeypatch
):
    """The pipeline used to keep hashing, asking and sending after a chunk was given up on; a second Upload would
    then run beside it."""
    calls: list[int] = []

    def refuse(**kwargs):
        calls.append(len(kwargs["arrivals"]))
        raise WorkflowError("Refused for the test.", kind=WorkflowError.INVALID)

    monkeypatch.setattr("batches.views.upload_sessions.sessions.receive_chunk", refuse)
    sign_in(page, live_server, manager)
    page.goto(f"{live_server.url}/projects/{project.pk}/upload/")
    page.evaluate(
        """() => {
        window.hashed = 0;
        const digest = crypto.subtle.digest.bind(crypto.subtle);
        crypto.subtle.digest = (algorithm, data) => new Promise((resolve) => setTimeout(resolve, 200))
          .then(() => digest(algorithm, data)).then((hash) => { window.hashed += 1; return hash; });
      }"""
    )
    page.locator("#upload-folder").set_input_files(str(folder))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("[data-upload-error]")).to_contain_text("Refused for the test.", timeout=15_000)
    page.wait_for_timeout(800)  # a hash already under way when the chunk was refused may still end
    hashed = page.evaluate("window.hashed")
    page.wait_for_timeout(1500)  # seven more hashes' worth of time
    assert page.evaluate("window.hashed") == hashed < 8  # the folder's fingerprint and a page or two, then nothing
    assert calls == [2]  # the one chunk refused; none after it
    assert not UploadFile.objects.exists()


def test_a_picture_chosen_twice_is_listed_as_a_duplicate_of_the_first_as_in_a_zip(
    page, live_server, project, manager, tmp_path, queued, counted_chunks
):
    root = tmp_path / "Twice"
    root.mkdir()
    for name, seed in (("a.jpg", 1), ("b.jpg", 2), ("copy of a.jpg", 1), ("c.jpg", 3)):
        (root / name).write_bytes(samples.jpeg(320, 240, seed=seed))
    sign_in(page, live_server, manager)
    page.goto(f"{live_server.url}/projects/{project.pk}/upload/")
    page.locator("#upload-folder").set_input_files(str(root))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("[data-upload-status]")).to_contain_text("Processing", timeout=15_000)
    # The progress list says what the report will say (it said "already received", then dropped the file).
    # Which of the two is the first is the order the folder lists them in.
    order = page.evaluate("() => Array.from(document.querySelector('#upload-folder').files, f => f.name)")
    first, copy = sorted(["a.jpg", "copy of a.jpg"], key=order.index)
    words = f"duplicate of Twice/{first} in this upload"
    copy_row = page.locator(f'[data-upload-files] li[data-file="Twice/{copy}"]')
    expect(copy_row).to_have_text(f"Twice/{copy} — {words}")
    expect(copy_row).to_have_class(re.compile("is-failed"))
    screenshot(page, "upload-copy-progress")
    processing.process_waiting()
    report = page.locator("[data-upload-report]")
    expect(report).to_contain_text("Kept 3 images", timeout=15_000)
    expect(report).to_contain_text("refused 1 file")
    expect(report).not_to_contain_text("received before")
    expect(report.locator("tr[data-outcome=refused]")).to_have_text([f"Twice/{copy}{words}"])
    screenshot(page, "upload-copy-report")
    session = UploadSession.objects.get()
    assert (session.received, session.failed) == (3, 1)
    assert counted_chunks[-1] == 1  # the copy goes alone, after the rest
    page.goto(f"{live_server.url}/projects/{project.pk}/uploads/{session.pk}/")
    expect(page.locator("body")).to_contain_text(words)


def test_on_a_phone_in_persian_the_copy_is_named_a_duplicate_in_persian(
    page, live_server, project, manager, tmp_path, queued
):
    manager.language = "fa"
    manager.save(update_fields=["language"])
    root = tmp_path / "Twice"
    root.mkdir()
    for name, seed in (("a.jpg", 1), ("copy of a.jpg", 1), ("b.jpg", 2)):
        (root / name).write_bytes(samples.jpeg(320, 240, seed=seed))
    sign_in(page, live_server, manager)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/projects/{project.pk}/upload/")
    page.locator("#upload-folder").set_input_files(str(root))
    page.locator("[data-upload-submit]").click()
    copy_row = page.locator("[data-upload-files] li.is-failed")
    expect(copy_row).to_contain_text("در همین بارگذاری", timeout=15_000)
    expect(copy_row).not_to_contain_text("in this upload")
    screenshot(page, "upload-copy-progress-fa-phone")
    processing.process_waiting()
    report = page.locator("[data-upload-report]")
    expect(report.locator("tr[data-outcome=refused]")).to_contain_text("تکراریِ Twice/")
    screenshot(page, "upload-copy-report-fa-phone")


def test_a_dropped_zip_goes_in_parts_and_its_card_shows_processing_then_ready(
    page, live_server, project, manager, queued, settings
):
    settings.UPLOAD_PART_BYTES = 8 * 1024
    data = samples.zip_archive(
        [(f"night/n_{n}.jpg", samples.noisy_jpeg(seed=n)) for n in range(3)] + [("../up.jpg", samples.jpeg(seed=9))]
    )
    assert len(data) > 3 * settings.UPLOAD_PART_BYTES
    sign_in(page, live_server, manager)
    page.goto(f"{live_server.url}/projects/{project.pk}/upload/")
    page.evaluate(
        """([bytes]) => {
            const file = new File([new Uint8Array(bytes)], "night.zip", { type: "application/zip" });
            const transfer = new DataTransfer();
            transfer.items.add(file);
            const zone = document.querySelector("[data-upload-drop]");
            zone.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
        }""",
        [list(data)],
    )
    expect(page.locator("[data-upload-selection]")).to_contain_text("1 file chosen")
    page.get_by_role("button", name="Upload").click()
    wait_for(lambda: UploadSession.objects.filter(status="processing").exists(), timeout=15)
    session = UploadSession.objects.get()
    assert session.parts.count() == -(-len(data) // settings.UPLOAD_PART_BYTES)

    archives.process_archive(session.pk, session.parts.first().archive, enqueue=False)  # the worker unpacks
    expect(page.locator("[data-upload-status]")).to_contain_text("Processing: 0 of 4 images ready, 1 refused")
    board = page.context.new_page()
    board.goto(f"{live_server.url}/projects/{project.pk}/")
    card = board.locator(f'[data-batch-id="{session.batch_id}"]')
    expect(card.locator("[data-processing]")).to_contain_text("processing 0 / 4")

    processing.process_waiting()  # and processes the entries
    expect(page.locator("[data-upload-report]")).to_contain_text("Kept 3 images as the new batch “night” in Unassigned")
    expect(page.locator('[data-upload-report] tr[data-outcome="refused"]')).to_contain_text("outside the archive")
    expect(card.locator("[data-processing]")).to_have_count(0, timeout=15_000)
    assert not session.parts.exists()  # the parts' files are listed for a removal task


def test_cancel_stops_the_upload_and_the_server_removes_what_it_stored(
    page, live_server, project, manager, folder, queued, monkeypatch
):
    real = sessions.receive_chunk
    first = []

    def slow_after_first(**kwargs):
        if first:
            time.sleep(2)
        first.append(1)
        return real(**kwargs)

    monkeypatch.setattr("batches.views.upload_sessions.sessions.receive_chunk", slow_after_first)
    sign_in(page, live_server, manager)
    page.goto(f"{live_server.url}/projects/{project.pk}/upload/")
    page.locator("#upload-folder").set_input_files(str(folder))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("[data-upload-files]")).to_contain_text("received", timeout=15_000)
    page.get_by_role("button", name="Cancel upload").click()
    expect(page.locator("[data-upload-error]")).to_contain_text("The upload was cancelled")
    session = UploadSession.objects.get()
    assert session.status == UploadSession.Status.CANCELLED
    assert not Batch.objects.exists()
    page.wait_for_timeout(2500)  # a chunk already on its way is refused, and leaves nothing
    assert stored_files() == []
    assert not UploadFile.objects.exists()


def test_after_a_reload_the_same_folder_resumes_and_only_the_missing_files_are_sent(
    page, live_server, project, manager, folder, queued, counted_chunks
):
    sign_in(page, live_server, manager)
    page.goto(f"{live_server.url}/projects/{project.pk}/upload/")
    # The connection dies after two chunks: later chunk requests are never sent.
    page.evaluate(
        """() => {
        let chunks = 0;
        const open = XMLHttpRequest.prototype.open;
        XMLHttpRequest.prototype.open = function (method, url) {
          if (String(url).endsWith('/files') && ++chunks > 2) this.send = () => {};
          return open.apply(this, arguments);
        };
      }"""
    )
    page.locator("#upload-folder").set_input_files(str(folder))
    page.get_by_role("button", name="Upload").click()
    wait_for(lambda: UploadFile.objects.count() == 4, timeout=15, what="two chunks")
    assert counted_chunks == [2, 2]

    page.reload()
    expect(page.locator("[data-upload-resume]")).to_contain_text("did not finish")
    page.locator("#upload-folder").set_input_files(str(folder))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("[data-upload-status]")).to_contain_text("Processing", timeout=15_000)
    session = UploadSession.objects.get()  # the same session, resumed
    assert (session.received + session.failed, session.failed) == (7, 1)
    assert sum(counted_chunks[2:]) == 3  # only the three files it did not have


def test_the_progress_counts_the_files_bytes_and_never_passes_the_total(
    page, live_server, project, manager, tmp_path, queued
):
    """A chunk's body is more than its files (the framing, the manifest of names): what the browser reports as
    sent is counted in proportion, so "x of y" never has x above y nor the percentage above 100. Small files with
    long names make the framing a large share of each body."""
    root = tmp_path / ("Harbour-" + "q" * 180)
    root.mkdir()
    for n in range(6):
        (root / (f"{n:02}-" + "w" * 200 + ".jpg")).write_bytes(samples.jpeg(8, 8, seed=n))
    sign_in(page, live_server, manager)
    page.goto(f"{live_server.url}/projects/{project.pk}/upload/")
    page.evaluate(
        """() => {
            window.written = [];
            const status = document.querySelector('[data-upload-status]');
            new MutationObserver(() => window.written.push(status.textContent))
                .observe(status, {childList: true, subtree: true, characterData: true});
        }"""
    )
    page.locator("#upload-folder").set_input_files(str(root))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("[data-upload-status]")).to_contain_text("Processing: 0 of 6 images ready")

    units = {"bytes": 1, "KB": 1024, "MB": 1024**2}
    sending = [
        m
        for m in (
            re.search(r"Sending ([\d.]+) (\w+) of ([\d.]+) (\w+) \((\d+)%\)", t)
            for t in page.evaluate("window.written")
        )
        if m
    ]
    assert sending, page.evaluate("window.written")
    for m in sending:
        sent, total = float(m[1]) * units[m[2]], float(m[3]) * units[m[4]]
        assert sent <= total and int(m[5]) <= 100, m[0]
    assert any(int(m[5]) == 100 for m in sending), [m[0] for m in sending]
