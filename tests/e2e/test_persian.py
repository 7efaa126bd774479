"""The seed workflow with the interface in Persian, right to left, in real Chromium; axe-core in both languages.

Buttons are found by their place (ids, data attributes), not by their English names: the point is that the
words a person reads are Persian, which the assertions check where they matter (column headings, dialogs,
the messages the moves answer with).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from batches.models import Annotation, Batch, Image
from tests.batches import ingest_samples as samples
from tests.e2e.board_helpers import card, column, demo_batches, drag, login, open_board, run_axe, settle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
Status = Batch.Status
SHOTS = os.environ.get("SCREENSHOT_DIR", "")

PERSIAN_COLUMNS = ["واگذارنشده", "در حال برچسب‌گذاری", "بازبینی", "دیتاست"]
ENGLISH_WORDS = re.compile(r"\b(Unassigned|Annotating|Review|Dataset|images?|batch(es)?|assigned|annotations?)\b")


@pytest.fixture(autouse=True)
def _tasks_inline(settings):
    """The upload's worker part runs as each chunk commits."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def speaks(*users, language: str = "fa") -> None:
    for user in users:
        user.language = language
        user.save(update_fields=["language"])


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"))


def dialog(page):
    return page.locator("dialog[open]")


def toast(page):
    return page.locator("#toasts")


def expect_persian(locator) -> None:
    """Persian letters present, none of the board's English words."""
    expect(locator).to_contain_text(re.compile("[\u0600-\u06ff]"))
    expect(locator).not_to_contain_text(ENGLISH_WORDS)


def image_point(page, x: float, y: float) -> tuple[float, float]:
    return page.evaluate(
        """([x, y]) => {
            const s = window.BinaBoard.annotate.state;
            const r = document.getElementById('viewport').getBoundingClientRect();
            return [r.left + s.tx + x * s.scale, r.top + s.ty + y * s.scale];
        }""",
        [x, y],
    )


def draw_box(page) -> None:
    page.mouse.move(*image_point(page, 100, 80))
    page.mouse.down()
    page.mouse.move(*image_point(page, 300, 240), steps=8)
    page.mouse.up()


def open_annotate(page, live_server, batch) -> None:
    page.goto(live_server.url + reverse("annotate", args=[batch.project_id, batch.pk]))
    expect(page.locator("#viewport")).to_be_visible()
    expect(page.locator("#photo")).to_have_js_property("complete", True)  # no eval: the CSP refuses it


def wait_until(page, condition, seconds: float = 15) -> None:
    for _ in range(int(seconds * 10)):
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError(
        f"the server never got there: {list(Image.objects.values_list('original_name', 'state', 'batch_id'))}"
    )


def submit_from_the_workspace(page, batch) -> None:
    # Every image done on the server first: then the submit needs no confirmation.
    wait_until(page, lambda: not Image.objects.filter(batch=batch, state=Image.State.NEW).exists())
    page.wait_for_load_state("networkidle")
    page.locator("#submit-button").click()
    page.wait_for_url(re.compile(r"/projects/\d+/(\?.*)?$"))


def annotate_all_and_submit(page, live_server, batch) -> None:
    """A box on the first image, "no objects" on the others (keys D and N, matched on the key's place)."""
    open_annotate(page, live_server, batch)
    draw_box(page)
    for _ in range(batch.image_count - 1):
        page.wait_for_load_state("networkidle")
        shown = page.locator("#image-name").text_content()
        page.keyboard.press("d")
        expect(page.locator("#image-name")).not_to_have_text(shown)
        expect(page.locator("#photo")).to_have_js_property("complete", True)  # no eval: the CSP refuses it
        page.keyboard.press("n")
        name = page.locator("#image-name").text_content()
        wait_until(page, lambda name=name: Image.objects.get(batch=batch, original_name=name).state != "new")
    submit_from_the_workspace(page, batch)


def test_the_seed_workflow_runs_in_persian_right_to_left(
    page, live_server, project, manager, annotator, reviewer, tmp_path
):
    speaks(manager, annotator, reviewer)
    page.set_default_timeout(15_000)
    expect.set_options(timeout=15_000)
    page.set_viewport_size({"width": 1366, "height": 900})

    # Upload three photos.
    for n in range(3):
        (tmp_path / f"street_{n}.jpg").write_bytes(samples.jpeg(640, 480))
    login(page, live_server, manager)
    page.goto(f"{live_server.url}/projects/{project.pk}/upload/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "fa")
    page.locator("#upload-files").set_input_files([str(tmp_path / f"street_{n}.jpg") for n in range(3)])
    page.locator("#upload-name").fill("خیابان ۱")
    page.locator("[data-upload-submit]").click()
    expect(page.locator("[data-upload-report]")).to_be_visible(timeout=30_000)
    batch = Batch.objects.get(name="خیابان ۱")
    assert batch.image_count == 3

    # The board speaks Persian; assign two of the three images, typing the count in Persian digits.
    open_board(page, live_server, project)
    for status, heading in zip(["unassigned", "annotating", "review", "dataset"], PERSIAN_COLUMNS, strict=True):
        expect(page.locator(f"#column-{status}-title")).to_have_text(heading)
    shot(page, "persian-board")
    drag(page, card(page, batch), column(page, "annotating").locator(".column-cards"))
    expect(dialog(page)).to_be_visible()
    expect(dialog(page).locator("h2")).to_have_text("واگذاری «\u2068خیابان ۱\u2069»")
    dialog(page).locator(f'input[name="assignees"][value="{annotator.pk}"]').check()
    dialog(page).locator('input[name="scope"][value="part"]').check()
    count = dialog(page).locator("#assign-count")
    count.click()
    page.keyboard.type("۲")
    expect(dialog(page).locator("[data-assign-consequence]")).to_contain_text("واگذارنشده")
    dialog(page).locator('button[type="submit"]').last.click()
    expect(dialog(page)).to_have_count(0)
    expect_persian(toast(page))
    batch.refresh_from_db()
    assert batch.status == Status.ANNOTATING and batch.image_count == 2
    rest = Batch.objects.get(split_from=batch)
    assert rest.image_count == 1 and rest.status == Status.UNASSIGNED

    # Annotate and submit.
    login(page, live_server, annotator)
    annotate_all_and_submit(page, live_server, batch)
    batch.refresh_from_db()
    assert batch.status == Status.REVIEW

    # The reviewer rejects with a Persian comment, the annotator submits again, the reviewer approves.
    login(page, live_server, reviewer)
    page.goto(live_server.url + reverse("review", args=[project.pk, batch.pk]))
    page.locator("#reject-comment").fill("کادر ماشین را تنگ‌تر کنید.")
    page.locator(".reject-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/projects/\d+/(\?.*)?$"))
    expect_persian(toast(page))
    batch.refresh_from_db()
    assert batch.status == Status.ANNOTATING and batch.review_comment == "کادر ماشین را تنگ‌تر کنید."

    login(page, live_server, annotator)
    open_annotate(page, live_server, batch)
    submit_from_the_workspace(page, batch)

    login(page, live_server, reviewer)
    page.goto(live_server.url + reverse("review", args=[project.pk, batch.pk]))
    page.locator("#approve-form button[type=submit]").click()
    if dialog(page).count():
        dialog(page).locator("button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/projects/\d+/(\?.*)?$"))
    expect_persian(toast(page))
    batch.refresh_from_db()
    assert batch.status == Status.DATASET

    # The manager resets it, then deletes it for good; each dialog and answer is Persian.
    login(page, live_server, manager)
    open_board(page, live_server, project)
    drag(page, card(page, batch), column(page, "unassigned").locator(".column-cards"))
    assert batch.name == "خیابان ۱ · بخش ۱/۲"  # a split names its parts in the splitter's language and digits
    expect(dialog(page).locator("h2")).to_have_text(f"«\u2068{batch.name}\u2069» به واگذارنشده بازنشانی شود؟")
    expect_persian(dialog(page).locator(".consequence").first)
    dialog(page).locator("button.btn-danger, button[type=submit].btn-primary").first.click()
    expect(toast(page)).to_contain_text("به واگذارنشده برگشت")
    assert not Annotation.objects.filter(image__batch=batch).exists()

    reset_card = column(page, "unassigned").locator(f'[data-batch-id="{batch.pk}"]')
    reset_card.locator("summary").click()
    reset_card.locator('[data-move="delete"]').click()
    expect(dialog(page).locator("h2")).to_have_text(f"«\u2068{batch.name}\u2069» برای همیشه حذف شود؟")
    dialog(page).locator("button.btn-danger").first.click()
    expect(card(page, batch)).to_have_count(0)
    expect(toast(page)).to_contain_text("برای همیشه حذف شدند")
    assert not Batch.objects.filter(pk=batch.pk).exists()
    assert not Image.objects.filter(batch_id=batch.pk).exists()


@pytest.mark.parametrize("language", ["fa", "en"])
def test_board_annotate_and_review_pass_axe_in_both_languages(
    page, live_server, project, manager, annotator, reviewer, language
):
    speaks(manager, annotator, reviewer, language=language)
    demo = demo_batches(project, manager, annotator, reviewer)
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, live_server, manager)
    open_board(page, live_server, project)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "fa" else "ltr")
    assert run_axe(page) == []

    login(page, live_server, annotator)
    open_annotate(page, live_server, demo["annotating"])
    assert run_axe(page) == []

    login(page, live_server, reviewer)
    page.goto(live_server.url + reverse("review", args=[project.pk, demo["review"].pk]))
    expect(page.locator(".ws-stage img").first).to_be_visible()
    settle(page)
    assert run_axe(page) == []


def test_screens_in_persian_for_the_readme(page, live_server, project, manager, annotator, reviewer):
    """Not a check: with SCREENSHOT_DIR set, the board, annotate and review in Persian at desktop and phone widths."""
    if not SHOTS:
        pytest.skip("set SCREENSHOT_DIR to write the screenshots")
    speaks(manager, annotator, reviewer)
    demo = demo_batches(project, manager, annotator, reviewer)
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    for width, suffix in ((1366, "desktop"), (390, "phone")):
        page.set_viewport_size({"width": width, "height": 900 if width > 500 else 844})
        login(page, live_server, manager)
        open_board(page, live_server, project)
        shot(page, f"board-fa-{suffix}")
        login(page, live_server, annotator)
        open_annotate(page, live_server, demo["annotating"])
        shot(page, f"annotate-fa-{suffix}")
        login(page, live_server, reviewer)
        page.goto(live_server.url + reverse("review", args=[project.pk, demo["review"].pk]))
        expect(page.locator(".ws-stage img").first).to_be_visible()
        shot(page, f"review-fa-{suffix}")
        login(page, live_server, manager)
        for name in ("project_list", "members", "label_classes", "export", "project_settings"):
            page.goto(live_server.url + reverse(name, args=[] if name == "project_list" else [project.pk]))
            shot(page, f"{name}-fa-{suffix}")
