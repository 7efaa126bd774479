"""The keys a CVAT or Label Studio user reaches for in the workspaces: ? for the key list, Ctrl+S to save,
Esc out of a field, Ctrl+Enter to flag; and a keyboard user working in the box list keeps their place."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from batches import workflow
from batches.models import Annotation, Batch

from .test_annotate import batch, drag, expect_saved, image_point, images_of, open_annotate, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["batch"]


def image_id(page) -> int:
    return page.evaluate("window.BinaBoard.annotate.state.image.id")


@pytest.mark.parametrize("language", ["en", "fa"])
def test_question_mark_opens_the_key_list_and_again_closes_it(board_page, live_server, batch, annotator, language):
    annotator.language = language
    annotator.save(update_fields=["language"])
    page = board_page
    sign_in(page, live_server, annotator)
    open_annotate(page, live_server, batch)
    help_list = page.locator("details.help")
    expect(help_list).not_to_have_attribute("open", "")

    page.locator("#viewport").focus()
    # What a Persian keyboard sends for Shift+/ : the key is "؟", the place is the same.
    page.keyboard.press("Shift+Slash") if language == "en" else page.evaluate(
        "document.getElementById('viewport').dispatchEvent(new KeyboardEvent('keydown',"
        " {key: '؟', code: 'Slash', shiftKey: true, bubbles: true}))"
    )
    expect(help_list).to_have_attribute("open", "")
    expect(help_list.locator("dl.keys")).to_be_in_viewport()
    expect(help_list.locator("summary")).to_be_focused()

    page.keyboard.press("Shift+Slash")
    expect(help_list).not_to_have_attribute("open", "")
    expect(page.locator("#viewport")).to_be_focused()

    page.keyboard.press("Shift+Slash")  # Esc closes it too
    expect(help_list).to_have_attribute("open", "")
    page.keyboard.press("Escape")
    expect(help_list).not_to_have_attribute("open", "")
    expect(page.locator("#viewport")).to_be_focused()


def test_ctrl_s_saves_at_once_instead_of_opening_the_browsers_save_dialog(board_page, live_server, batch, annotator):
    page = board_page
    first = images_of(batch)[0]
    sign_in(page, live_server, annotator)
    open_annotate(page, live_server, batch)
    page.context.set_offline(True)
    drag(page, (100, 100), (200, 180))
    expect(page.locator("#retry-save")).to_be_visible()
    page.context.set_offline(False)

    prevented = page.evaluate(
        """() => {
            const evt = new KeyboardEvent('keydown', {key: 's', code: 'KeyS', ctrlKey: true, bubbles: true, cancelable: true});
            document.getElementById('viewport').dispatchEvent(evt);
            return evt.defaultPrevented;
        }"""
    )
    assert prevented
    expect_saved(page)
    assert Annotation.objects.filter(image=first).count() == 1

    page.keyboard.press("Control+s")  # nothing waiting: it says so, rather than nothing at all
    expect_saved(page)


def test_esc_in_a_boxs_class_list_gives_the_keys_back_to_the_image(board_page, live_server, batch, annotator):
    page = board_page
    sign_in(page, live_server, annotator)
    open_annotate(page, live_server, batch)
    first = image_id(page)
    drag(page, (100, 100), (200, 180))
    expect_saved(page)

    page.locator("#box-list select").focus()
    page.keyboard.press("d")  # typed in the list: no image change
    assert image_id(page) == first
    page.keyboard.press("Escape")
    expect(page.locator("#viewport")).to_be_focused()
    page.keyboard.press("d")
    expect(page.locator("#image-position")).to_have_text("2 of 3")


def test_a_keyboard_user_in_the_box_list_keeps_their_place_after_a_change_and_a_delete(
    board_page, live_server, batch, annotator
):
    page = board_page
    first = images_of(batch)[0]
    sign_in(page, live_server, annotator)
    open_annotate(page, live_server, batch)
    drag(page, (100, 100), (200, 180))
    expect_saved(page)
    drag(page, (300, 100), (400, 180))
    expect_saved(page)

    # A new class from the keyboard in the first box's list: the list is drawn again, the focus stays on it.
    rows = page.locator("#box-list li")
    rows.nth(0).locator("select").focus()
    page.keyboard.press("ArrowDown")
    expect_saved(page)
    expect(rows.nth(0).locator("select")).to_be_focused()
    assert Annotation.objects.filter(image=first, label_class__name="person").count() == 1

    # Delete the first box with its ✕: the focus goes to the ✕ of the box now first, not off the page.
    rows.nth(0).locator(".box-delete").focus()
    page.keyboard.press("Enter")
    expect_saved(page)
    expect(rows).to_have_count(1)
    expect(rows.nth(0).locator(".box-delete")).to_be_focused()
    page.keyboard.press("Enter")
    expect_saved(page)
    expect(rows).to_have_count(0)
    expect(page.locator("#viewport")).to_be_focused()
    assert not Annotation.objects.filter(image=first).exists()


@pytest.mark.parametrize("language", ["en", "fa"])
def test_a_reviewer_flags_with_ctrl_enter_and_esc_leaves_the_note_for_the_next_image(
    board_page, live_server, batch, annotator, reviewer, language
):
    reviewer.language = language
    reviewer.save(update_fields=["language"])
    page = board_page
    first, second, _third = images_of(batch)
    workflow.submit(actor=annotator, batch=Batch.objects.get(pk=batch.pk))
    sign_in(page, live_server, reviewer)
    page.goto(live_server.url + reverse("review", args=[batch.project_id, batch.pk]))
    canvas = page.locator("#stage-canvas")
    expect(canvas).to_have_attribute("data-image-id", str(first.pk))

    page.keyboard.press("f")
    expect(page.locator("#flag-note")).to_be_focused()
    page.keyboard.type("The cyclist has no box")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#flag-panel")).to_have_class("side-section flag-panel is-flagged")
    first.refresh_from_db()
    assert first.review_flag and first.review_note == "The cyclist has no box"
    expect(page.locator("#flag-note")).to_be_focused()  # still in the note, to go on writing

    # Flagged with its button from the keyboard: the panel is drawn afresh and the focus stays on its
    # button, not back at the top of the page.
    page.keyboard.type(", nor the car")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#flag-panel textarea")).to_have_value("The cyclist has no box, nor the car")
    expect(page.locator("#flag-panel button[name=flagged][value='1']")).to_be_focused()

    # Esc leaves the note: the arrows and D move on again.
    page.locator("#flag-note").focus()
    page.keyboard.press("Escape")
    expect(page.locator("#stage")).to_be_focused()
    page.keyboard.press("d")
    expect(canvas).to_have_attribute("data-image-id", str(second.pk))


def test_the_next_image_loads_while_a_slow_save_is_still_on_its_way(board_page, live_server, batch, annotator):
    page = board_page
    first, second, _third = images_of(batch)
    sign_in(page, live_server, annotator)
    open_annotate(page, live_server, batch)
    held = []
    page.route("**/save*", lambda route: held.append(route))
    drag(page, (100, 100), (200, 180))
    expect(page.locator("#save-status")).to_have_text("Saving…")

    # D while the save waits: the next image is asked for at once, not only once the save is answered.
    data_url = reverse("annotate_image", args=[batch.project_id, batch.pk, second.pk])
    with page.expect_request(lambda request: data_url in request.url, timeout=3000):
        page.keyboard.press("d")
    expect(page.locator("#image-position")).to_have_text("1 of 3")  # shown only once the box is stored
    held[0].continue_()
    expect(page.locator("#image-position")).to_have_text("2 of 3")
    assert Annotation.objects.filter(image=first).count() == 1


@pytest.mark.parametrize("language", ["en", "fa"])
def test_next_on_the_last_image_says_it_is_the_last_and_how_far_the_batch_is(
    board_page, live_server, batch, annotator, language
):
    annotator.language = language
    annotator.save(update_fields=["language"])
    page = board_page
    *_, last = images_of(batch)
    sign_in(page, live_server, annotator)
    open_annotate(page, live_server, batch, last)
    drag(page, (100, 100), (200, 180))
    expect(page.locator("#progress-text")).to_contain_text("1" if language == "en" else "۱")
    page.keyboard.press("ArrowRight" if language == "en" else "ArrowLeft")  # next, in either direction
    words = "This is the last image: 1 of 3 done." if language == "en" else "این آخرین تصویر است: ۱ از ۳ انجام شده."
    expect(page.locator("#toasts .toast")).to_contain_text(words)
    assert image_id(page) == last.pk


def test_one_undo_takes_back_a_whole_run_of_arrow_nudges(board_page, live_server, batch, annotator):
    page = board_page
    first = images_of(batch)[0]
    sign_in(page, live_server, annotator)
    open_annotate(page, live_server, batch)
    drag(page, (100, 100), (200, 180))
    expect_saved(page)
    page.mouse.click(*image_point(page, 150, 140))  # select it
    for _ in range(6):
        page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("ArrowDown")
    expect_saved(page)
    assert [(round(a.x), round(a.y)) for a in Annotation.objects.filter(image=first)] == [(160, 101)]

    page.keyboard.press("Control+z")  # the whole run, not its last pixel
    expect_saved(page)
    assert [(round(a.x), round(a.y)) for a in Annotation.objects.filter(image=first)] == [(100, 100)]
    page.keyboard.press("Control+z")  # then the drawing
    expect_saved(page)
    assert not Annotation.objects.filter(image=first).exists()
    page.keyboard.press("Control+Shift+z")
    page.keyboard.press("Control+Shift+z")
    expect_saved(page)
    assert [(round(a.x), round(a.y)) for a in Annotation.objects.filter(image=first)] == [(160, 101)]


def test_a_small_box_drawn_before_a_big_one_around_it_is_still_selected_and_moved_by_a_click(
    board_page, live_server, batch, annotator
):
    page = board_page
    first = images_of(batch)[0]
    sign_in(page, live_server, annotator)
    open_annotate(page, live_server, batch)
    drag(page, (100, 300), (200, 380))  # a licence plate
    expect_saved(page)
    drag(page, (50, 50), (400, 420))  # then the car around it, drawn over it
    expect_saved(page)

    page.mouse.click(*image_point(page, 150, 340))  # on the plate: the smaller box is the one meant
    expect(page.locator("#box-list li.is-selected")).to_contain_text("#1")
    drag(page, (150, 340), (170, 350))  # the selected plate moves, even under the car
    expect_saved(page)
    assert sorted((round(a.x), round(a.y), round(a.w)) for a in Annotation.objects.filter(image=first)) == [
        (50, 50, 350),
        (120, 310, 100),
    ]

    page.mouse.click(*image_point(page, 300, 100))  # on the car, away from the plate
    expect(page.locator("#box-list li.is-selected")).to_contain_text("#2")


def test_the_pointer_shows_move_only_over_the_selected_box_which_is_the_one_a_drag_moves(
    board_page, live_server, batch, annotator
):
    page = board_page
    sign_in(page, live_server, annotator)
    open_annotate(page, live_server, batch)
    drag(page, (100, 100), (200, 180))
    expect_saved(page)
    box = page.locator("#overlay rect.box")
    expect(box).to_have_css("cursor", "crosshair")  # a drag here draws a box inside it
    page.mouse.click(*image_point(page, 150, 140))
    expect(box).to_have_class("box is-selected")
    expect(box).to_have_css("cursor", "move")
