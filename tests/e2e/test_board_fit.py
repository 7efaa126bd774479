"""What a demanding user noticed on the board in real Chromium: long names stay inside their card and dialog,
a phone reaches any column with one tap, and the bulk bar sits at the start of a right-to-left page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.roles import grant_role
from batches import workflow
from batches.models import Batch
from tests.e2e.board_helpers import card, column, login, open_board, run_axe, settle
from tests.factories import make_batch, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
Status = Batch.Status
LONG_NAME = "annotator_with_a_really_long_username_for_testing"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def long_named(project):
    user = make_user(LONG_NAME)
    grant_role(project, user, "annotator")
    return user


def box(locator) -> dict:
    return locator.bounding_box()


def open_move_dialog(page, batch, move: str):
    """The card's menu, then the move: its dialog, once shown."""
    card(page, batch).locator("summary").click()
    card(page, batch).locator(f"[data-move={move}]").click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_be_visible()
    return dialog


def test_a_long_username_stays_inside_its_card_and_the_image_count_on_one_line(
    board_page, live_server, project, manager, long_named
):
    page = board_page
    batch = workflow.assign(actor=manager, batch=make_batch(project, manager, images=4), assignees=[long_named])
    batch = batch.assigned[0]
    login(page, live_server, manager)
    open_board(page, live_server, project)

    the_card = card(page, batch)
    assignee = the_card.locator(".card-meta .assignee")
    count = the_card.locator(".card-meta .image-count")
    expect(assignee).to_be_visible()
    # It ran past the card's edge and under the next column, and squeezed "4 images" onto two lines.
    assert box(assignee)["x"] + box(assignee)["width"] <= box(the_card)["x"] + box(the_card)["width"]
    line = page.evaluate("(e) => parseFloat(getComputedStyle(e).lineHeight)", count.element_handle())
    assert box(count)["height"] < 1.5 * line
    expect(assignee).to_have_attribute("title", f"Assigned to {LONG_NAME}")  # the whole name, on hover


def test_a_long_username_does_not_push_the_assign_dialog_wider_than_a_phone(
    board_page, live_server, project, manager, long_named
):
    page = board_page
    page.set_viewport_size(PHONE)
    batch = make_batch(project, manager, images=3)
    login(page, live_server, manager)
    open_board(page, live_server, project)

    dialog = open_move_dialog(page, batch, "assign")

    # The fieldset was as wide as the name: its help text ran out of the dialog, cut off.
    right = box(dialog)["x"] + box(dialog)["width"]
    for part in (dialog.locator(".choices").first, dialog.locator(".choices .form-help").first):
        assert box(part)["x"] + box(part)["width"] <= right
    assert dialog.evaluate("(d) => d.querySelector('.dialog-body').scrollWidth <= d.clientWidth")


def test_on_a_phone_the_column_tabs_reach_review_past_a_long_unassigned_column(
    board_page, live_server, project, manager, annotator
):
    page = board_page
    page.set_viewport_size(PHONE)
    for i in range(19):  # a first page of cards, some 3,000 px of them; no "load more" to fire on the way
        make_batch(project, manager, images=1, name=f"Loose {i:02d}")
    waiting = workflow.assign(actor=manager, batch=make_batch(project, manager, images=1), assignees=[annotator])
    waiting = workflow.submit(actor=manager, batch=waiting.assigned[0])
    login(page, live_server, manager)
    open_board(page, live_server, project)

    settle(page)
    tabs = page.locator(".column-skips")
    # The jump links showed only to a keyboard; a phone had to scroll past every Unassigned card.
    expect(tabs).to_be_visible()
    expect(tabs.locator("[data-skip-column=review] .skip-short")).to_be_visible()
    expect(tabs.locator("[data-skip-column=review] .skip-short")).to_have_text("Review")
    expect(tabs.locator("[data-skip-column=review]")).to_have_accessible_name("Jump to Review")
    tabs.locator("[data-skip-column=review]").click()

    expect(card(page, waiting)).to_be_focused()
    heading = column(page, "review").locator("h2")
    expect(heading).to_be_in_viewport()
    # Not hidden under the top bar and the tabs, which stay in view.
    assert box(heading)["y"] >= box(tabs)["y"] + box(tabs)["height"] - 1
    expect(tabs).to_be_in_viewport()
    assert run_axe(page) == []  # the board on a phone, tabs included


def test_the_column_tabs_stay_out_of_sight_on_a_wide_screen(board_page, live_server, project, manager):
    page = board_page
    login(page, live_server, manager)
    open_board(page, live_server, project)

    expect(page.locator(".column-skips")).not_to_be_in_viewport()


def test_the_bulk_bar_sits_at_the_start_of_a_persian_page(board_page, live_server, project, manager):
    page = board_page
    manager.language = "fa"
    manager.save(update_fields=["language"])
    batch = make_batch(project, manager, images=2)
    login(page, live_server, manager)
    open_board(page, live_server, project)

    card(page, batch).locator("[data-select-card]").check()
    bar = page.locator("#bulk-bar")
    expect(bar).to_be_visible()
    # It was pinned to the left, the end of a right-to-left page, over the Dataset column.
    width = page.viewport_size["width"]
    assert box(bar)["x"] + box(bar)["width"] > width - 40
    # The messages of the moves mirror too, to the other corner: never over the bar's buttons.
    page.evaluate("window.BinaBoard.showToast('x', 'success')")
    toast = page.locator("#toasts .toast").last
    expect(toast).to_be_visible()
    assert box(toast)["x"] + box(toast)["width"] <= box(bar)["x"]


def swipe_up(page, cdp, target, hold_ms: int = 0) -> None:
    """A finger on `target`, held for `hold_ms`, then moved 280 px up and lifted (Chromium's touch events)."""
    area = box(target)
    x, y = area["x"] + area["width"] / 2, area["y"] + area["height"] / 2
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    page.wait_for_timeout(hold_ms)
    for step in range(1, 15):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y - step * 20}]})
        page.wait_for_timeout(30)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def test_on_a_touch_screen_a_swipe_over_a_card_scrolls_and_a_long_press_drags(browser, live_server, project, manager):
    for i in range(8):
        make_batch(project, manager, images=1, name=f"Loose {i:02d}")
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    login(page, live_server, manager)
    open_board(page, live_server, project)
    cdp = context.new_cdp_session(page)
    moves = []
    page.on("request", lambda r: moves.append(r.url) if r.method == "POST" and r.url.endswith("/move") else None)
    page.evaluate("window.scrollTo(0, 200)")

    swipe_up(page, cdp, column(page, "unassigned").locator(".card").nth(2))
    page.wait_for_timeout(500)

    # The swipe picked the card up and letting go posted a move; now it scrolls the page.
    assert moves == []
    assert page.evaluate("scrollY") > 300

    # A long press still drags. The move's answer is awaited: a test that ended with it in flight had its
    # database flushed under the request (a deadlock on PostgreSQL, and the next test failed to set up).
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/move")):
        swipe_up(page, cdp, column(page, "unassigned").locator(".card").nth(4), hold_ms=500)
    expect(page.locator(".card-dragging")).to_have_count(0)
    settle(page)
    assert len(moves) == 1
    context.close()


@pytest.mark.parametrize("language", ["en", "fa"])
def test_a_batch_name_without_spaces_wraps_inside_the_move_dialog(board_page, live_server, project, manager, language):
    page = board_page
    manager.language = language
    manager.save(update_fields=["language"])
    batch = make_batch(project, manager, images=2, name="night_shift_" + "camera07_2026_12_07_" * 5)
    login(page, live_server, manager)
    open_board(page, live_server, project)

    dialog = open_move_dialog(page, batch, "delete")

    # The name ran out of the dialog's title, cut off at its edge.
    assert dialog.evaluate("(d) => d.scrollWidth <= d.clientWidth")
    title = dialog.locator("h2")
    assert box(title)["x"] >= box(dialog)["x"]
    assert box(title)["x"] + box(title)["width"] <= box(dialog)["x"] + box(dialog)["width"]


def test_on_a_phone_the_card_menu_is_a_finger_sized_target(board_page, live_server, project, manager):
    page = board_page
    page.set_viewport_size(PHONE)
    batch = make_batch(project, manager, images=2)
    login(page, live_server, manager)
    open_board(page, live_server, project)

    # Without drag the menu is how a phone moves a card; it was a 24 px row of dots.
    button = card(page, batch).locator("summary")
    assert box(button)["width"] >= 40 and box(button)["height"] >= 40
    button.click()
    expect(card(page, batch).locator("[data-move=assign]")).to_be_visible()
    assert box(card(page, batch).locator("[data-move=assign]"))["height"] >= 36


@pytest.mark.parametrize("language", ["en", "fa"])
@pytest.mark.parametrize("width", [1280, 1024])
def test_every_columns_cards_start_at_the_same_height_beside_unassigneds_upload_button(
    board_page, live_server, project, manager, annotator, language, width
):
    """Unassigned's "Upload images" pushed its Sort to a second row: its cards started 25 px below the others'."""
    page = board_page
    manager.language = language
    manager.save(update_fields=["language"])
    make_batch(project, manager, images=2, name="Waiting")
    workflow.assign(actor=manager, batch=make_batch(project, manager, images=2, name="Started"), assignees=[annotator])
    login(page, live_server, manager)
    page.set_viewport_size({"width": width, "height": 800})
    open_board(page, live_server, project, "assignee=")

    expect(column(page, Status.UNASSIGNED).locator(".column-action")).to_be_visible()
    tops = page.evaluate(
        "() => [...document.querySelectorAll('.column-cards')].map(c => Math.round(c.getBoundingClientRect().top))"
    )
    assert len(set(tops)) == 1, tops
