"""After signing out on a shared computer, the back button should show no board.

Playwright starts Chromium with its back-forward cache off (--disable-back-forward-cache), and with it off
going back re-asks the server (the page varies on the cookie that signing out changed) whatever the
headers; so this test starts its own Chromium with the cache on, as a person's browser has it.

Chromium 156 restored the board from its back-forward cache when the page was `private, no-cache`, although
the sign-out answer sends Clear-Site-Data: "cache" (tried on the redirect and on the sign-in page after it,
and with "*"). Signed-in pages are `private, no-store`: Chromium evicts no-store pages from that cache when
the cookies change, as signing out does."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from batches import workflow
from tests.e2e.board_helpers import login, open_board
from tests.factories import stored_image_rows

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page_with_back_forward_cache(browser_type, browser_type_launch_args):
    browser = browser_type.launch(**browser_type_launch_args, ignore_default_args=["--disable-back-forward-cache"])
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.set_default_timeout(10_000)
    yield page
    browser.close()


def test_going_back_after_signing_out_shows_the_sign_in_page_not_the_board(
    page_with_back_forward_cache, live_server, project, manager
):
    page = page_with_back_forward_cache
    workflow.create_batch(actor=manager, project=project, name="Secret-batch", images=stored_image_rows(project, 1))
    login(page, live_server, manager)
    open_board(page, live_server, project)
    expect(page.get_by_text("Secret-batch")).to_be_visible()

    page.locator("details.user-menu summary").click()
    page.locator("details.user-menu form[action$='/logout/'] button").click()
    page.wait_for_url(f"**{reverse('login')}")

    # A page restored from the back-forward cache fires no load event: wait only for the navigation.
    page.go_back(wait_until="commit")
    expect(page.locator("input[name=username]")).to_be_visible()
    expect(page.get_by_text("Secret-batch")).to_have_count(0)
    assert reverse("login") in page.url
