"""A viewer for every batch, reopening for fixes without losing a box, and a workspace told what happened."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from batches import workflow
from batches.models import Annotation, Batch, Image

from .board_helpers import column, demo_batches, login, open_board, run_axe, tab_to
from .test_annotate import batch, drag, expect_saved, open_annotate, sign_in
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
    overlay = page.locator("#stage .box-overlay")
    expect(overlay.locator("rect.vbox")).to_have_count(1)
    expect(overlay.locator("text.vlabel")).to_be_visible()
    problems = run_axe(page)
    assert problems == [], problems
    # A Persian keyboard: the key in L's place types "م"; the shortcut follows the place (event.code).
    page.evaluate("document.body.dispatchEvent(new KeyboardEvent('keydown', {key: 'م', code: 'KeyL', bubbles: true}))")
    expect(overlay.locator("text.vlabel")).to_be_hidden()
    page.keyboard.press("h")
    expect(overlay).to_be_hidden()
    expect(page.locator("#toggle-boxes")).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("h")
    expect(overlay).to_be_visible()

    natural = page.locator("#stage-canvas").bounding_box()["width"]
    page.get_by_role("button", name="1:1").click()
    assert round(page.locator("#stage-canvas").bounding_box()["width"]) == first.width
    assert natural > 0
    page.evaluate("window.stayed = true")  # gone if the page reloads
    page.keyboard.press("ArrowRight")
    expect(page.locator(".image-name")).not_to_have_text(first.original_name)
    expect(page.locator("#crumb-image")).not_to_have_text(first.original_name)
    assert "show=annotated" in page.url and page.evaluate("window.stayed")


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


def test_a_workspace_open_during_a_reset_says_who_reset_it_and_copies_the_edits_once_the_batch_is_back(
    board_page, live_server, batch, annotator, manager
):
    page = board_page
    sign_in(page, live_server, annotator)
    open_annotate(page, live_server, batch)
    workflow.delete_batch(actor=manager, batch=Batch.objects.get(pk=batch.pk))

    drag(page, (50, 50), (150, 150))
    expect(page.locator("#save-status")).to_contain_text("manager reset to Unassigned “Street-01”")
    banner = page.locator("#readonly-banner")
    expect(banner).to_contain_text("it is in Unassigned now")
    expect(banner).to_contain_text("if the batch comes back to you")
    expect(banner.get_by_role("link", name="Back to the board")).to_be_visible()
    expect(banner.get_by_role("button", name="Copy my edits")).to_be_hidden()  # not theirs now
    expect(page.locator("#overlay rect.box")).to_have_count(1)  # the unsaved edit stays visible
    assert not Annotation.objects.filter(image__batch=batch).exists()

    # The manager gives the batch back: the workspace notices (here: the window gets the focus again).
    workflow.assign(actor=manager, batch=Batch.objects.get(pk=batch.pk), assignees=[annotator])
    page.evaluate("window.dispatchEvent(new Event('focus'))")
    expect(banner).to_contain_text("The batch is yours to annotate again")
    banner.get_by_role("button", name="Copy my edits").click()
    expect_saved(page)
    expect(banner).to_be_hidden()
    box = Annotation.objects.get(image__batch=batch)
    assert (round(box.x), round(box.y), round(box.w), round(box.h)) == (50, 50, 100, 100)
    fresh = Batch.objects.get(pk=batch.pk)
    assert page.locator("#submit-form input[name=version]").input_value() == str(fresh.version)
    page.keyboard.press("Control+z")  # the copy is one undo step
    expect_saved(page)
    assert not Annotation.objects.filter(image__batch=batch).exists()


def test_a_reviewer_zooms_to_pixels_pans_and_hides_boxes_and_labels(
    board_page, live_server, batch, annotator, reviewer
):
    page = board_page
    first, second, _third = Image.objects.filter(batch=batch).order_by("id")
    Annotation.objects.create(image=first, label_class=batch.project.label_classes.first(), x=10, y=10, w=50, h=40)
    workflow.submit(actor=annotator, batch=Batch.objects.get(pk=batch.pk))
    sign_in(page, live_server, reviewer)
    review_url = live_server.url + reverse("review", args=[batch.project_id, batch.pk])
    page.goto(review_url)
    canvas = page.locator("#stage-canvas")
    expect(canvas.locator("rect.vbox")).to_have_count(1)

    def scale() -> float:
        return page.evaluate("window.BinaBoard.view.board.view.scale")

    page.get_by_role("button", name="1:1").click()
    assert round(canvas.bounding_box()["width"]) == first.width
    stage = page.locator("#stage").bounding_box()
    centre = (stage["x"] + stage["width"] / 2, stage["y"] + stage["height"] / 2)
    page.mouse.move(*centre)
    page.mouse.wheel(0, -600)  # the wheel zooms at the pointer
    assert canvas.bounding_box()["width"] > first.width * 2
    before = canvas.bounding_box()["x"]
    page.mouse.down()
    page.mouse.move(centre[0] + 100, centre[1], steps=5)
    page.mouse.up()
    assert round(canvas.bounding_box()["x"] - before) == 100  # a drag pans

    # A trackpad pinch (ctrl+wheel) and a two-finger pinch zoom too.
    zoomed = scale()
    page.keyboard.down("Control")
    page.mouse.wheel(0, 50)
    page.keyboard.up("Control")
    assert scale() < zoomed
    pinched = scale()
    page.evaluate(
        """([x, y]) => {
            const stage = document.getElementById('stage');
            const send = (type, id, dx) => stage.dispatchEvent(new PointerEvent(type, {
                pointerId: id, pointerType: 'touch', clientX: x + dx, clientY: y, bubbles: true, button: 0}));
            send('pointerdown', 21, -20); send('pointerdown', 22, 20);
            send('pointermove', 21, -60); send('pointermove', 22, 60);
            send('pointerup', 21, -60); send('pointerup', 22, 60);
        }""",
        list(centre),
    )
    assert scale() == pytest.approx(pinched * 3, rel=0.01)

    page.keyboard.press("l")
    expect(canvas.locator("text.vlabel")).to_be_hidden()
    expect(canvas.locator("rect.vbox")).to_be_visible()
    page.keyboard.press("h")
    expect(canvas.locator("rect.vbox")).to_be_hidden()
    page.keyboard.press("h")
    page.keyboard.press("0")
    assert canvas.bounding_box()["width"] <= stage["width"]
    problems = run_axe(page)
    assert problems == [], problems

    # Next and previous swap the image in without reloading; the address follows, so Back and reload work.
    page.evaluate("window.stayed = true")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#image-nav")).to_contain_text(second.original_name)
    expect(canvas.locator("rect.vbox")).to_have_count(0)
    expect(page.locator(f"#strip-item-{second.pk} a")).to_have_attribute("aria-current", "true")
    assert page.url.endswith(f"?image={second.pk}") and page.evaluate("window.stayed")
    page.get_by_label("Note for the annotator").fill("Missing car")
    page.get_by_role("button", name="Flag image").click()  # the swapped-in flag form posts with htmx
    expect(page.locator("#flag-summary")).to_contain_text(second.original_name)
    page.go_back()
    expect(page.locator("#image-nav")).to_contain_text(first.original_name)
    expect(canvas.locator("rect.vbox")).to_have_count(1)
    assert page.evaluate("window.stayed")
    page.reload()
    expect(page.locator("#image-nav")).to_contain_text(first.original_name)
