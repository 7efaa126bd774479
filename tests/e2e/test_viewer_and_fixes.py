"""A viewer for every batch, reopening for fixes without losing a box, and a workspace told what happened."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from batches import workflow
from batches.models import Annotation, Batch, Image

from .board_helpers import column, demo_batches, login, open_board, run_axe, tab_to
from .test_annotate import batch, drag, open_annotate, sign_in
from .test_board import dialog, toast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["batch"]


@pytest.fixture
def demo(project, manager, annotator, reviewer):
    return demo_batches(project, manager, annotator, reviewer)


def test_a_dataset_batch_is_browsed_with_its_boxes_filtered_and_viewed_full_size(
    page, live_server, project, manager, demo
):
    dataset = demo["dataset"]
    first = Image.objects.filter(batch=dataset).order_by("id").first()
    login(page, live_server, manager)
    page.goto(live_server.url + reverse("batch_detail", args=[project.pk, dataset.pk]))
    page.get_by_role("link", name="View images and boxes").click()

    expect(page.locator(".gallery-item")).to_have_count(6)
    expect(page.locator(".gallery-item svg rect.vbox")).to_have_count(6)
    problems = run_axe(page)
    assert problems == [], problems
    page.get_by_label("Images", exact=True).select_option("no_objects")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("No image of this batch matches these filters.")).to_be_visible()
    page.get_by_label("Images", exact=True).select_option("annotated")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".gallery-item")).to_have_count(6)

    page.locator(".gallery-item a").first.click()
    expect(page.locator(".image-name")).to_have_text(first.original_name)
    overlay = page.locator("#viewer-stage .box-overlay")
    expect(overlay.locator("rect.vbox")).to_have_count(1)
    expect(overlay.locator("text.vlabel")).to_be_visible()
    problems = run_axe(page)
    assert problems == [], problems
    page.keyboard.press("l")
    expect(overlay.locator("text.vlabel")).to_be_hidden()
    page.keyboard.press("h")
    expect(overlay).to_be_hidden()
    expect(page.locator("#viewer-boxes")).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("h")
    expect(overlay).to_be_visible()

    natural = page.locator("#viewer-canvas").bounding_box()["width"]
    page.get_by_role("button", name="1:1").click()
    assert page.locator("#viewer-canvas").bounding_box()["width"] == first.width
    assert natural > 0
    page.keyboard.press("ArrowRight")
    expect(page.locator(".image-name")).not_to_have_text(first.original_name)
    assert "show=annotated" in page.url


def test_a_manager_reopens_a_dataset_batch_for_fixes_from_the_keyboard_and_keeps_every_box(
    board_page, live_server, project, manager, annotator, demo
):
    page = board_page
    dataset = demo["dataset"]
    boxes = set(Annotation.objects.filter(image__batch=dataset).values_list("pk", flat=True))
    assert boxes
    login(page, live_server, manager)
    open_board(page, live_server, project)
    # The cards are one tab stop: the arrow keys reach the Dataset card, Enter opens its menu.
    tab_to(page, "#board .card[tabindex='0']")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    expect(page.locator(f"#card-{dataset.pk}")).to_be_focused()
    page.keyboard.press("Enter")
    tab_to(page, f"#card-{dataset.pk} [data-move=reopen]")
    page.keyboard.press("Enter")
    expect(dialog(page)).to_contain_text("all annotations stay")
    expect(page.locator("#reopen-to")).to_have_value(str(annotator.pk))
    tab_to(page, "#reopen-comment")
    page.keyboard.type("The third car is cut off")
    tab_to(page, "dialog[open] button[type=submit]")
    page.keyboard.press("Enter")

    expect(column(page, "annotating").locator(f'[data-batch-id="{dataset.pk}"]')).to_be_visible()
    expect(toast(page)).to_contain_text("its annotations stay")
    fresh = Batch.objects.get(pk=dataset.pk)
    assert (fresh.status, fresh.assignee, fresh.review_comment) == (
        Batch.Status.ANNOTATING,
        annotator,
        "The third car is cut off",
    )
    assert set(Annotation.objects.filter(image__batch=dataset).values_list("pk", flat=True)) == boxes


def test_a_workspace_open_during_a_reset_says_who_reset_it_and_keeps_the_edit_on_screen(
    page, live_server, batch, annotator, manager
):
    sign_in(page, live_server, annotator)
    open_annotate(page, live_server, batch)
    workflow.delete_batch(actor=manager, batch=Batch.objects.get(pk=batch.pk))

    drag(page, (50, 50), (150, 150))
    expect(page.locator("#save-status")).to_contain_text("manager reset to Unassigned “Street-01”")
    banner = page.locator("#readonly-banner")
    expect(banner).to_contain_text("it is in Unassigned now")
    expect(banner.get_by_role("link", name="Back to the board")).to_be_visible()
    expect(page.locator("#overlay rect.box")).to_have_count(1)  # the unsaved edit stays visible
    assert not Annotation.objects.filter(image__batch=batch).exists()


def test_a_reviewer_zooms_to_pixels_pans_and_hides_boxes_and_labels(page, live_server, batch, annotator, reviewer):
    drag_first = Image.objects.filter(batch=batch).order_by("id").first()
    Annotation.objects.create(image=drag_first, label_class=batch.project.label_classes.first(), x=10, y=10, w=50, h=40)
    workflow.submit(actor=annotator, batch=Batch.objects.get(pk=batch.pk))
    sign_in(page, live_server, reviewer)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live_server.url + reverse("review", args=[batch.project_id, batch.pk]))
    figure = page.locator(".review-figure")
    expect(figure.locator("rect.box")).to_have_count(1)

    page.get_by_role("button", name="1:1").click()
    assert round(figure.bounding_box()["width"]) == drag_first.width
    stage = page.locator(".review-figure-wrap")
    box = stage.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -600)  # zoom in at the pointer: the stage scrolls to keep the point under it
    assert figure.bounding_box()["width"] > drag_first.width * 2
    before = stage.evaluate("s => s.scrollLeft")
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 100, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    assert before > 100 and stage.evaluate("s => s.scrollLeft") == before - 100  # dragged right: pans left

    page.keyboard.press("l")
    expect(figure.locator("text.box-label")).to_be_hidden()
    expect(figure.locator("rect.box")).to_be_visible()
    page.keyboard.press("h")
    expect(figure.locator("rect.box")).to_be_hidden()
    page.keyboard.press("0")
    assert figure.bounding_box()["width"] <= stage.bounding_box()["width"]
    problems = run_axe(page)
    assert problems == [], problems
