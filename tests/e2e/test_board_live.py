"""Partial live updates in real Chromium (#14): a move on one board reaches another through the poll as
the moved card alone; the cards nobody touched keep their DOM nodes."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from batches.models import Batch
from tests.e2e.board_helpers import card, column, drag, login, open_board
from tests.factories import batch_in, make_batch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MARK = "el => { el.dataset.untouched = 'yes'; }"  # a property of this DOM node only: a re-render drops it


def test_a_move_on_one_board_patches_the_other_without_re_rendering_it(
    board_page, browser, live_server, project, manager, annotator
):
    moved = make_batch(project, manager, images=3, name="Moved")
    still = make_batch(project, manager, images=2, name="Still")
    busy = batch_in(Batch.Status.ANNOTATING, project, manager=manager, annotator=annotator, images=2, name="Busy")
    watcher = board_page
    login(watcher, live_server, manager)
    open_board(watcher, live_server, project)
    card(watcher, still).evaluate(MARK)
    card(watcher, busy).evaluate(MARK)
    polls = []
    watcher.on("request", lambda r: polls.append(r.url) if "/board/version" in r.url else None)

    mover_context = browser.new_context()
    mover = mover_context.new_page()
    mover.set_viewport_size({"width": 1280, "height": 800})
    login(mover, live_server, manager)
    open_board(mover, live_server, project)
    card(mover, still).evaluate(MARK)
    drag(mover, card(mover, moved), column(mover, "annotating").locator(".column-cards"))
    dialog = mover.locator("dialog[open]")
    dialog.get_by_label("annotator", exact=True).check()
    dialog.get_by_role("button", name="Assign").click()
    expect(column(mover, "annotating").locator(f'[data-batch-id="{moved.pk}"]')).to_be_visible()
    # The mover's own answer was partial too: its untouched card is the same node.
    expect(card(mover, still)).to_have_attribute("data-untouched", "yes")
    expect(column(mover, "unassigned").locator('[data-count="batches"]')).to_have_text("1")

    expect(column(watcher, "annotating").locator(f'[data-batch-id="{moved.pk}"]')).to_be_visible(timeout=12_000)
    expect(column(watcher, "unassigned").locator(f'[data-batch-id="{moved.pk}"]')).to_have_count(0)
    expect(column(watcher, "unassigned").locator('[data-count="batches"]')).to_have_text("1")
    expect(column(watcher, "annotating").locator('[data-count="batches"]')).to_have_text("2")
    expect(card(watcher, still)).to_have_attribute("data-untouched", "yes")
    expect(card(watcher, busy)).to_have_attribute("data-untouched", "yes")
    assert any("cards=" in url for url in polls)  # the poll said which cards the page shows
    mover_context.close()
