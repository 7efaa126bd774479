"""Uploading in a real browser: the page and the board's dialog, the progress bar, the report, the new card."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from batches.models import Batch
from batches.views import upload as upload_view
from tests.batches import ingest_samples as samples

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp/binaboard-shots"))


def sign_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}])


def screenshot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture(autouse=True)
def _tasks_inline(settings):
    """Images go through an upload session: its worker's part runs as each chunk commits."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def files(tmp_path) -> list[str]:
    """Three good photos and two bad files, on disk for the file chooser."""
    made = {
        "street_01.jpg": samples.jpeg(1600, 1200),
        "street_02.jpg": samples.jpeg(1600, 1200),
        "street_03.png": samples.png(800, 600),
        "drawing.svg": samples.SVG_WITH_SCRIPT,
        "broken.jpg": samples.truncated_jpeg(),
    }
    for name, data in made.items():
        (tmp_path / name).write_bytes(data)
    return [str(tmp_path / name) for name in made]


@pytest.fixture
def slow_checks(monkeypatch):
    """Hold the server's answer a moment so the progress bar's last state can be seen."""
    real = upload_view.ingest

    def slow(**kwargs):
        time.sleep(1.0)
        return real(**kwargs)

    monkeypatch.setattr(upload_view, "ingest", slow)


def expect_progress_then_report(page, name: str) -> Batch:
    progress = page.locator("[data-upload-progress]")
    expect(progress).to_be_visible()
    expect(progress.locator("progress")).to_have_js_property("value", 100)
    report = page.locator("[data-upload-report]")
    expect(report).to_contain_text(f"Kept 3 images as the new batch “{name}” in Unassigned; refused 2 files.")
    expect(report.locator('tr[data-outcome="refused"]', has_text="drawing.svg")).to_contain_text(
        "SVG drawings are not accepted"
    )
    expect(report.locator('tr[data-outcome="refused"]', has_text="broken.jpg")).to_contain_text(
        "corrupt or truncated image"
    )
    expect(report).to_be_focused()
    # Finished: the report replaces the progress (no "Processing: …" left under it, no second list of refusals).
    expect(progress).to_be_hidden()
    expect(page.locator("[data-upload-files] li")).to_have_count(0)
    return Batch.objects.get(name=name)


def test_a_manager_uploads_on_the_page_sees_the_progress_and_the_report_and_finds_the_batch_on_the_board(
    page, live_server, project, manager, files, slow_checks
):
    sign_in(page, live_server, manager)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/projects/{project.pk}/upload/")
    screenshot(page, "upload-page-empty")
    page.locator("#upload-files").set_input_files(files)
    expect(page.locator("[data-upload-selection]")).to_contain_text("5 files chosen")
    page.get_by_label("Batch name").fill("Street-07")
    page.get_by_role("button", name="Upload").click()

    batch = expect_progress_then_report(page, "Street-07")
    screenshot(page, "upload-page-report")

    page.get_by_role("link", name="See “Street-07” on the board").click()
    expect(page.locator(f'[data-column="unassigned"] [data-batch-id="{batch.pk}"]')).to_be_visible()


def test_the_board_opens_the_upload_in_a_dialog_and_shows_the_new_card_after_closing_it(
    page, live_server, project, manager, files, slow_checks
):
    sign_in(page, live_server, manager)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    page.locator('[data-column="unassigned"]').get_by_role("link", name="Upload images").first.click()

    dialog = page.locator("dialog.upload-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#upload-files")).to_be_focused()
    dialog.locator("#upload-files").set_input_files(files)
    dialog.get_by_label("Batch name").fill("Night-01")
    screenshot(page, "upload-dialog-chosen")
    dialog.get_by_role("button", name="Upload").click()

    batch = expect_progress_then_report(page, "Night-01")
    screenshot(page, "upload-dialog-report")
    dialog.get_by_role("button", name="Close").click()
    expect(page.locator(f'[data-column="unassigned"] [data-batch-id="{batch.pk}"]')).to_be_visible()
    expect(dialog).to_have_count(0)


def test_on_a_phone_the_upload_page_fits_the_screen(page, live_server, project, manager, files):
    sign_in(page, live_server, manager)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/projects/{project.pk}/upload/")
    page.locator("#upload-files").set_input_files(files[:2])
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("[data-upload-report]")).to_contain_text("Kept 2 images")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "upload-phone-report")


def test_images_and_an_archive_go_through_the_session_beyond_the_one_request_file_limit(
    page, live_server, project, manager, files, settings, tmp_path
):
    # The one-request form (no JavaScript) has a file limit; with JavaScript an archive goes in parts to
    # the upload session like the images, without one.
    settings.UPLOAD_MAX_FILES = 2
    archive = tmp_path / "more.zip"
    archive.write_bytes(samples.zip_archive([("a.jpg", samples.jpeg(seed=77))]))
    sign_in(page, live_server, manager)
    page.goto(f"{live_server.url}/projects/{project.pk}/upload/")
    page.locator("#upload-files").set_input_files([*files[:2], str(archive)])
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("[data-upload-report]")).to_contain_text("Kept 3 images")
    assert Batch.objects.get().image_count == 3
