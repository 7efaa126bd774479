"""Numbers the page's scripts write on a Persian page are in Persian digits, as the server's (|digits) are.

Each check reads what a script wrote: a count, a percentage, a size, an "n seconds ago". Names people typed
stay as they are, so the batch and file names here have no digits, and no Latin digit may show anywhere.
"""

from __future__ import annotations

import os
import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import Notification
from batches.models import Image
from tests.batches import ingest_samples as samples
from tests.e2e.board_helpers import card, column, demo_batches, login, open_board
from tests.e2e.test_persian import speaks

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("SCREENSHOT_DIR", "")

PERSIAN_NUMBER = re.compile(r"^[۰-۹]+$")
LATIN = re.compile(r"[0-9]")


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}-{page.viewport_size['width']}.png"))


def persian_only(text: str) -> str:
    """`text`, once it holds a Persian digit and no Latin one."""
    assert re.search("[۰-۹]", text) and not LATIN.search(text), text
    return text


@pytest.fixture
def demo(project, manager, annotator, reviewer):
    speaks(manager, annotator, reviewer)
    return demo_batches(project, manager, annotator, reviewer)


def test_annotate_review_and_viewer_write_counts_and_zoom_in_persian_digits(
    board_page, live_server, project, annotator, reviewer, manager, demo
):
    page = board_page

    # Annotate: the box list (number, size) and its count; the zoom level.
    login(page, live_server, annotator)
    annotating = demo["annotating"]
    boxed = annotating.images.order_by("pk").first()
    page.goto(f"{live_server.url}{reverse('annotate', args=[project.pk, annotating.pk])}?image={boxed.pk}")
    expect(page.locator("#photo")).to_have_js_property("complete", True)  # no eval: the CSP refuses it
    expect(page.locator("#box-count")).to_have_text("(۱)")
    expect(page.locator(".box-pick")).to_have_text("#۱ ۱۰×۱۰")
    expect(page.locator("#zoom-level")).to_have_text(re.compile(r"^[۰-۹]+٪$"))
    shot(page, "digits-annotate")

    # Review: the zoom level after zooming in, and the count in the approve dialog's sentence.
    batch = demo["review"]
    Image.objects.filter(pk__in=batch.images.order_by("pk").values("pk")[:2]).update(review_flag=True, review_note="x")
    login(page, live_server, reviewer)
    page.goto(live_server.url + reverse("review", args=[project.pk, batch.pk]))
    expect(page.locator(".ws-stage img").first).to_be_visible()
    page.locator("#zoom-in").click()
    expect(page.locator("#zoom-level")).to_have_text(re.compile(r"^[۰-۹]+٪$"))
    page.locator("#approve-form button[type=submit]").click()
    expect(page.locator("#approve-dialog")).to_be_visible()
    expect(page.locator("#approve-dialog-text")).to_contain_text("۲")
    persian_only(page.locator("#approve-dialog-text").text_content())
    shot(page, "digits-review")

    # The viewer: the zoom level, and the next image's size, box count and boxes once it is swapped in.
    dataset = demo["dataset"]
    first, second = dataset.images.order_by("pk")[:2]
    login(page, live_server, manager)
    page.goto(live_server.url + reverse("batch_viewer", args=[project.pk, dataset.pk, first.pk]))
    page.locator("#zoom-in").click()
    expect(page.locator("#zoom-level")).to_have_text(re.compile(r"^[۰-۹]+٪$"))
    page.keyboard.press("ArrowLeft")  # on a right-to-left page ← goes on, towards Next
    expect(page.locator("#viewer-nav .image-name")).to_have_text(second.original_name)
    persian_only(page.locator("#viewer-nav").text_content().replace(second.original_name, ""))
    persian_only(page.locator("#viewer-box-list").text_content())
    shot(page, "digits-viewer")


def test_the_bell_counts_in_persian_digits(board_page, live_server, project, annotator, demo):
    page = board_page
    login(page, live_server, annotator)
    open_board(page, live_server, project)
    Notification.objects.filter(recipient=annotator).delete()
    bell = page.locator("[data-bell-count]")

    Notification.objects.bulk_create([Notification(recipient=annotator, kind="assigned") for _ in range(3)])
    expect(bell).to_be_visible(timeout=12_000)  # the board's poll brings the count
    expect(bell.locator("[data-bell-number]")).to_have_text("۳")
    Notification.objects.bulk_create([Notification(recipient=annotator, kind="assigned") for _ in range(100)])
    expect(bell.locator("[data-bell-number]")).to_have_text("۹۹+", timeout=12_000)
    shot(page, "digits-bell")
    page.goto(live_server.url + reverse("project_list"))  # the server's count (no poll on this page)
    expect(bell.locator("[data-bell-number]")).to_have_text("۹۹+")


def test_the_board_counts_chosen_images_selected_batches_and_seconds_in_persian_digits(
    board_page, live_server, project, manager, demo
):
    page = board_page
    login(page, live_server, manager)
    open_board(page, live_server, project)

    # The bulk bar's count.
    for batch in (demo["unassigned"], demo["dataset"]):
        card(page, batch).locator("[data-select-card]").click()
    expect(page.locator("#bulk-count")).to_have_text(re.compile("^۲ "))
    persian_only(page.locator("#bulk-count").text_content())
    shot(page, "digits-bulk")
    page.locator("[data-bulk-clear]").click()

    # The assign dialog's count of chosen images.
    batch = demo["unassigned"]
    card(page, batch).locator("summary").click()
    card(page, batch).locator("[data-move=assign]").click()
    grid = page.locator("#move-dialog [data-image-choice]")
    page.locator("#move-dialog [data-scope-chosen]").check()
    persian_only(grid.locator("[data-choose-n]").input_value())
    grid.locator("[data-choose-n]").fill("")
    grid.locator("[data-choose-n]").press_sequentially("۳")  # as a Persian keyboard types it
    grid.locator("[data-choose=first]").click()
    expect(grid.locator("[data-choose-count]")).to_have_text(re.compile("^۳ "))
    persian_only(grid.locator("[data-choose-count]").text_content())
    shot(page, "digits-choose")
    page.keyboard.press("Escape")
    expect(page.locator("#move-dialog")).to_have_count(0)
    page.wait_for_load_state("networkidle")

    # "Updated n seconds ago" while the live poll gets no answer.
    page.route("**/board/version*", lambda route: None)
    expect(page.locator("[data-live-ago]")).to_have_text(re.compile(r"^[۰-۹]+ "), timeout=15_000)
    persian_only(page.locator("[data-live-ago]").text_content())
    shot(page, "digits-live")
    expect(column(page, "unassigned")).to_be_visible()


def test_the_upload_writes_its_sizes_progress_and_report_in_persian_digits(
    board_page, live_server, project, manager, tmp_path
):
    page = board_page
    speaks(manager)
    names = ["خیابان-الف.jpg", "خیابان-ب.jpg", "خیابان-پ.jpg"]
    for name in names:
        (tmp_path / name).write_bytes(samples.jpeg(640, 480))
    login(page, live_server, manager)
    page.goto(f"{live_server.url}/projects/{project.pk}/upload/")
    # Every text the script writes into the form, as it writes it (the progress passes quickly).
    page.evaluate(
        """() => {
            window.written = [];
            const form = document.querySelector('form[data-upload-form]');
            const keep = () => form.querySelectorAll('[data-upload-selection], [data-upload-status], [data-upload-files] li')
                .forEach((el) => { if (el.textContent) window.written.push(el.textContent); });
            new MutationObserver(keep).observe(form, {childList: true, subtree: true, characterData: true});
        }"""
    )
    page.locator("#upload-files").set_input_files([str(tmp_path / name) for name in names])
    expect(page.locator("[data-upload-selection]")).to_contain_text("۳")
    persian_only(page.locator("[data-upload-selection]").text_content())
    shot(page, "digits-upload-chosen")
    page.locator("#upload-name").fill("خیابان")
    page.locator("[data-upload-submit]").click()
    report = page.locator("[data-upload-report]")
    expect(report).to_be_visible(timeout=30_000)
    persian_only(report.locator(".upload-summary").text_content())
    written = page.evaluate("window.written")
    assert any("٪" in text for text in written), written  # a percentage was shown
    for text in written:
        for name in names:
            text = text.replace(name, "")
        assert not LATIN.search(text), written
        # Sizes and speeds: the Persian decimal separator, not a dot, inside a number ("۲۳٫۴ کیلوبایت").
        assert not re.search("[۰-۹][.][۰-۹]", text), written
    assert page.evaluate("BinaBoard.digits('1.5') + ' ' + BinaBoard.digits('10,000')") == "۱٫۵ ۱۰٬۰۰۰"
    shot(page, "digits-upload-report")


def test_numbered_lists_count_in_persian_digits_on_persian_pages_only(board_page, live_server, project, manager):
    page = board_page
    upload = f"{live_server.url}/projects/{project.pk}/upload/"
    marker = "getComputedStyle(document.querySelector('ol[data-upload-files]')).listStyleType"
    speaks(manager)
    login(page, live_server, manager)
    page.goto(upload)
    assert page.evaluate(marker) == "persian"
    # In English the same list counts 1, 2, 3.
    speaks(manager, language="en")
    page.goto(upload)
    assert page.evaluate(marker) == "decimal"
