"""The bell in real headless Chromium: a manager assigns in one browser, the annotator's bell shows it in another."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.board_helpers import column, login, open_board
from tests.factories import make_batch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_assignment_in_one_browser_rings_the_annotators_bell_in_another(
    board_page, browser, live_server, project, manager, annotator
):
    batch = make_batch(project, manager, images=3, name="Harbour 7")
    watcher = board_page
    login(watcher, live_server, annotator)
    open_board(watcher, live_server, project, query="assignee=")
    bell = watcher.locator("[data-bell-count]")
    expect(bell).to_be_hidden()

    mover_context = browser.new_context()
    mover = mover_context.new_page()
    login(mover, live_server, manager)
    open_board(mover, live_server, project)
    mover.locator(f"#card-{batch.pk}-moves").click()
    mover.locator(f"#card-{batch.pk} [data-move=assign]").click()
    mover.locator("dialog[open]").get_by_label("annotator", exact=True).check()
    mover.locator("dialog[open]").get_by_role("button", name="Assign").click()
    expect(column(mover, "annotating").locator(f'[data-batch-id="{batch.pk}"]')).to_be_visible()
    expect(mover.locator("[data-bell-count]")).to_be_hidden()  # never for the one who moved
    mover_context.close()

    # The board's own poll brings the count: no reload, no polling of the bell's own.
    expect(bell).to_be_visible(timeout=12_000)
    expect(bell.locator("[data-bell-number]")).to_have_text("1")

    watcher.locator(".bell-link").click()
    watcher.get_by_role("button", name="manager assigned you “Harbour 7” in Street scenes").click()
    expect(watcher).to_have_url(f"{live_server.url}/projects/{project.pk}/batches/{batch.pk}/")
    expect(watcher.locator("[data-bell-count]")).to_be_hidden()
