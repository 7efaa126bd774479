"""The box editor never surprises: undo and redo of every edit, drawing inside boxes, class keys for the next box,
drawing from the keyboard, copy and paste, nudging."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from batches.models import Annotation

from .test_annotate import batch, drag, expect_saved, image_point, images_of, open_annotate, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["batch"]


def boxes_of(image) -> list[tuple[str, int, int, int, int]]:
    return [
        (a.label_class.name, round(a.x), round(a.y), round(a.w), round(a.h))
        for a in Annotation.objects.filter(image=image).select_related("label_class").order_by("x", "y")
    ]


def click(page, x: float, y: float) -> None:
    page.mouse.click(*image_point(page, x, y))


def test_undo_and_redo_walk_back_through_every_kind_of_edit_and_save_each_step(page, live_server, batch, annotator):
    first = images_of(batch)[0]
    sign_in(page, live_server, annotator)
    open_annotate(page, live_server, batch)
    expect(page.locator("#undo")).to_be_disabled()

    drag(page, (100, 100), (200, 200))  # draw
    expect_saved(page)
    click(page, 150, 150)
    drag(page, (150, 150), (170, 160))  # move by (+20, +10)
    expect_saved(page)
    drag(page, (220, 210), (250, 250))  # resize by the south-east handle
    expect_saved(page)
    page.keyboard.press("2")  # relabel the selected box
    expect_saved(page)
    assert boxes_of(first) == [("person", 120, 110, 130, 140)]
    page.keyboard.press("Delete")  # delete
    expect_saved(page)
    page.keyboard.press("n")  # no objects
    expect_saved(page)
    expect(page.locator("#image-state")).to_have_text("No objects")

    steps = [
        ("new", []),  # "no objects" undone
        ("annotated", [("person", 120, 110, 130, 140)]),  # delete undone
        ("annotated", [("car", 120, 110, 130, 140)]),  # relabel undone
        ("annotated", [("car", 120, 110, 100, 100)]),  # resize undone
        ("annotated", [("car", 100, 100, 100, 100)]),  # move undone
        ("new", []),  # draw undone
    ]
    for state, boxes in steps:
        page.keyboard.press("Control+z")
        expect_saved(page)
        first.refresh_from_db()
        assert (first.state, boxes_of(first)) == (state, boxes)
    expect(page.locator("#undo")).to_be_disabled()

    page.keyboard.press("Control+Shift+z")
    expect_saved(page)
    assert boxes_of(first) == [("car", 100, 100, 100, 100)]
    page.keyboard.press("Control+y")
    expect_saved(page)
    assert boxes_of(first) == [("car", 120, 110, 100, 100)]
    page.get_by_role("button", name="Redo").click()
    expect_saved(page)
    assert boxes_of(first) == [("car", 120, 110, 130, 140)]


def test_undo_survives_moving_to_the_next_image_and_back(page, live_server, batch, annotator):
    first = images_of(batch)[0]
    sign_in(page, live_server, annotator)
    open_annotate(page, live_server, batch)
    drag(page, (100, 100), (200, 200))
    expect_saved(page)
    page.keyboard.press("ArrowRight")
    expect(page.locator("#image-position")).to_have_text("2 of 3")
    expect(page.locator("#undo")).to_be_disabled()
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#image-position")).to_have_text("1 of 3")
    page.get_by_role("button", name="Undo", exact=True).click()
    expect_saved(page)
    assert boxes_of(first) == []


def test_a_drag_inside_a_box_draws_a_nested_box_instead_of_moving_it(page, live_server, batch, annotator):
    first = images_of(batch)[0]
    sign_in(page, live_server, annotator)
    open_annotate(page, live_server, batch)
    drag(page, (50, 50), (400, 400))  # a car
    expect_saved(page)
    drag(page, (100, 300), (200, 380))  # its licence plate, drawn inside it
    expect_saved(page)
    assert boxes_of(first) == [("car", 50, 50, 350, 350), ("car", 100, 300, 100, 80)]


def test_a_class_key_after_drawing_chooses_the_next_boxs_class_and_leaves_the_drawn_one(
    page, live_server, batch, annotator
):
    first = images_of(batch)[0]
    sign_in(page, live_server, annotator)
    open_annotate(page, live_server, batch)
    drag(page, (10, 10), (100, 100))
    expect_saved(page)
    page.keyboard.press("2")
    expect(page.get_by_role("radio", name="person")).to_have_attribute("aria-checked", "true")
    expect(page.locator("#edit-note")).to_be_hidden()
    drag(page, (200, 200), (300, 300))
    expect_saved(page)
    assert boxes_of(first) == [("car", 10, 10, 90, 90), ("person", 200, 200, 100, 100)]

    click(page, 50, 50)  # explicitly selected: now the key relabels it, says so, and offers undo
    page.keyboard.press("2")
    expect_saved(page)
    expect(page.locator("#edit-note")).to_contain_text("box #1 → person")
    assert boxes_of(first)[0][0] == "person"
    page.locator("#edit-note-undo").click()
    expect_saved(page)
    assert boxes_of(first)[0][0] == "car"


def test_a_box_is_drawn_with_the_keyboard_alone(page, live_server, batch, annotator):
    first = images_of(batch)[0]
    sign_in(page, live_server, annotator)
    open_annotate(page, live_server, batch)
    page.locator("#viewport").focus()
    page.keyboard.press("b")  # a crosshair in the middle of the 640×480 image
    step = page.evaluate("Math.max(1, Math.round(4 / window.BinaBoard.annotate.state.scale)) * 10")
    page.keyboard.press("Shift+ArrowLeft")
    page.keyboard.press("Shift+ArrowUp")
    page.keyboard.press("Enter")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("Enter")
    expect_saved(page)
    assert boxes_of(first) == [("car", 320 - step, 240 - step, 2 * step, step)]
    expect(page.locator("#overlay line.crosshair")).to_have_count(0)


def test_arrows_nudge_the_selected_box_and_a_copied_box_pastes_onto_the_next_image(page, live_server, batch, annotator):
    first, second, _ = images_of(batch)
    sign_in(page, live_server, annotator)
    open_annotate(page, live_server, batch)
    drag(page, (100, 100), (200, 200))
    expect_saved(page)
    click(page, 150, 150)
    page.keyboard.press("ArrowRight")  # with a box selected the arrows nudge it, not change the image
    page.keyboard.press("Shift+ArrowDown")
    expect_saved(page)
    expect(page.locator("#image-position")).to_have_text("1 of 3")
    assert boxes_of(first) == [("car", 101, 110, 100, 100)]

    page.keyboard.press("Control+c")
    page.keyboard.press("Escape")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#image-position")).to_have_text("2 of 3")
    page.keyboard.press("Control+v")
    expect_saved(page)
    assert boxes_of(second) == [("car", 101, 110, 100, 100)]
