"""The annotate and review workspaces in real Chromium: draw, classify, reload, submit, review, fix, approve."""

from __future__ import annotations

import os
import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from batches import workflow
from batches.models import Annotation, Batch, Image

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = os.environ.get("SCREENSHOT_DIR", "")


def sign_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.clear_cookies()
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}])


def screenshot(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"))


@pytest.fixture
def batch(project, manager, annotator):
    from tests.factories import stored_image_rows

    made = workflow.create_batch(
        actor=manager, project=project, name="Street-01", images=stored_image_rows(project, 3, 640, 480)
    )
    workflow.assign(actor=manager, batch=made, assignees=[annotator])
    made.refresh_from_db()
    return made


def images_of(batch) -> list[Image]:
    return list(Image.objects.filter(batch=batch).order_by("id"))


def open_annotate(page, live_server, batch, image=None) -> None:
    url = live_server.url + reverse("annotate", args=[batch.project_id, batch.pk])
    page.goto(url + (f"?image={image.pk}" if image else ""))
    expect(page.locator("#viewport")).to_be_visible()
    expect(page.locator("#photo")).to_have_js_property("complete", True)  # no eval: the CSP refuses it


def image_point(page, x: float, y: float) -> tuple[float, float]:
    """Screen coordinates of a point given in image pixels, through the editor's current zoom and pan."""
    return page.evaluate(
        """([x, y]) => {
            const s = window.BinaBoard.annotate.state;
            const r = document.getElementById('viewport').getBoundingClientRect();
            return [r.left + s.tx + x * s.scale, r.top + s.ty + y * s.scale];
        }""",
        [x, y],
    )


def drag(page, start: tuple[float, float], end: tuple[float, float]) -> None:
    page.mouse.move(*image_point(page, *start))
    page.mouse.down()
    page.mouse.move(*image_point(page, *end), steps=8)
    page.mouse.up()


def expect_saved(page) -> None:
    expect(page.locator("#save-status")).to_have_text("Saved")


def test_annotator_draws_a_box_changes_its_class_by_key_and_finds_it_after_reload(page, live_server, batch, annotator):
    first = images_of(batch)[0]
    sign_in(page, live_server, annotator)
    open_annotate(page, live_server, batch)

    drag(page, (100, 80), (300, 240))
    expect_saved(page)
    expect(page.locator("#box-list li")).to_have_count(1)
    expect(page.locator("#progress-text")).to_have_text("1 / 3 done")

    page.mouse.click(*image_point(page, 200, 160))  # a click selects the box
    page.keyboard.press("2")  # with the box selected, key 2 makes it a "person"
    expect_saved(page)
    expect(page.locator("#edit-note")).to_contain_text("box #1 → person")
    box = Annotation.objects.get(image=first)
    assert box.label_class.name == "person"
    assert (round(box.x), round(box.y), round(box.w), round(box.h)) == (100, 80, 200, 160)

    page.reload()
    expect(page.locator("#box-list li")).to_have_count(1)
    expect(page.locator("#box-list select")).to_have_value(str(box.label_class_id))
    expect(page.locator("#overlay rect.box")).to_have_count(1)
    expect(page.locator("#image-state")).to_have_text("Annotated")


def test_annotator_moves_resizes_and_deletes_a_box_with_the_mouse(page, live_server, batch, annotator):
    first = images_of(batch)[0]
    sign_in(page, live_server, annotator)
    open_annotate(page, live_server, batch)
    drag(page, (100, 100), (200, 200))
    expect_saved(page)

    page.mouse.click(*image_point(page, 150, 150))  # select it first: only a selected box moves
    drag(page, (150, 150), (250, 170))  # grab the middle: a move by (+100, +20)
    expect_saved(page)
    box = Annotation.objects.get(image=first)
    assert (round(box.x), round(box.y), round(box.w), round(box.h)) == (200, 120, 100, 100)

    drag(page, (300, 220), (340, 300))  # the south-east handle of the selected box
    expect_saved(page)
    box = Annotation.objects.get(image=first)
    assert (round(box.x), round(box.y), round(box.w), round(box.h)) == (200, 120, 140, 180)

    page.keyboard.press("Delete")
    expect_saved(page)
    assert not Annotation.objects.filter(image=first).exists()
    expect(page.locator("#progress-text")).to_have_text("0 / 3 done")


def test_a_save_refused_after_the_batch_left_annotating_keeps_the_box_and_says_why(
    page, live_server, batch, annotator, manager
):
    sign_in(page, live_server, annotator)
    open_annotate(page, live_server, batch)
    workflow.submit(actor=manager, batch=Batch.objects.get(pk=batch.pk))

    drag(page, (50, 50), (150, 150))
    expect(page.locator("#save-status")).to_contain_text("no longer in Annotating")
    expect(page.locator("#readonly-banner")).to_be_visible()
    expect(page.locator("#overlay rect.box")).to_have_count(1)  # the change stays on screen
    assert not Annotation.objects.filter(image__batch=batch).exists()


def test_the_whole_round_trip_from_annotating_through_a_rejection_to_the_dataset(
    page, live_server, batch, annotator, reviewer
):
    _, second, third = images_of(batch)
    sign_in(page, live_server, annotator)
    page.set_viewport_size({"width": 1280, "height": 800})
    open_annotate(page, live_server, batch)

    # Box on the first image, then "no objects" on the second and third, moving on with the keyboard.
    drag(page, (120, 100), (360, 300))
    expect_saved(page)
    screenshot(page, "annotate")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#image-position")).to_have_text("2 of 3")
    page.get_by_role("button", name=re.compile("No objects")).click()
    expect_saved(page)
    expect(page.locator("#image-state")).to_have_text("No objects")
    page.keyboard.press("d")
    expect(page.locator("#image-position")).to_have_text("3 of 3")
    page.keyboard.press("n")
    expect_saved(page)
    expect(page.locator("#progress-text")).to_have_text("3 / 3 done")

    page.get_by_role("button", name="Submit batch").click()
    page.wait_for_url(re.compile(r"/projects/\d+/"))
    assert Batch.objects.get(pk=batch.pk).status == Batch.Status.REVIEW

    # The reviewer flags the second image with a note and rejects.
    sign_in(page, live_server, reviewer)
    page.goto(live_server.url + reverse("review", args=[batch.project_id, batch.pk]))
    expect(page.locator("#stage-canvas rect.vbox")).to_have_count(1)
    page.keyboard.press("ArrowRight")
    expect(page.locator(".ws-nav-info")).to_contain_text("2 of 3")
    page.get_by_label("Note for the annotator").fill("There is a car behind the tree.")
    page.get_by_role("button", name="Flag image").click()
    expect(page.locator("#flag-panel")).to_contain_text("Flagged")
    expect(page.locator("#flag-summary")).to_contain_text(second.original_name)
    screenshot(page, "review")
    page.get_by_label("Reject with a comment").fill("Look again behind the trees.")
    page.get_by_role("button", name=re.compile("Reject")).click()
    page.wait_for_url(re.compile(r"/projects/\d+/"))
    assert Batch.objects.get(pk=batch.pk).status == Batch.Status.ANNOTATING

    # The annotator sees the comment and starts at the flagged image, listed first with its note.
    sign_in(page, live_server, annotator)
    open_annotate(page, live_server, batch)
    expect(page.locator(".review-callout")).to_contain_text("Look again behind the trees.")
    expect(page.locator("#image-name")).to_have_text(second.original_name)
    expect(page.locator("#flag-note")).to_contain_text("There is a car behind the tree.")
    expect(page.locator("#strip .strip-item").first).to_have_attribute("data-image-id", str(second.pk))
    screenshot(page, "annotate_after_rejection")

    # Fix it: "no objects" off, a box on, and submit again.
    page.keyboard.press("n")
    expect_saved(page)
    drag(page, (400, 200), (520, 300))
    expect_saved(page)
    assert Image.objects.get(pk=second.pk).state == Image.State.ANNOTATED
    page.get_by_role("button", name="Submit batch").click()
    page.wait_for_url(re.compile(r"/projects/\d+/"))
    assert Batch.objects.get(pk=batch.pk).status == Batch.Status.REVIEW

    # The reviewer checks the fix, removes the flag and approves.
    sign_in(page, live_server, reviewer)
    page.goto(live_server.url + reverse("review", args=[batch.project_id, batch.pk]))
    expect(page.locator(".ws-nav-info")).to_contain_text(second.original_name)  # opens at the flagged image
    expect(page.locator("#stage-canvas rect.vbox")).to_have_count(1)
    page.get_by_role("button", name="Remove flag").click()
    expect(page.locator("#flag-summary")).to_contain_text("No image is flagged")
    page.get_by_role("button", name=re.compile("Approve")).click()
    page.wait_for_url(re.compile(r"/projects/\d+/"))
    done = Batch.objects.get(pk=batch.pk)
    assert done.status == Batch.Status.DATASET
    assert done.done_count == 3
    assert Annotation.objects.filter(image__batch=batch).count() == 2
    assert third.pk in {i.pk for i in Image.objects.filter(batch=batch, state=Image.State.NO_OBJECTS)}


def test_submitting_with_images_not_done_asks_first_and_says_how_many(page, live_server, batch, annotator):
    sign_in(page, live_server, annotator)
    open_annotate(page, live_server, batch)
    drag(page, (10, 10), (100, 100))
    expect_saved(page)

    page.get_by_role("button", name="Submit batch").click()
    dialog = page.locator("#submit-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("2 of 3 images are not done yet")
    dialog.get_by_role("button", name="Keep annotating").click()
    expect(dialog).to_be_hidden()
    assert Batch.objects.get(pk=batch.pk).status == Batch.Status.ANNOTATING

    page.get_by_role("button", name="Submit batch").click()
    dialog.get_by_role("button", name="Submit anyway").click()
    page.wait_for_url(re.compile(r"/projects/\d+/"))
    assert Batch.objects.get(pk=batch.pk).status == Batch.Status.REVIEW


def test_zooming_and_panning_keep_boxes_in_image_pixels(page, live_server, batch, annotator):
    first = images_of(batch)[0]
    sign_in(page, live_server, annotator)
    open_annotate(page, live_server, batch)
    fitted = page.evaluate("window.BinaBoard.annotate.state.scale")

    page.keyboard.press("+")
    page.keyboard.press("+")
    viewport = page.locator("#viewport").bounding_box()
    page.mouse.move(viewport["x"] + 300, viewport["y"] + 300)
    page.mouse.wheel(0, -200)  # the wheel zooms around the pointer
    zoomed = page.evaluate("window.BinaBoard.annotate.state.scale")
    assert zoomed > fitted * 1.5
    expect(page.locator("#zoom-level")).to_have_text(f"{round(zoomed * 100)}%")

    # Space + drag pans the view; it draws nothing.
    before = page.evaluate("[window.BinaBoard.annotate.state.tx, window.BinaBoard.annotate.state.ty]")
    page.keyboard.down(" ")
    page.mouse.move(viewport["x"] + 400, viewport["y"] + 300)
    page.mouse.down()
    page.mouse.move(viewport["x"] + 300, viewport["y"] + 250, steps=5)
    page.mouse.up()
    page.keyboard.up(" ")
    after = page.evaluate("[window.BinaBoard.annotate.state.tx, window.BinaBoard.annotate.state.ty]")
    assert (round(after[0] - before[0]), round(after[1] - before[1])) == (-100, -50)
    expect(page.locator("#overlay rect.box")).to_have_count(0)

    x, y = page.evaluate(
        """() => { const s = window.BinaBoard.annotate.state, r = document.getElementById('viewport');
                   return [(r.clientWidth / 2 - s.tx) / s.scale, (r.clientHeight / 2 - s.ty) / s.scale]; }"""
    )
    drag(page, (round(x), round(y)), (round(x) + 40, round(y) + 30))
    expect_saved(page)
    stored = Annotation.objects.get(image=first)
    assert (round(stored.x), round(stored.y), round(stored.w), round(stored.h)) == (round(x), round(y), 40, 30)

    page.get_by_role("button", name="Fit").click()
    assert page.evaluate("window.BinaBoard.annotate.state.scale") == pytest.approx(fitted)
    page.get_by_role("button", name="1:1").click()  # the same canvas as the review and the viewer
    assert page.evaluate("window.BinaBoard.annotate.state.scale") == 1
    page.keyboard.press("h")
    expect(page.locator("#overlay rect.box")).to_be_hidden()
    page.keyboard.press("h")
    expect(page.locator("#overlay rect.box")).to_be_visible()


def test_a_photo_taken_sideways_is_shown_upright_with_the_stored_size(page, live_server, project, manager, annotator):
    import io

    from PIL import Image as PILImage

    from batches.ingest.pipeline import Source, ingest

    buffer = io.BytesIO()
    exif = PILImage.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view"
    PILImage.new("RGB", (640, 480), (30, 120, 200)).save(buffer, "JPEG", exif=exif)
    report = ingest(
        actor=manager, project=project, sources=[Source.from_bytes("sideways.jpg", buffer.getvalue())], workers=1
    )
    batch = workflow.assign(actor=manager, batch=report.batch, assignees=[annotator]).assigned[0]
    image = Image.objects.get(batch=batch)
    assert (image.width, image.height) == (480, 640)
    sign_in(page, live_server, annotator)
    open_annotate(page, live_server, batch)

    natural = page.evaluate(
        "[document.getElementById('photo').naturalWidth, document.getElementById('photo').naturalHeight]"
    )
    assert natural == [480, 640]
    drag(page, (400, 560), (470, 630))  # near the bottom right: inside only if the image is upright
    expect_saved(page)
    stored = Annotation.objects.get(image=image)
    assert (round(stored.x), round(stored.y), round(stored.w), round(stored.h)) == (400, 560, 70, 70)


def test_a_save_that_fails_on_the_way_keeps_the_change_and_retry_stores_it(page, live_server, batch, annotator):
    first = images_of(batch)[0]
    sign_in(page, live_server, annotator)
    open_annotate(page, live_server, batch)
    saves = re.compile(r"/save(\?|$)")  # the save URL carries the batch version the page loaded
    page.route(saves, lambda route: route.abort("internetdisconnected"))

    drag(page, (20, 20), (120, 90))
    expect(page.locator("#save-status")).to_contain_text("Not saved")
    expect(page.get_by_role("button", name="Retry saving")).to_be_visible()
    expect(page.locator("#overlay rect.box")).to_have_count(1)
    page.keyboard.press("ArrowRight")  # moving on would lose the change: it stays, and says why
    # (once that try has failed too: lifting the block before would let it through)
    expect(page.locator("#toasts")).to_contain_text("last change is not saved yet")
    expect(page.locator("#image-position")).to_have_text("1 of 3")
    assert not Annotation.objects.exists()

    page.unroute(saves)
    page.get_by_role("button", name="Retry saving").click()
    expect_saved(page)
    expect(page.get_by_role("button", name="Retry saving")).to_be_hidden()
    assert Annotation.objects.filter(image=first).count() == 1


def test_the_image_strip_loads_in_pages_and_jumps_to_an_image(page, live_server, project, manager, annotator):
    from tests.factories import image_rows

    made = workflow.create_batch(actor=manager, project=project, name="Long", images=image_rows(120))
    batch = workflow.assign(actor=manager, batch=made, assignees=[annotator]).assigned[0]
    ids = list(Image.objects.filter(batch=batch).order_by("id").values_list("pk", flat=True))
    sign_in(page, live_server, annotator)
    url = live_server.url + reverse("annotate", args=[project.pk, batch.pk])
    page.goto(f"{url}?image={ids[60]}")  # the strip opens at the page holding image 61
    items = page.locator("#strip .strip-item")
    expect(items).to_have_count(50)
    expect(items.first).to_have_attribute("data-image-id", str(ids[50]))
    expect(page.locator("#strip a[aria-current=true]")).to_have_count(1)

    page.get_by_role("link", name="Show earlier images").click()
    expect(items).to_have_count(100)
    expect(items.first).to_have_attribute("data-image-id", str(ids[0]))

    items.last.scroll_into_view_if_needed()  # the last page arrives as the end of the list comes into view
    expect(items).to_have_count(120)

    page.locator(f"#strip-item-{ids[3]} a").click()
    expect(page.locator("#image-position")).to_have_text("4 of 120")
    expect(page.locator(f"#strip-item-{ids[3]} a")).to_have_attribute("aria-current", "true")
    assert page.url.endswith(f"?image={ids[3]}")


def serious_accessibility_problems(page) -> list[dict]:
    """Serious or critical axe-core violations on the current page (axe-core is vendored under tests/e2e)."""
    from pathlib import Path

    page.evaluate((Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_both_workspaces_pass_axe_without_serious_problems(page, live_server, batch, annotator, manager, reviewer):
    sign_in(page, live_server, annotator)
    open_annotate(page, live_server, batch)
    drag(page, (100, 80), (300, 240))
    expect_saved(page)
    problems = serious_accessibility_problems(page)
    assert problems == [], problems

    workflow.submit(actor=manager, batch=Batch.objects.get(pk=batch.pk))
    sign_in(page, live_server, reviewer)
    page.goto(live_server.url + reverse("review", args=[batch.project_id, batch.pk]))
    expect(page.locator("#stage-canvas rect.vbox")).to_have_count(1)
    problems = serious_accessibility_problems(page)
    assert problems == [], problems
