"""Fixtures of the browser tests."""

import pytest
from playwright.sync_api import expect


@pytest.fixture
def board_page(page):
    """The page, failing the test on any script error, CSP violation or answer of 500 and above."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    page.set_default_timeout(10_000)
    expect.set_options(timeout=10_000)
    page.set_viewport_size({"width": 1280, "height": 800})
    yield page
    assert not problems, problems
