"""Restore a reset and take back images not started, in a real browser (issue #19)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from batches.models import Annotation, Batch
from tests.e2e.board_helpers import card, column, demo_batches, login, open_board

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
Status = Batch.Status


@pytest.fixture
def demo(project, manager, annotator, reviewer):
    return demo_batches(project, manager, annotator, reviewer)


def dialog(page):
    return page.locator("dialog[open]")


def test_a_reset_says_until_when_and_restore_brings_the_batch_back_with_its_boxes(
    board_page, live_server, project, manager, demo
):
    page = board_page
    batch = demo["dataset"]  # 6 images, 6 annotations
    login(page, live_server, manager)
    open_board(page, live_server, project)

    card(page, batch).locator("summary").click()
    card(page, batch).get_by_text("Reset to Unassigned…").click()
    expect(dialog(page)).to_contain_text("You can restore it with every box until")
    dialog(page).get_by_role("button", name="Reset and remove 6 annotations").click()
    reset_card = column(page, "unassigned").locator(f'[data-batch-id="{batch.pk}"]')
    expect(reset_card).to_be_visible()

    reset_card.locator("summary").click()
    reset_card.get_by_text("Restore from reset…").click()
    expect(dialog(page)).to_contain_text("It goes back to Dataset")
    dialog(page).get_by_role("button", name="Restore").click()

    expect(page.locator("#toasts")).to_contain_text("is restored")
    expect(column(page, "dataset").locator(f'[data-batch-id="{batch.pk}"]')).to_be_visible()
    assert Annotation.objects.filter(image__batch_id=batch.pk).count() == 6


def test_take_back_splits_off_the_images_nobody_started(board_page, live_server, project, manager, demo):
    page = board_page
    batch = demo["annotating"]
    started = Batch.objects.get(pk=batch.pk).done_count
    login(page, live_server, manager)
    open_board(page, live_server, project)

    card(page, batch).locator("summary").click()
    card(page, batch).get_by_text("Take back images not started…").click()
    expect(dialog(page)).to_contain_text(f"The {6 - started} images nobody has started")
    dialog(page).get_by_role("button", name="Take back").click()

    expect(page.locator("#toasts")).to_contain_text("went back to Unassigned")
    expect(column(page, "unassigned").get_by_text("taken back")).to_be_visible()
    assert Batch.objects.get(pk=batch.pk).image_count == started


def test_relabel_shows_the_previous_boxes_as_suggestions_one_click_and_shift_a_accept_them(
    board_page, live_server, project, manager, annotator, demo
):
    from batches import workflow
    from batches.models import Image, Suggestion
    from tests.e2e.test_annotate import expect_saved, image_point, open_annotate

    page = board_page
    batch = workflow.relabel(actor=manager, batch=demo["dataset"], assignee=annotator)  # 6 images, one box each
    first, second = Image.objects.filter(batch=batch).order_by("pk")[:2]
    box = Suggestion.objects.get(image=first, previous=False)
    login(page, live_server, annotator)

    open_annotate(page, live_server, batch, first)
    expect(page.locator("#suggestions")).to_be_visible()
    expect(page.locator("rect.suggestion")).to_have_count(1)
    page.mouse.click(*image_point(page, box.x + box.w / 2, box.y + box.h / 2))
    expect(page.locator("rect.suggestion")).to_have_count(0)
    expect(page.locator("#box-list li")).to_have_count(1)
    expect_saved(page)
    assert (
        Annotation.objects.filter(image=first).count() == 1
        and not Suggestion.objects.filter(image=first, previous=False).exists()
    )

    open_annotate(page, live_server, batch, second)
    expect(page.locator("rect.suggestion")).to_have_count(1)
    page.locator("#viewport").focus()
    page.keyboard.press("Shift+A")
    expect(page.locator("#box-list li")).to_have_count(1)
    expect_saved(page)
    assert (
        Annotation.objects.filter(image=second).count() == 1
        and not Suggestion.objects.filter(image=second, previous=False).exists()
    )
