"""API tokens: made on the settings page (shown once, stored hashed), scoped, limited to projects,
expiring, revocable (by the person and in the admin), and rate limited. The browser's session works too,
with its CSRF check."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken
from accounts.roles import grant_role
from accounts.tokens import create_token
from batches.models import Batch
from tests.api.helpers import API, ApiClient
from tests.factories import make_batch, make_project, make_user

pytestmark = pytest.mark.django_db
Status = Batch.Status


def test_the_settings_page_shows_a_new_token_once_and_keeps_only_its_digest(project, manager):
    client = Client()
    client.force_login(manager)
    response = client.post(
        reverse("api_tokens"),
        {"name": "pipeline", "scope": "write", "expires": "30", "projects": [project.pk]},
        follow=True,
    )
    assert response.status_code == 200 and response.redirect_chain
    secret = re.search(r'value="(bb_[\w-]+)"', response.content.decode()).group(1)
    token = ApiToken.objects.get(user=manager)
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(list(ApiToken.objects.values_list()))
    assert token.scope == "write" and list(token.projects.all()) == [project]
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    again = client.get(reverse("api_tokens")).content.decode()
    assert secret not in again and "pipeline" in again and token.prefix in again
    # It works, and the page then says when it was last used.
    assert ApiClient(secret=secret).get(f"/projects/{project.pk}").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_the_settings_page_refuses_a_bad_form_and_offers_only_the_persons_projects(manager, project):
    other = make_project("Not mine")
    client = Client()
    client.force_login(manager)
    page = client.get(reverse("api_tokens")).content.decode()
    assert "Street scenes" in page and "Not mine" not in page
    response = client.post(reverse("api_tokens"), {"name": "", "scope": "admin", "expires": "7"})
    assert response.status_code == 200 and not ApiToken.objects.exists()
    client.post(reverse("api_tokens"), {"name": "x", "scope": "read", "expires": "never", "projects": [other.pk]})
    assert not ApiToken.objects.exists()


def test_a_read_only_token_reads_but_changes_nothing(project, manager, annotator):
    batch = make_batch(project, manager, images=2)
    client = ApiClient(manager, scope="read")
    assert client.get(f"/projects/{project.pk}/batches").status_code == 200
    response = client.post(
        f"/projects/{project.pk}/batches/{batch.pk}/assign", {"version": batch.version, "assignees": [annotator.pk]}
    )
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert Batch.objects.get(pk=batch.pk).status == Status.UNASSIGNED


def test_a_token_limited_to_projects_sees_the_others_as_a_stranger_does(project, manager):
    elsewhere = make_project("Elsewhere")
    grant_role(elsewhere, manager, "manager")
    client = ApiClient(manager, projects=[project])
    assert client.get(f"/projects/{project.pk}").status_code == 200
    assert client.get(f"/projects/{elsewhere.pk}").status_code == 404
    assert client.get(f"/projects/{elsewhere.pk}/batches").json()["code"] == "not_found"
    assert [p["id"] for p in client.get("/projects").json()["items"]] == [project.pk]
    assert len(ApiClient(manager).get("/projects").json()["items"]) == 2


def test_expired_revoked_and_unknown_tokens_are_refused(project, manager):
    client = ApiClient(manager)
    url = f"/projects/{project.pk}"
    assert client.get(url).status_code == 200
    ApiToken.objects.filter(pk=client.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(url).status_code == 401
    ApiToken.objects.filter(pk=client.token.pk).update(expires_at=None)
    assert client.get(url).status_code == 200
    web = Client()
    web.force_login(manager)
    web.post(reverse("api_token_revoke", args=[client.token.pk]))
    response = client.get(url)
    assert (response.status_code, response.json()["code"]) == (401, "unauthenticated")
    assert ApiClient(secret="bb_" + "x" * 43).get(url).status_code == 401
    assert ApiClient(secret="not a token\x00").get(url).status_code == 401


def test_a_token_stops_when_its_person_is_deactivated_or_leaves(project, manager):
    client = ApiClient(manager)
    url = f"/projects/{project.pk}"
    other = make_user("other")
    grant_role(project, other, "manager")
    leaving = ApiClient(other)
    from accounts.roles import remove_member

    remove_member(project, other)
    assert leaving.get(url).status_code == 404
    manager.is_active = False
    manager.save()
    assert client.get(url).status_code == 401


def test_nobody_revokes_anothers_token(project, manager, annotator):
    theirs = create_token(user=annotator, name="theirs", scope="read", expires_in_days=None).token
    web = Client()
    web.force_login(manager)
    assert web.post(reverse("api_token_revoke", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_operators_list_and_revoke_tokens_in_the_admin(manager, superuser):
    token = create_token(user=manager, name="ci", scope="write", expires_in_days=None).token
    admin = Client()
    admin.force_login(superuser)
    listing = admin.get(reverse("admin:accounts_apitoken_changelist"))
    assert listing.status_code == 200 and "ci" in listing.content.decode()
    assert token.digest not in admin.get(reverse("admin:accounts_apitoken_change", args=[token.pk])).content.decode()
    admin.post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "revoke_tokens", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_the_browser_session_works_with_csrf_on_changes(project, manager, annotator):
    batch = make_batch(project, manager, images=2)
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    assert client.get(f"{API}/projects/{project.pk}/batches").status_code == 200
    url = f"{API}/projects/{project.pk}/batches/{batch.pk}/assign"
    body = {"version": batch.version, "assignees": [annotator.pk]}
    refused = client.post(url, body, content_type="application/json")
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    client.get(reverse("api_tokens"))  # a page sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    accepted = client.post(url, body, content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    assert accepted.status_code == 200


def test_the_rate_limit_answers_429_with_retry_after(project, manager, settings):
    settings.API_RATE_LIMIT = 3
    settings.API_RATE_WINDOW = 60
    client = ApiClient(manager)
    other = ApiClient(manager)
    url = f"/projects/{project.pk}"
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get(url)
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert other.get(url).status_code == 200  # per token


def test_the_docs_page_and_schema_are_served_without_outside_urls(client):
    page = client.get(f"{API}/docs")
    html = page.content.decode()
    assert page.status_code == 200
    assert "swagger-ui-bundle.js" in html
    assert "http://" not in html and "https://" not in html
    assert "'unsafe-inline'" not in page.get("Content-Security-Policy", "")
    schema = client.get(f"{API}/openapi.json").json()
    paths = schema["paths"]
    assert "/api/v1/projects/{project_pk}/batches/{pk}/assign" in paths
    assert len(paths) >= 30
    assigning = paths["/api/v1/projects/{project_pk}/batches/{pk}/assign"]["post"]
    assert {"409", "422", "429"} <= set(map(str, assigning["responses"]))
    assert "stale" in schema["components"]["schemas"]["Error"]["properties"]["code"]["enum"]


def test_the_settings_page_takes_hostile_project_ids(manager, project):
    client = Client()
    client.force_login(manager)
    for bad in [str(10**30), "-1", "\u0663", "x"]:
        response = client.post(
            reverse("api_tokens"), {"name": "x", "scope": "read", "expires": "30", "projects": [bad]}
        )
        assert response.status_code == 200
    assert not ApiToken.objects.exists()


def test_an_unknown_token_beside_a_signed_in_session_is_refused_not_ignored(project, manager):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(manager)
    browser.get(reverse("api_tokens"))  # a page sets the CSRF cookie
    csrf = browser.cookies["csrftoken"].value
    for secret in ["bb_unknown", "bb_" + "x" * 43]:
        read = browser.get(f"{API}/projects/{project.pk}", HTTP_AUTHORIZATION=f"Bearer {secret}")
        assert read.status_code == 401 and read.json()["code"] == "unauthenticated"
        change = browser.post(
            f"{API}/projects/{project.pk}/classes",
            {"name": "truck", "colour": "#123456"},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {secret}",
            HTTP_X_CSRFTOKEN=csrf,
        )
        assert change.status_code == 401
    assert not project.label_classes.filter(name="truck").exists()
    assert browser.get(f"{API}/projects/{project.pk}").status_code == 200  # the session alone still works


def test_a_project_read_gives_the_roles_the_project_list_gives(project, manager, superuser):
    for person in (manager, superuser):  # an operator sees every project, as a member of none
        api = ApiClient(person)
        [listed] = [p for p in api.get("/projects").json()["items"] if p["id"] == project.pk]
        assert api.get(f"/projects/{project.pk}").json()["roles"] == listed["roles"]
    assert ApiClient(superuser).get(f"/projects/{project.pk}").json()["roles"] == []
