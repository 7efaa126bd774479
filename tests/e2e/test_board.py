"""The board in real headless Chromium: drags, dialogs, refusals, live updates, the keyboard path, axe."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from batches import workflow
from batches.models import Annotation, Batch
from batches.views.board import COLUMN_PAGE
from tests.e2e.board_helpers import (
    card,
    column,
    demo_batches,
    drag,
    login,
    open_board,
    run_axe,
    settle,
    tab_to,
)
from tests.factories import make_batch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
Status = Batch.Status


@pytest.fixture
def demo(project, manager, annotator, reviewer):
    return demo_batches(project, manager, annotator, reviewer)


def toast(page):
    return page.locator("#toasts")


def dialog(page):
    return page.locator("dialog[open]")


def test_dragging_to_annotating_and_assigning_part_leaves_a_remainder_card(
    board_page, live_server, project, manager, annotator, demo
):
    page = board_page
    batch = demo["unassigned"]  # 10 images
    login(page, live_server, manager)
    open_board(page, live_server, project)

    drag(page, card(page, batch), column(page, "annotating").locator(".column-cards"))

    expect(dialog(page)).to_be_visible()
    expect(dialog(page).locator("h2")).to_have_text(f"Assign “{batch.name}”")
    dialog(page).get_by_label("annotator", exact=True).check()
    dialog(page).get_by_label("How many").fill("4")
    expect(dialog(page).locator("[data-assign-consequence]")).to_have_text(
        "4 images to annotator; the other 6 stay in Unassigned as a new batch."
    )
    dialog(page).get_by_role("button", name="Assign").click()

    expect(dialog(page)).to_have_count(0)
    expect(column(page, "annotating").locator(f'[data-batch-id="{batch.pk}"]')).to_have_attribute(
        "data-image-count", "4"
    )
    rest = Batch.objects.get(split_from=batch)
    expect(column(page, "unassigned").locator(f'[data-batch-id="{rest.pk}"]')).to_have_attribute(
        "data-image-count", "6"
    )
    expect(toast(page)).to_contain_text(
        "4 images to annotator; the other 6 stay in Unassigned as “Street-03 · part 2/2”."
    )


def test_the_assignee_submits_by_dragging_to_review(board_page, live_server, project, annotator, demo):
    page = board_page
    batch = demo["annotating"]
    login(page, live_server, annotator)
    open_board(page, live_server, project)

    drag(page, card(page, batch), column(page, "review").locator(".column-cards"))
    # Half of its images are not done: the board asks first, as the workspace does.
    expect(dialog(page)).to_contain_text("with 3 images not done?")
    dialog(page).get_by_role("button", name="Submit for review").click()

    expect(column(page, "review").locator(f'[data-batch-id="{batch.pk}"]')).to_be_visible()
    expect(toast(page)).to_contain_text("submitted: it is in Review now")
    assert Batch.objects.get(pk=batch.pk).status == Status.REVIEW


def test_a_reviewer_rejects_with_a_comment_and_sees_it_on_the_card(board_page, live_server, project, reviewer, demo):
    page = board_page
    batch = demo["review"]
    login(page, live_server, reviewer)
    open_board(page, live_server, project)

    drag(page, card(page, batch), column(page, "annotating").locator(".column-cards"))
    expect(dialog(page)).to_be_visible()
    expect(dialog(page).get_by_label("What needs fixing?")).to_be_focused()
    page.keyboard.type("Boxes on the bikes are too loose")
    dialog(page).get_by_role("button", name="Reject with comment").click()

    moved = column(page, "annotating").locator(f'[data-batch-id="{batch.pk}"]')
    expect(moved.locator(".review-comment")).to_have_text("Boxes on the bikes are too loose")
    expect(moved.locator(".rejections")).to_contain_text("1")


def test_a_reviewer_approves_by_dragging_to_dataset(board_page, live_server, project, reviewer, demo):
    page = board_page
    batch = demo["review"]
    login(page, live_server, reviewer)
    open_board(page, live_server, project)

    drag(page, card(page, batch), column(page, "dataset").locator(".column-cards"))
    # The reviewer opened none of its images: the board asks first.
    expect(dialog(page)).to_contain_text("Approve 6 images you have not opened?")
    dialog(page).get_by_role("button", name="Approve anyway").click()

    expect(column(page, "dataset").locator(f'[data-batch-id="{batch.pk}"]')).to_be_visible()
    expect(column(page, "dataset").locator('[data-count="batches"]')).to_have_text("2")
    assert Batch.objects.get(pk=batch.pk).status == Status.DATASET


def test_reset_and_delete_each_ask_first_and_say_what_is_lost(board_page, live_server, project, manager, demo):
    page = board_page
    batch = demo["dataset"]  # 6 images, 6 annotations
    login(page, live_server, manager)
    open_board(page, live_server, project)

    drag(page, card(page, batch), column(page, "unassigned").locator(".column-cards"))
    expect(dialog(page)).to_contain_text("All 6 annotations on its 6 images are removed for good")
    dialog(page).get_by_role("button", name="Reset and remove 6 annotations").click()
    expect(toast(page)).to_contain_text("is back in Unassigned; 6 annotations removed")
    reset_card = column(page, "unassigned").locator(f'[data-batch-id="{batch.pk}"]')
    expect(reset_card).to_be_visible()
    assert not Annotation.objects.filter(image__batch_id=batch.pk).exists()

    reset_card.locator("summary").click()
    reset_card.get_by_text("Delete for good…").click()
    expect(dialog(page)).to_contain_text("6 images are deleted for good")
    expect(dialog(page)).to_contain_text("cannot be restored")
    dialog(page).get_by_role("button", name="Delete 6 images for good").click()

    expect(card(page, batch)).to_have_count(0)
    expect(toast(page)).to_contain_text("were deleted for good")
    assert not Batch.objects.filter(pk=batch.pk).exists()


def test_escape_closes_a_dialog_the_card_snaps_back_and_focus_returns_to_it(
    board_page, live_server, project, manager, demo
):
    page = board_page
    batch = demo["annotating"]
    login(page, live_server, manager)
    open_board(page, live_server, project)

    drag(page, card(page, batch), column(page, "unassigned").locator(".column-cards"))
    expect(dialog(page)).to_be_visible()
    page.keyboard.press("Escape")

    expect(dialog(page)).to_have_count(0)
    expect(column(page, "annotating").locator(f'[data-batch-id="{batch.pk}"]')).to_be_visible()
    expect(page.locator(f"#card-{batch.pk}-moves")).to_be_focused()
    assert Batch.objects.get(pk=batch.pk).status == Status.ANNOTATING


def test_dragging_within_a_column_reorders_it_and_the_order_stays_after_a_reload(
    board_page, live_server, project, manager
):
    page = board_page
    first, second, third = (make_batch(project, manager, images=2, name=f"Order {i}") for i in (1, 2, 3))
    login(page, live_server, manager)
    open_board(page, live_server, project)
    ids = column(page, "unassigned").locator(".card")
    expect(ids.first).to_have_attribute("data-batch-id", str(third.pk))  # newest first

    drag(page, card(page, first), column(page, "unassigned").locator(".column-cards"))

    order = [str(b.pk) for b in (first, third, second)]
    expect(card(page, first)).not_to_have_attribute("data-version", str(first.version))  # the server answered
    assert [ids.nth(i).get_attribute("data-batch-id") for i in range(3)] == order
    page.reload()
    expect(ids.first).to_have_attribute("data-batch-id", order[0])
    assert [ids.nth(i).get_attribute("data-batch-id") for i in range(3)] == order


def test_a_refused_drag_snaps_back_and_says_why(board_page, live_server, project, annotator, demo):
    page = board_page
    batch = demo["review"]
    login(page, live_server, annotator)
    open_board(page, live_server, project)

    drag(page, card(page, batch), column(page, "dataset").locator(".column-cards"))

    expect(toast(page)).to_contain_text("Only a reviewer of this project can approve a batch.")
    expect(column(page, "review").locator(f'[data-batch-id="{batch.pk}"]')).to_be_visible()
    expect(column(page, "dataset").locator(f'[data-batch-id="{batch.pk}"]')).to_have_count(0)
    assert Batch.objects.get(pk=batch.pk).status == Status.REVIEW


def test_a_move_in_one_browser_appears_in_another(board_page, browser, live_server, project, manager, annotator):
    batch = make_batch(project, manager, images=3)
    watcher = board_page
    login(watcher, live_server, annotator)
    open_board(watcher, live_server, project, query="assignee=")  # an annotator's board starts on their own
    expect(column(watcher, "unassigned").locator(f'[data-batch-id="{batch.pk}"]')).to_be_visible()

    mover_context = browser.new_context()
    mover = mover_context.new_page()
    login(mover, live_server, manager)
    open_board(mover, live_server, project)
    mover.locator(f"#card-{batch.pk}-moves").click()
    mover.locator(f"#card-{batch.pk} [data-move=assign]").click()
    mover.locator("dialog[open]").get_by_label("annotator", exact=True).check()
    mover.locator("dialog[open]").get_by_role("button", name="Assign").click()
    expect(column(mover, "annotating").locator(f'[data-batch-id="{batch.pk}"]')).to_be_visible()

    expect(column(watcher, "annotating").locator(f'[data-batch-id="{batch.pk}"]')).to_be_visible(timeout=12_000)
    expect(watcher.locator("[data-live-ago]")).to_have_text(re.compile(r"just now|\d+ s ago"))
    mover_context.close()


def test_a_live_update_waits_while_a_dialog_is_open(board_page, live_server, project, manager, annotator):
    page = board_page
    batch = make_batch(project, manager, images=3)
    other = make_batch(project, manager, images=2)
    login(page, live_server, manager)
    open_board(page, live_server, project)
    page.locator(f"#card-{batch.pk}-moves").click()
    page.locator(f"#card-{batch.pk} [data-move=assign]").click()
    expect(dialog(page)).to_be_visible()

    workflow.assign(actor=manager, batch=other, assignees=[annotator])
    page.wait_for_timeout(6_000)  # more than one poll

    expect(dialog(page)).to_be_visible()
    expect(column(page, "unassigned").locator(f'[data-batch-id="{other.pk}"]')).to_be_visible()
    page.keyboard.press("Escape")
    expect(column(page, "annotating").locator(f'[data-batch-id="{other.pk}"]')).to_be_visible()


def test_the_whole_workflow_with_the_keyboard_alone(board_page, live_server, project, manager, annotator, reviewer):
    page = board_page
    batch = make_batch(project, manager, images=5, name="Keys-01")
    menu = f"#card-{batch.pk}-moves"

    def use_menu(user, move: str) -> None:
        login(page, live_server, user)
        open_board(page, live_server, project)
        tab_to(page, menu)
        page.keyboard.press("Enter")
        tab_to(page, f"#card-{batch.pk} [data-move={move}]")
        page.keyboard.press("Enter")

    # Manager assigns all five images to the annotator.
    use_menu(manager, "assign")
    expect(dialog(page)).to_be_visible()
    page.keyboard.press("Space")  # the first annotator checkbox has focus
    tab_to(page, "dialog[open] button[type=submit]")
    page.keyboard.press("Enter")
    expect(column(page, "annotating").locator(f'[data-batch-id="{batch.pk}"]')).to_be_visible()
    expect(page.locator(menu)).to_be_focused()

    # The annotator submits it (its images are not done: confirmed from the keyboard).
    use_menu(annotator, "submit")
    expect(dialog(page)).to_contain_text("not done?")
    tab_to(page, "dialog[open] button[type=submit]")
    page.keyboard.press("Enter")
    expect(column(page, "review").locator(f'[data-batch-id="{batch.pk}"]')).to_be_visible()
    expect(toast(page)).to_contain_text("submitted")

    # The reviewer rejects it with a comment, the annotator submits again, the reviewer approves.
    use_menu(reviewer, "reject")
    expect(dialog(page)).to_be_visible()
    page.keyboard.type("Missing the parked cars")
    tab_to(page, "dialog[open] button[type=submit]")
    page.keyboard.press("Enter")
    expect(column(page, "annotating").locator(f"#card-{batch.pk} .review-comment")).to_have_text(
        "Missing the parked cars"
    )
    use_menu(annotator, "submit")
    tab_to(page, "dialog[open] button[type=submit]")
    page.keyboard.press("Enter")
    expect(column(page, "review").locator(f'[data-batch-id="{batch.pk}"]')).to_be_visible()
    use_menu(reviewer, "approve")
    expect(dialog(page)).to_contain_text("you have not opened?")
    tab_to(page, "dialog[open] button[type=submit]")
    page.keyboard.press("Enter")
    expect(column(page, "dataset").locator(f'[data-batch-id="{batch.pk}"]')).to_be_visible()

    # The manager deletes twice: reset to Unassigned, then for good; both confirmed from the keyboard.
    use_menu(manager, "reset")
    expect(dialog(page)).to_contain_text("nothing is lost")  # its images were never annotated
    tab_to(page, "dialog[open] button[type=submit]")
    page.keyboard.press("Enter")
    expect(column(page, "unassigned").locator(f'[data-batch-id="{batch.pk}"]')).to_be_visible()
    tab_to(page, menu)
    page.keyboard.press("Enter")
    tab_to(page, f"#card-{batch.pk} [data-move=delete]")
    page.keyboard.press("Enter")
    expect(dialog(page)).to_contain_text("cannot be restored")
    tab_to(page, "dialog[open] button[type=submit]")
    page.keyboard.press("Enter")
    expect(card(page, batch)).to_have_count(0)
    assert not Batch.objects.filter(pk=batch.pk).exists()


def test_a_long_column_loads_more_cards_as_it_scrolls(board_page, live_server, project, manager):
    page = board_page
    for i in range(COLUMN_PAGE + 5):
        make_batch(project, manager, images=1, name=f"Scroll {i:02d}")
    login(page, live_server, manager)
    open_board(page, live_server, project)
    cards = column(page, "unassigned").locator(".card")
    expect(cards).to_have_count(COLUMN_PAGE)

    column(page, "unassigned").locator(".load-more").scroll_into_view_if_needed()

    expect(cards).to_have_count(COLUMN_PAGE + 5)
    expect(column(page, "unassigned").locator(".load-more")).to_have_count(0)


def test_on_a_phone_a_long_column_loads_more_on_a_tap_so_a_scroll_passes_on_to_the_next_column(
    board_page, live_server, project, manager
):
    """Stacked on a phone, Unassigned loaded 20 more cards each time its end came into view: scrolling never
    reached Annotating."""
    page = board_page
    page.set_viewport_size({"width": 390, "height": 844})
    for i in range(COLUMN_PAGE + 5):
        make_batch(project, manager, images=1, name=f"Scroll {i:02d}")
    login(page, live_server, manager)
    open_board(page, live_server, project)
    cards = column(page, "unassigned").locator(".card")
    more = column(page, "unassigned").locator(".load-more")

    more.scroll_into_view_if_needed()
    column(page, "annotating").scroll_into_view_if_needed()
    settle(page)

    expect(cards).to_have_count(COLUMN_PAGE)
    more.click()
    expect(cards).to_have_count(COLUMN_PAGE + 5)
    expect(more).to_have_count(0)


def test_the_filter_narrows_the_board_as_one_types(board_page, live_server, project, manager, demo):
    page = board_page
    login(page, live_server, manager)
    open_board(page, live_server, project)

    page.get_by_label("Search batches by name").fill("night")

    expect(page.locator(".card")).to_have_count(1)
    expect(card(page, demo["dataset"])).to_be_visible()
    assert "q=night" in page.url


def test_the_board_and_its_dialog_pass_axe_without_serious_violations(board_page, live_server, project, manager, demo):
    page = board_page
    login(page, live_server, manager)
    open_board(page, live_server, project)

    assert run_axe(page) == []

    page.locator(f"#card-{demo['unassigned'].pk}-moves").click()
    page.locator(f"#card-{demo['unassigned'].pk} [data-move=assign]").click()
    expect(dialog(page)).to_be_visible()
    settle(page)
    assert run_axe(page) == []


def test_the_board_fits_a_phone_in_one_column(board_page, live_server, project, manager, demo):
    page = board_page
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server, manager)
    open_board(page, live_server, project)

    boxes = [column(page, status).bounding_box() for status in ("unassigned", "annotating", "review", "dataset")]

    assert len({round(box["x"]) for box in boxes}) == 1
    assert all(box["width"] <= 390 for box in boxes)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
