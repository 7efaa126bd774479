"""Error pages: the app's page with a way back for people, JSON for JSON clients, 503 without a database."""

from __future__ import annotations

import re

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client
from django.urls import reverse

from tests.binaboard.failing_urls import FAILURE_MESSAGE

pytestmark = pytest.mark.urls("tests.binaboard.failing_urls")

CRASH = "/test-failures/crash/"


@pytest.fixture
def anyone(db):
    return Client(raise_request_exception=False)


def assert_is_our_page(response, status: int, heading: str) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert f"<h1>{heading}</h1>" in html
    assert 'class="brand" href="/"' in html  # the app's header
    assert "Back to your projects" in html  # and a way back
    return html


def test_an_unknown_page_is_our_404_with_a_way_back_and_no_detail(client, manager):
    client.force_login(manager)
    html = assert_is_our_page(client.get("/no-such-page/"), 404, "Page not found")
    assert "manager" in html  # the signed-in header, with the user menu
    assert "not shared with you" in html


def test_a_member_without_the_permission_gets_our_403_with_the_reason(client, project, annotator):
    client.force_login(annotator)
    html = assert_is_our_page(client.get(reverse("upload", args=[project.pk])), 403, "You cannot do that")
    assert "You do not have permission to do that in this project." in html


def test_a_request_for_an_unknown_host_gets_our_400(anyone):
    assert_is_our_page(anyone.get("/login/", HTTP_HOST="evil.example"), 400, "That request did not make sense")


def test_a_crash_gets_our_500_with_the_request_id_to_report(anyone):
    response = anyone.get(CRASH)
    html = assert_is_our_page(response, 500, "Something went wrong")
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    assert f"<code>{response['X-Request-ID']}</code>" in html
    assert FAILURE_MESSAGE not in html  # no detail for the public


def test_the_500_page_still_answers_when_the_static_files_were_never_collected(anyone, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "empty"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    response = anyone.get(CRASH)
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.content


def test_a_database_that_cannot_be_reached_gets_a_503_with_retry_after(anyone):
    response = anyone.get("/test-failures/database/")
    html = assert_is_our_page(response, 503, "BinaBoard is briefly unavailable")
    assert response["Retry-After"] == "30"
    assert "10.0.0.9" not in html


def test_a_signed_in_page_gets_the_503_when_the_connection_fails(client, manager, monkeypatch):
    client.force_login(manager)
    client.raise_request_exception = False

    def refuse(self):
        raise OperationalError("connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(BaseDatabaseWrapper, "ensure_connection", refuse)
        response = client.get(reverse("project_list"))
    assert response.status_code == 503
    assert b"cannot reach its database" in response.content


@pytest.mark.parametrize(
    ("url", "status", "kind"),
    [
        ("/no-such-page/", 404, "not_found"),
        (CRASH, 500, "server_error"),
        ("/test-failures/database/", 503, "unavailable"),
    ],
)
def test_a_client_that_asks_for_json_gets_json_errors(anyone, url, status, kind):
    response = anyone.get(url, HTTP_ACCEPT="application/json")
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["kind"] == kind
    assert body["error"]
    assert body["request_id"] == response["X-Request-ID"]


def test_a_browser_asking_for_anything_gets_html(anyone):
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert anyone.get("/no-such-page/", HTTP_ACCEPT=accept)["Content-Type"].startswith("text/html")
    assert anyone.get("/no-such-page/", HTTP_ACCEPT="*/*")["Content-Type"].startswith("text/html")


def test_a_json_endpoint_answers_a_csrf_refusal_in_json_whatever_it_accepts(project, manager):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(manager)
    url = reverse("annotate_save", args=[project.pk, 1, 1])
    response = browser.post(url, data="{}", content_type="application/json")
    assert response.status_code == 403
    assert response.json()["kind"] == "csrf"
    page = browser.post(reverse("project_create"), {"name": "x"})
    assert page.status_code == 403
    assert b"This form has expired" in page.content
