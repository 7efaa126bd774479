"""What a QA pass of the annotate and review workspaces found, in real Chromium, in both languages and widths."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_annotate import batch, open_annotate, sign_in  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OUTSIDE_THE_PANEL = """() => {
    const panel = document.querySelector('details.help');
    const box = panel.getBoundingClientRect();
    return [...panel.querySelectorAll('dt, dd')]
        .filter(e => { const r = e.getBoundingClientRect(); return r.left < box.left - 1 || r.right > box.right + 1
                       || e.scrollWidth > e.clientWidth + 1; })
        .map(e => e.textContent.trim());
}"""


@pytest.mark.parametrize("language", ["en", "fa"])
@pytest.mark.parametrize("width", [1280, 390])
def test_the_keyboard_help_stays_inside_its_panel(board_page, live_server, batch, annotator, language, width):  # noqa: F811
    annotator.language = language
    annotator.save(update_fields=["language"])
    board_page.set_viewport_size({"width": width, "height": 844 if width < 600 else 800})
    sign_in(board_page, live_server, annotator)
    open_annotate(board_page, live_server, batch)
    board_page.locator("details.help summary").click()
    expect(board_page.locator("details.help dl.keys")).to_be_visible()
    assert board_page.evaluate(OUTSIDE_THE_PANEL) == []
