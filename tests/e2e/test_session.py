"""The session ends while a page is open: nothing is lost, the page says so, and signing in again elsewhere is enough."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from playwright.sync_api import expect

from batches import workflow
from batches.models import Annotation
from tests.e2e.board_helpers import open_board
from tests.e2e.test_annotate import drag, expect_saved, open_annotate, sign_in
from tests.factories import stored_image_rows

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIGNED_OUT = "You are signed out"


@pytest.fixture
def batch(project, manager, annotator):
    made = workflow.create_batch(
        actor=manager, project=project, name="Street-01", images=stored_image_rows(project, 2, 640, 480)
    )
    return workflow.assign(actor=manager, batch=made, assignees=[annotator]).assigned[0]


def expire_session() -> None:
    Session.objects.all().delete()


def sign_in_again_in_another_tab(page, live_server, username: str):
    """What a person does from the notice's link: the login form in a new page of the same browser."""
    other = page.context.new_page()
    other.goto(live_server.url + reverse("login"))
    other.fill("input[name=username]", username)
    other.fill("input[name=password]", "correct-horse-battery")
    other.locator("form button[type=submit], form input[type=submit]").first.click()
    other.wait_for_load_state("networkidle")
    assert reverse("login") not in other.url
    other.close()


def test_a_save_after_the_session_ended_says_signed_out_and_retry_stores_it_after_signing_in_again(
    page, live_server, batch, annotator
):
    sign_in(page, live_server, annotator)
    open_annotate(page, live_server, batch)
    expire_session()

    drag(page, (100, 80), (300, 240))
    expect(page.locator("#save-status")).to_contain_text(SIGNED_OUT)
    expect(page.locator("#session-notice a")).to_have_attribute("target", "_blank")
    expect(page.locator("#overlay rect.box")).to_have_count(1)  # the change stays on screen
    assert not Annotation.objects.filter(image__batch=batch).exists()

    sign_in_again_in_another_tab(page, live_server, annotator.username)
    page.locator("#retry-save").click()  # the token changed with the new sign-in: the page fetches it

    expect_saved(page)
    assert Annotation.objects.filter(image__batch=batch).count() == 1


def test_an_unsaved_box_survives_a_reload_and_is_saved_then(page, live_server, batch, annotator):
    sign_in(page, live_server, annotator)
    open_annotate(page, live_server, batch)
    expire_session()
    drag(page, (100, 80), (300, 240))
    expect(page.locator("#save-status")).to_contain_text(SIGNED_OUT)

    sign_in_again_in_another_tab(page, live_server, annotator.username)
    page.reload()

    expect(page.locator(".toast")).to_contain_text("Your unsaved change to this image was kept")
    expect_saved(page)
    expect(page.locator("#overlay rect.box")).to_have_count(1)
    assert Annotation.objects.filter(image__batch=batch).count() == 1
    page.reload()  # confirmed by the server: nothing is restored a second time
    expect(page.locator("#overlay rect.box")).to_have_count(1)
    expect(page.locator(".toast")).to_have_count(0)


def test_the_board_says_signed_out_when_a_refresh_finds_the_session_gone(page, live_server, project, manager):
    sign_in(page, live_server, manager)
    open_board(page, live_server, project)
    expire_session()

    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")  # the poll, without waiting for it
    expect(page.locator("#session-notice")).to_contain_text(SIGNED_OUT)

    sign_in_again_in_another_tab(page, live_server, manager.username)
    page.evaluate("window.dispatchEvent(new Event('focus'))")
    expect(page.locator("#session-notice")).to_have_count(0)
    expect(page.locator(".toast")).to_contain_text("You are signed in again.")
