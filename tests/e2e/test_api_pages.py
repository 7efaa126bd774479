"""The API's pages in a real browser: the token page (shown once, revocable) and the interactive reference,
which runs under the site's CSP and calls the API with the browser's session and CSRF token."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import ApiToken
from tests.e2e.board_helpers import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_token_is_made_shown_once_and_revoked(board_page, live_server, manager, project):
    page = board_page
    login(page, live_server, manager)
    page.goto(f"{live_server.url}/settings/tokens/", timeout=30_000)
    page.fill("#id_name", "pipeline")
    page.check("input[name=scope][value=write]")
    page.check(f"input[name=projects][value='{project.pk}']")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator(".token-secret").input_value()
    assert secret.startswith("bb_")
    assert ApiToken.objects.get(user=manager).digest != secret
    page.reload()
    expect(page.locator(".token-secret")).to_have_count(0)
    expect(page.locator("table.tokens")).to_contain_text("Street scenes")
    page.get_by_role("button", name="Revoke pipeline").click()
    expect(page.locator("table.tokens")).to_contain_text("Revoked")
    assert ApiToken.objects.get(user=manager).revoked_at is not None


def test_the_interactive_reference_calls_the_api_with_the_session(board_page, live_server, manager, project):
    page = board_page
    login(page, live_server, manager)
    page.goto(f"{live_server.url}/api/v1/docs", timeout=30_000)
    operation = page.locator(".opblock-summary", has_text="List your projects")
    operation.click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    answer = page.locator(".live-responses-table tbody .response-col_status").first
    expect(answer).to_have_text("200")
    expect(page.locator(".live-responses-table")).to_contain_text("Street scenes")
