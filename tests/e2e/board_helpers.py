"""Browser helpers for the board's tests: sign a user in, fill a board, wait for htmx, drag a card."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from batches import workflow
from batches.models import Batch
from tests.factories import annotate, stored_image_rows

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"


def login(page, live_server, user) -> None:
    """Copy a force-logged-in session cookie into the page's browser context."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}])


def open_board(page, live_server, project, query: str = "") -> None:
    """The board (`query`, e.g. "assignee=" for Everyone); the first page of a cold server may be slow."""
    page.goto(f"{live_server.url}/projects/{project.pk}/{'?' + query if query else ''}", timeout=30_000)
    page.wait_for_load_state("networkidle")
    # board.js has run once the live indicator is shown.
    page.locator("#board-live").wait_for(state="visible")


def card(page, batch):
    return page.locator(f'[data-batch-id="{batch.pk}"]')


def column(page, status: str):
    return page.locator(f'section[data-column="{status}"]')


def drag(page, source, target) -> None:
    """Drag with real mouse steps (SortableJS runs with forceFallback, so mouse events drive it)."""
    source.scroll_into_view_if_needed()
    box = source.locator(".card-meta").bounding_box()
    goal = target.bounding_box()
    page.mouse.move(box["x"] + 8, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] / 2 + 10, steps=5)
    page.mouse.move(goal["x"] + goal["width"] / 2, goal["y"] + 60, steps=15)
    page.mouse.move(goal["x"] + goal["width"] / 2, goal["y"] + 64, steps=3)
    page.mouse.up()


def settle(page) -> None:
    page.wait_for_load_state("networkidle")
    # A locator, not wait_for_function: a string predicate that is not yet true is polled with eval in the
    # page, which the app's CSP refuses (EvalError), so the wait failed whenever a request was still in flight.
    expect(page.locator(".htmx-request")).to_have_count(0)


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching `selector` has focus (keyboard only, as a person would)."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def run_axe(page) -> list[dict]:
    """Serious or critical axe-core violations on the current page (axe is vendored, injected here)."""
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5], "help": v["help"]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def demo_batches(project, manager, annotator, reviewer, images: int = 6) -> dict[str, Batch]:
    """A batch with real thumbnails in every column, moved there by the workflow."""
    label = project.label_classes.first()

    def new(name: str, n: int = images) -> Batch:
        return workflow.create_batch(actor=manager, project=project, name=name, images=stored_image_rows(project, n))

    def annotated(batch: Batch, n: int) -> Batch:
        for image in batch.images.order_by("pk")[:n]:
            annotate(image, label, author=annotator)
        batch.refresh_from_db()
        return batch

    dataset = workflow.assign(actor=manager, batch=new("Night-01"), assignees=[annotator]).assigned[0]
    dataset = workflow.submit(actor=annotator, batch=annotated(dataset, images))
    dataset = workflow.approve(actor=reviewer, batch=dataset)
    review = workflow.assign(actor=manager, batch=new("Street-02"), assignees=[annotator]).assigned[0]
    review = workflow.submit(actor=annotator, batch=annotated(review, images))
    annotating = workflow.assign(actor=manager, batch=new("Street-01"), assignees=[annotator]).assigned[0]
    annotating = annotated(annotating, images // 2)
    unassigned = new("Street-03", images + 4)
    return {"unassigned": unassigned, "annotating": annotating, "review": review, "dataset": dataset}
