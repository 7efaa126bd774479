"""The board for a team in real headless Chromium: selecting batches and bulk moves, the confirmations
of one-click moves, and where a dragged card may go."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from batches import workflow
from batches.models import Batch
from tests.e2e.board_helpers import card, column, demo_batches, login, open_board, run_axe, settle
from tests.e2e.test_board import dialog, toast
from tests.factories import make_batch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
Status = Batch.Status


def select(page, batch, **modifiers) -> None:
    card(page, batch).locator("[data-select-card]").click(**modifiers)


def bar(page):
    return page.locator("#bulk-bar")


def test_shift_click_selects_a_range_and_the_bar_offers_only_common_moves(
    board_page, live_server, project, manager, annotator, reviewer
):
    page = board_page
    fresh = [make_batch(project, manager, images=2, name=f"Fresh-{i}") for i in range(4)]
    busy = workflow.assign(actor=manager, batch=make_batch(project, manager, name="Busy"), assignees=[annotator])
    login(page, live_server, manager)
    open_board(page, live_server, project)
    shown = column(page, "unassigned").locator("[data-select-card]")

    shown.first.click()
    shown.nth(2).click(modifiers=["Shift"])

    expect(bar(page)).to_be_visible()
    expect(page.locator("#bulk-count")).to_have_text("3 batches selected")
    expect(bar(page).locator("[data-bulk-action=delete]")).to_be_visible()
    expect(bar(page).locator("[data-bulk-action=merge]")).to_be_visible()
    expect(bar(page).locator("[data-bulk-action=reset]")).to_be_hidden()

    # A batch from Annotating too: only the moves both columns allow remain (none here).
    select(page, busy.assigned[0])
    expect(bar(page).locator("[data-bulk-action]:visible")).to_have_count(0)
    expect(bar(page).locator("[data-bulk-nothing]")).to_be_visible()

    # Select all in a column, then clear.
    bar(page).get_by_role("button", name="Clear selection").click()
    expect(bar(page)).to_be_hidden()
    column(page, "unassigned").locator("[data-select-column]").check()
    expect(page.locator("#bulk-count")).to_have_text(f"{len(fresh)} batches selected")
    assert run_axe(page) == []


def test_a_bulk_delete_states_the_sum_and_reports_a_batch_someone_else_changed(
    board_page, live_server, project, manager, annotator
):
    page = board_page
    batches = [make_batch(project, manager, images=3, name=f"Junk-{i}") for i in range(3)]
    login(page, live_server, manager)
    open_board(page, live_server, project)
    column(page, "unassigned").locator("[data-select-column]").check()
    # Meanwhile someone else assigns one of them.
    workflow.assign(actor=manager, batch=batches[1], assignees=[annotator])

    bar(page).locator("[data-bulk-action=delete]").click()
    expect(dialog(page)).to_contain_text("Delete 2 batches: 6 images and their files, for good.")
    expect(dialog(page)).to_contain_text("1 selected batch will be left as it is")
    assert run_axe(page) == []
    dialog(page).get_by_role("button", name="Delete for good: 2 batches").click()

    report = page.locator("#bulk-report")
    expect(report).to_contain_text("2 batches moved; 1 not moved.")
    expect(report.locator(".bulk-not-done")).to_contain_text("has changed since you loaded it")
    expect(toast(page)).to_contain_text("2 batches moved; 1 not moved.")
    report.get_by_role("button", name="Close").click()
    expect(bar(page)).to_be_hidden()
    assert set(Batch.objects.values_list("name", flat=True)) == {"Junk-1"}


def test_a_bulk_assign_deals_batches_out_and_a_bulk_merge_joins_them(
    board_page, live_server, project, manager, annotator, annotator2
):
    page = board_page
    to_assign = [make_batch(project, manager, images=2, name=f"A-{i}") for i in range(2)]
    login(page, live_server, manager)
    open_board(page, live_server, project)

    for batch in to_assign:
        select(page, batch)
    bar(page).locator("[data-bulk-action=assign]").click()
    dialog(page).get_by_label(annotator.username, exact=True).check()
    dialog(page).get_by_label(annotator2.username, exact=True).check()
    dialog(page).get_by_role("button", name="Assign: 2 batches").click()
    expect(page.locator("#bulk-report")).to_contain_text("2 batches moved.")
    page.locator("#bulk-report").get_by_role("button", name="Close").click()
    expect(column(page, "annotating").locator(".card")).to_have_count(2)
    assert {b.assignee.username for b in Batch.objects.filter(status=Status.ANNOTATING)} == {
        annotator.username,
        annotator2.username,
    }

    to_merge = [make_batch(project, manager, images=2, name=f"M-{i}") for i in range(3)]
    open_board(page, live_server, project)
    for batch in to_merge:
        select(page, batch)
    bar(page).locator("[data-bulk-action=merge]").click()
    expect(dialog(page)).to_contain_text("Merge 3 batches?")
    dialog(page).get_by_role("button", name="Merge: 3 batches").click()
    expect(page.locator("#bulk-report")).to_contain_text("3 batches moved.")
    assert Batch.objects.filter(status=Status.UNASSIGNED).count() == 1


def test_a_bulk_reset_clears_several_columns(board_page, live_server, project, manager, annotator, reviewer):
    page = board_page
    demo = demo_batches(project, manager, annotator, reviewer)
    login(page, live_server, manager)
    open_board(page, live_server, project)

    select(page, demo["annotating"])
    select(page, demo["dataset"])
    bar(page).locator("[data-bulk-action=reset]").click()
    expect(dialog(page)).to_contain_text("9 annotations on 12 images are removed for good")
    dialog(page).get_by_role("button", name="Reset to Unassigned: 2 batches").click()
    expect(page.locator("#bulk-report")).to_contain_text("2 batches moved.")
    assert Batch.objects.get(pk=demo["dataset"].pk).status == Status.UNASSIGNED


def test_dragging_dims_the_columns_a_card_may_not_go_to_and_names_the_move(
    board_page, live_server, project, manager, annotator, reviewer
):
    page = board_page
    demo = demo_batches(project, manager, annotator, reviewer)
    login(page, live_server, annotator)
    open_board(page, live_server, project)
    source = card(page, demo["annotating"]).locator(".card-meta")
    box = source.bounding_box()

    page.mouse.move(box["x"] + 8, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 30, box["y"] + box["height"] / 2 + 20, steps=8)

    expect(column(page, "unassigned")).to_have_class("column column-unassigned drop-refused")
    expect(column(page, "dataset")).to_have_class("column column-dataset drop-refused")
    expect(column(page, "review").locator("[data-drop-name]")).to_have_text("Submit for review")
    assert column(page, "dataset").evaluate("c => getComputedStyle(c).cursor") == "not-allowed"
    page.mouse.up()
    settle(page)
    expect(page.locator(".drop-refused")).to_have_count(0)
    expect(page.locator("[data-drop-name]")).to_have_count(0)


def test_without_review_submitting_undone_images_to_the_dataset_needs_an_explicit_choice(
    board_page, live_server, project, manager, annotator, reviewer
):
    page = board_page
    project.review_required = False
    project.save(update_fields=["review_required"])
    batch = workflow.assign(actor=manager, batch=make_batch(project, manager, images=4), assignees=[annotator])
    batch = batch.assigned[0]
    login(page, live_server, annotator)
    open_board(page, live_server, project)

    card(page, batch).locator("summary").click()
    card(page, batch).locator("[data-move=submit]").click()
    expect(dialog(page)).to_contain_text("straight into the Dataset")
    choice = dialog(page).get_by_label("Yes, put 4 undone images into the Dataset")
    expect(choice).not_to_be_checked()
    assert run_axe(page) == []
    choice.check()
    dialog(page).get_by_role("button", name="Submit to Dataset").click()

    expect(column(page, "dataset").locator(f'[data-batch-id="{batch.pk}"]')).to_be_visible()
