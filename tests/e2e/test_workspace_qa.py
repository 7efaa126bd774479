"""What a QA pass of the annotate and review workspaces found, in real Chromium, in both languages and widths."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from batches import workflow
from tests.e2e.test_annotate import drag, open_annotate, sign_in
from tests.factories import stored_image_rows

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def batch(project, manager, annotator):
    """Three images with the annotator."""
    made = workflow.create_batch(
        actor=manager, project=project, name="Street-01", images=stored_image_rows(project, 3, 640, 480)
    )
    return workflow.assign(actor=manager, batch=made, assignees=[annotator]).assigned[0]


OUTSIDE_THE_PANEL = """() => {
    const panel = document.querySelector('details.help');
    const box = panel.getBoundingClientRect();
    return [...panel.querySelectorAll('dt, dd')]
        .filter(e => { const r = e.getBoundingClientRect(); return r.left < box.left - 1 || r.right > box.right + 1
                       || e.scrollWidth > e.clientWidth + 1; })
        .map(e => e.textContent.trim());
}"""


@pytest.mark.parametrize("language", ["en", "fa"])
@pytest.mark.parametrize("width", [1280, 390])
def test_the_keyboard_help_stays_inside_its_panel(board_page, live_server, batch, annotator, language, width):
    annotator.language = language
    annotator.save(update_fields=["language"])
    board_page.set_viewport_size({"width": width, "height": 844 if width < 600 else 800})
    sign_in(board_page, live_server, annotator)
    open_annotate(board_page, live_server, batch)
    board_page.locator("details.help summary").click()
    expect(board_page.locator("details.help dl.keys")).to_be_visible()
    assert board_page.evaluate(OUTSIDE_THE_PANEL) == []


def test_a_message_in_the_review_does_not_cover_the_next_button(board_page, live_server, batch, annotator, reviewer):
    workflow.submit(actor=annotator, batch=batch)
    sign_in(board_page, live_server, reviewer)
    board_page.goto(live_server.url + reverse("review", args=[batch.project_id, batch.pk]))
    board_page.locator("#flag-note").fill("The cyclist has no box")
    board_page.locator("#flag-panel button[name=flagged][value='1']").click()
    toast = board_page.locator("#toasts .toast").first
    expect(toast).to_be_visible()

    # Flag, then Next: the message of the first must not sit on the second for its six seconds.
    toast_box, next_box = toast.bounding_box(), board_page.locator("#next-link").bounding_box()
    apart = (
        toast_box["y"] + toast_box["height"] <= next_box["y"]
        or next_box["y"] + next_box["height"] <= toast_box["y"]
        or toast_box["x"] + toast_box["width"] <= next_box["x"]
        or next_box["x"] + next_box["width"] <= toast_box["x"]
    )
    assert apart, (toast_box, next_box)


@pytest.mark.parametrize("language", ["en", "fa"])
def test_the_reviewers_comment_is_quoted_in_the_pages_language(
    board_page, live_server, batch, annotator, reviewer, language
):
    submitted = workflow.submit(actor=annotator, batch=batch)
    workflow.reject(actor=reviewer, batch=submitted, comment="Box the cyclists too")
    annotator.language = language
    annotator.save(update_fields=["language"])
    sign_in(board_page, live_server, annotator)
    board_page.goto(live_server.url + reverse("my_work"))
    comment = board_page.locator("blockquote.review-comment")
    expect(comment).to_contain_text("Box the cyclists too")

    # The marks come from the element's language ("open-quote": “…” in English, «…» in Persian), never a
    # fixed English “ ” on a Persian page.
    drawn = comment.evaluate("e => [getComputedStyle(e, '::before').content, getComputedStyle(e, '::after').content]")
    assert drawn == ["open-quote", "close-quote"]


def test_drawing_from_the_keyboard_says_when_no_box_came_of_it_and_esc_clears_its_instructions(
    board_page, live_server, batch, annotator
):
    sign_in(board_page, live_server, annotator)
    open_annotate(board_page, live_server, batch)
    status = board_page.locator("#save-status")
    board_page.locator("#viewport").focus()

    board_page.keyboard.press("b")
    board_page.keyboard.press("Enter")
    board_page.keyboard.press("Shift+ArrowRight")  # the second corner on the first one's line: no area
    board_page.keyboard.press("Enter")
    expect(status).to_have_text("No box: both corners are on one line. Press B to start again.")
    expect(board_page.locator("#box-list li")).to_have_count(0)

    board_page.keyboard.press("b")
    board_page.keyboard.press("Enter")
    expect(status).to_contain_text("First corner set")
    board_page.keyboard.press("Escape")
    expect(status).to_have_text("")


@pytest.mark.parametrize("language", ["en", "fa"])
def test_the_reject_box_shows_its_whole_hint(board_page, live_server, batch, annotator, reviewer, language):
    workflow.submit(actor=annotator, batch=batch)
    reviewer.language = language
    reviewer.save(update_fields=["language"])
    sign_in(board_page, live_server, reviewer)
    board_page.goto(live_server.url + reverse("review", args=[batch.project_id, batch.pk]))

    # The placeholder counts in the box's scroll height: a taller content is a hint cut in half.
    heights = board_page.locator("#reject-comment").evaluate("t => [t.scrollHeight, t.clientHeight]")
    assert heights[0] <= heights[1], heights
    # And the hint reads in the page's direction (an empty box with dir="auto" would turn it left to right).
    direction = board_page.locator("#reject-comment").evaluate("t => getComputedStyle(t).direction")
    assert direction == ("rtl" if language == "fa" else "ltr")


def test_on_a_phone_each_gallery_filter_keeps_its_label_beside_it(board_page, live_server, batch, annotator):
    board_page.set_viewport_size({"width": 390, "height": 844})
    sign_in(board_page, live_server, annotator)
    board_page.goto(live_server.url + reverse("batch_gallery", args=[batch.project_id, batch.pk]))

    for field in ("filter-class", "filter-show"):
        label = board_page.locator(f"label[for={field}]").bounding_box()
        chooser = board_page.locator(f"#{field}").bounding_box()
        # On one line: the label's middle within the list's height (not at the end of the line above).
        assert chooser["y"] <= label["y"] + label["height"] / 2 <= chooser["y"] + chooser["height"], field


def test_a_save_failing_again_shows_one_message_not_a_stack_of_copies(board_page, live_server, batch, annotator):
    sign_in(board_page, live_server, annotator)
    open_annotate(board_page, live_server, batch)
    board_page.context.set_offline(True)
    drag(board_page, (100, 100), (220, 180))
    expect(board_page.locator("#save-status")).to_contain_text("Not saved")
    not_saved = board_page.locator("#toasts .toast", has_text=re.compile("^Not saved: "))
    expect(not_saved).to_have_count(1)

    # Next tries the save once more before leaving, still offline: the same failure, and why it stays.
    board_page.locator("#next-link").click()
    expect(board_page.locator("#toasts .toast", has_text=re.compile("not saved yet"))).to_have_count(1)
    expect(not_saved).to_have_count(1)
    board_page.context.set_offline(False)


def test_the_image_badge_says_what_is_stored_like_the_image_list(board_page, live_server, batch, annotator):
    sign_in(board_page, live_server, annotator)
    open_annotate(board_page, live_server, batch)
    badge = board_page.locator("#image-state")
    current = board_page.locator(".strip-item a[aria-current=true] .strip-state")
    board_page.context.set_offline(True)
    drag(board_page, (100, 100), (220, 180))
    expect(board_page.locator("#save-status")).to_contain_text("Not saved")

    # The box is on screen but not stored: the badge agrees with the list, not with the drawing.
    expect(current).to_have_text("not done")
    expect(badge).to_have_text("Not annotated")
    expect(badge).to_have_class(re.compile(r"\bstate-new\b"))

    board_page.context.set_offline(False)
    board_page.get_by_role("button", name="Retry saving").click()
    expect(board_page.locator("#save-status")).to_have_text("Saved")
    expect(current).to_have_text("✓ annotated")
    expect(badge).to_have_text("Annotated")
    expect(badge).to_have_class(re.compile(r"\bstate-annotated\b"))


@pytest.mark.parametrize("width", [1280, 390])
def test_a_move_opened_on_the_batch_page_shows_its_heading_below_the_top_bar(
    board_page, live_server, batch, annotator, reviewer, width
):
    workflow.submit(actor=annotator, batch=batch)
    board_page.set_viewport_size({"width": width, "height": 844 if width < 600 else 800})
    sign_in(board_page, live_server, reviewer)
    board_page.goto(live_server.url + reverse("batch_detail", args=[batch.project_id, batch.pk]))
    board_page.locator(".move-list a.btn", has_text="Reject").click()
    heading = board_page.locator("#move h2, #move h3").first
    expect(heading).to_be_visible()

    board_page.wait_for_timeout(200)  # the jump to #move
    bar_bottom = board_page.locator(".topbar").bounding_box()
    assert heading.bounding_box()["y"] >= bar_bottom["y"] + bar_bottom["height"]


def _apart(a, b) -> bool:
    return (
        a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
        or a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
    )


@pytest.mark.parametrize("language", ["en", "fa"])
@pytest.mark.parametrize("width", [1280, 390])
def test_a_failed_save_message_covers_neither_next_nor_the_save_status_and_goes_once_saved(
    board_page, live_server, batch, annotator, width, language
):
    annotator.language = language
    annotator.save(update_fields=["language"])
    board_page.set_viewport_size({"width": width, "height": 844 if width < 600 else 800})
    sign_in(board_page, live_server, annotator)
    open_annotate(board_page, live_server, batch)
    board_page.context.set_offline(True)
    drag(board_page, (60, 60), (160, 140))
    toast = board_page.locator("#toasts .toast-error")
    expect(toast).to_be_visible()

    # Where a person looks for what to do next (Retry beside the status, then Next) stays uncovered.
    board_page.locator("#next-link").scroll_into_view_if_needed()
    for target in ("#next-link", "#prev-link", "#save-status"):
        assert _apart(toast.bounding_box(), board_page.locator(target).bounding_box()), target

    # Retrying is not saving: while the retried save is on its way the message stays.
    held = []

    def hold(route):
        held.append(route)

    board_page.route("**/save*", hold)
    board_page.context.set_offline(False)
    board_page.locator("#retry-save").click()
    expect(board_page.locator("#save-status")).to_have_class(re.compile(r"\bsave-saving\b"))
    for _ in range(200):  # the held request reaches the handler a moment after "Saving…" shows
        if held:
            break
        board_page.wait_for_timeout(25)
    expect(toast).to_be_visible()
    held[0].continue_()
    board_page.unroute("**/save*", hold)
    expect(board_page.locator("#save-status")).to_have_class(re.compile(r"\bsave-saved\b"))
    # Saved now: the failure's message does not linger beside "Saved" for its nine seconds.
    expect(toast).to_have_count(0, timeout=1500)


@pytest.mark.parametrize(
    "language, forward, back", [("en", "ArrowRight", "ArrowLeft"), ("fa", "ArrowLeft", "ArrowRight")]
)
def test_the_arrow_pointing_at_next_goes_on_in_either_direction(
    board_page, live_server, batch, annotator, reviewer, language, forward, back
):
    # A right-to-left page puts Next on the left ("بعدی ←"): there ← goes on, as on the board, and the
    # buttons' titles and the keys' help say so. A and D stay next to each other as they are on the keyboard.
    annotator.language = reviewer.language = language
    annotator.save(update_fields=["language"])
    reviewer.save(update_fields=["language"])
    sign_in(board_page, live_server, annotator)
    open_annotate(board_page, live_server, batch)
    position = board_page.locator("#image-position")
    first = position.text_content()
    board_page.keyboard.press(forward)
    expect(position).not_to_have_text(first)
    second = position.text_content()
    board_page.keyboard.press(back)
    expect(position).to_have_text(first)
    board_page.keyboard.press("d")
    expect(position).to_have_text(second)
    arrow = "←" if language == "fa" else "→"
    assert f"({arrow} " in board_page.locator("#next-link").get_attribute("title")

    workflow.submit(actor=annotator, batch=batch)
    sign_in(board_page, live_server, reviewer)
    board_page.goto(live_server.url + reverse("review", args=[batch.project_id, batch.pk]))
    where = board_page.locator(".ws-nav-info")
    first = where.text_content()
    board_page.keyboard.press(forward)
    expect(where).not_to_have_text(first)
    board_page.keyboard.press(back)
    expect(where).to_have_text(first)
