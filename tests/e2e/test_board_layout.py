"""The board's density and navigation in real headless Chromium: sort, compact cards and collapsed columns
(remembered), the keyboard (roving tab stop, arrow keys, Enter, skip links, right to left), and choosing the
images to assign in a grid."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from batches.models import Batch
from tests.e2e.board_helpers import card, column, demo_batches, login, open_board, run_axe
from tests.factories import make_batch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
Status = Batch.Status


def names(page, status: str) -> list[str]:
    return column(page, status).locator(".card-title a").all_inner_texts()


def test_sort_compact_and_collapse_are_applied_and_remembered(
    board_page, live_server, project, manager, annotator, reviewer
):
    page = board_page
    demo_batches(project, manager, annotator, reviewer, images=2)
    for name in ("Zulu", "Alpha", "Mike"):
        make_batch(project, manager, images=3, name=name)
    login(page, live_server, manager)
    open_board(page, live_server, project)

    column(page, "unassigned").locator("select[name=sort]").select_option("name")
    expect(column(page, "unassigned").locator(".card-title a").first).to_have_text("Alpha")
    assert names(page, "unassigned") == sorted(names(page, "unassigned"))

    page.locator("[data-compact-toggle]").click()
    expect(page.locator("[data-compact-toggle]")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".card-compact").first).to_be_visible()
    expect(page.locator("#board .thumbs")).to_have_count(0)

    column(page, "dataset").locator("[data-collapse-column]").click()
    expect(column(page, "dataset")).to_have_class("column column-dataset column-compact column-collapsed")
    expect(column(page, "dataset").locator(".card")).to_have_count(0)
    assert run_axe(page) == []  # the board in compact mode, one column collapsed

    open_board(page, live_server, project)  # remembered
    expect(page.locator(".card-compact").first).to_be_visible()
    expect(column(page, "dataset").locator(".card")).to_have_count(0)
    assert names(page, "unassigned")[0] == "Alpha"
    column(page, "dataset").locator("[data-collapse-column]").click()
    expect(column(page, "dataset").locator(".card")).to_have_count(1)


def test_the_keyboard_moves_between_cards_and_columns_and_enter_opens_the_menu(
    board_page, live_server, project, manager, annotator, reviewer
):
    page = board_page
    demo = demo_batches(project, manager, annotator, reviewer, images=2)
    second = make_batch(project, manager, images=2, name="Street-04")
    login(page, live_server, manager)
    open_board(page, live_server, project)

    # One tab stop for all cards: the other cards' controls are skipped.
    assert page.locator("#board .card[tabindex='0']").count() == 1
    page.locator("[data-skip-column=unassigned]").focus()
    expect(page.locator("[data-skip-column=unassigned]")).to_be_visible()
    page.keyboard.press("Enter")
    first = column(page, "unassigned").locator(".card").first
    expect(first).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(column(page, "unassigned").locator(".card").nth(1)).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(card(page, demo["annotating"])).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(card(page, demo["review"])).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(card(page, demo["annotating"])).to_be_focused()

    # Space selects (the count is announced), Enter opens the menu, Escape gives focus back to the card.
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Home")
    page.keyboard.press(" ")
    expect(page.locator("#selection-live")).to_have_text("1 batch selected")
    page.keyboard.press("Enter")
    menu = column(page, "unassigned").locator(".card").first.locator("details.card-menu")
    expect(menu).to_have_attribute("open", "")
    expect(menu.locator(".menu a, .menu button").first).to_be_focused()
    page.keyboard.press("Escape")
    expect(column(page, "unassigned").locator(".card").first).to_be_focused()
    # Tab walks the focused card's own controls and the column headers, never into another card.
    current = column(page, "unassigned").locator(".card").first.get_attribute("id")
    other_cards = 0
    for _ in range(40):
        page.keyboard.press("Tab")
        where = page.evaluate(
            "(() => { const c = document.activeElement.closest('.card'); return c ? c.id : null; })()"
        )
        other_cards += where not in (None, current)
        if not page.evaluate("document.activeElement.closest('#board') !== null"):
            break
    assert other_cards == 0
    assert second.pk


def test_right_to_left_arrow_left_goes_to_the_next_column(
    board_page, live_server, project, manager, annotator, reviewer
):
    page = board_page
    demo = demo_batches(project, manager, annotator, reviewer, images=2)
    manager.language = "fa"
    manager.save(update_fields=["language"])
    login(page, live_server, manager)
    open_board(page, live_server, project)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")

    card(page, demo["unassigned"]).focus()
    page.keyboard.press("ArrowLeft")
    expect(card(page, demo["annotating"])).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(card(page, demo["unassigned"])).to_be_focused()
    page.locator("[data-compact-toggle]").click()
    expect(page.locator(".card-compact").first).to_be_visible()
    assert run_axe(page) == []  # Persian, right to left, compact


def test_choosing_images_in_the_grid_assigns_exactly_those(
    board_page, live_server, project, manager, annotator, reviewer
):
    page = board_page
    demo = demo_batches(project, manager, annotator, reviewer, images=4)
    batch = demo["unassigned"]  # 8 images
    ids = list(batch.images.order_by("pk").values_list("pk", flat=True))
    login(page, live_server, manager)
    open_board(page, live_server, project)

    card(page, batch).locator("summary").click()
    card(page, batch).locator("[data-move=assign]").click()
    dialog = page.locator("#move-dialog")
    dialog.get_by_label("annotator").check()
    dialog.locator("[data-scope-chosen]").check()
    grid = dialog.locator("[data-image-choice]")
    expect(grid).to_be_visible()
    grid.locator("[data-choose-n]").fill("3")
    grid.locator("[data-choose=last]").click()
    expect(grid.locator("[data-choose-count]")).to_have_text("3 images chosen")
    assert run_axe(page) == []
    tiles = grid.locator("[data-choose-image]")
    tiles.nth(0).click()
    tiles.nth(2).click(modifiers=["Shift"])  # a range: the first three too
    expect(grid.locator("[data-choose-count]")).to_have_text("6 images chosen")
    expect(dialog.locator("[data-assign-consequence]")).to_contain_text("6 images to annotator; the other 2")
    dialog.get_by_role("button", name="Assign", exact=True).click()
    expect(column(page, "annotating").locator(f'[data-batch-id="{batch.pk}"]')).to_have_count(1)

    batch.refresh_from_db()
    assert batch.status == Status.ANNOTATING
    assert sorted(batch.images.values_list("pk", flat=True)) == ids[:3] + ids[5:]
    rest = Batch.objects.get(split_from=batch)
    assert sorted(rest.images.values_list("pk", flat=True)) == ids[3:5]


def test_the_phone_header_is_one_row_and_opens_as_a_menu(board_page, live_server, project, manager):
    page = board_page
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server, manager)
    open_board(page, live_server, project)
    toggle = page.locator("[data-nav-toggle]")

    header = page.locator(".topbar").bounding_box()
    assert header["height"] < 60, header
    expect(page.locator(".topnav")).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator(".topnav").get_by_role("link", name="Members")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator(".topnav")).to_be_hidden()
    expect(toggle).to_be_focused()


@pytest.mark.parametrize("width", [1100, 1280])
def test_each_column_heads_tools_stay_inside_their_column(
    board_page, live_server, project, manager, annotator, reviewer, width
):
    # At 1,100 px the Unassigned column's order list ran into the Annotating column, beside "Upload images".
    page = board_page
    demo_batches(project, manager, annotator, reviewer, images=2)
    page.set_viewport_size({"width": width, "height": 800})
    login(page, live_server, manager)
    open_board(page, live_server, project)

    for status in Status.values:
        box = column(page, status).bounding_box()
        for tool in column(page, status).locator(".column-tools select, .column-tools a, .column-tools button").all():
            if not tool.is_visible():
                continue
            inner = tool.bounding_box()
            assert box["x"] - 1 <= inner["x"] and inner["x"] + inner["width"] <= box["x"] + box["width"] + 1, status
