"""What browsers may keep: signed-in pages private and revalidated, API answers never stored, a view's own
header kept, and signing out empties the browser's cache of the site."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from batches import workflow
from tests.api.helpers import ApiClient
from tests.factories import stored_image_rows

pytestmark = pytest.mark.django_db
SIGNED_IN_PAGE = "private, no-store"
NEVER_CACHE = "max-age=0, no-cache, no-store, must-revalidate, private"


def directives(response) -> set[str]:
    return {part.strip() for part in response["Cache-Control"].split(",")}


@pytest.fixture
def web(manager):
    client = Client()
    client.force_login(manager)
    return client


def test_a_signed_in_page_is_private_and_revalidated(web, project):
    for url in (reverse("project_list"), reverse("board", args=[project.pk]), reverse("password_change_done")):
        response = web.get(url)
        assert response.status_code == 200
        assert directives(response) == {"private", "no-store"}, url


def test_an_htmx_partial_is_private_and_revalidated_too(web):
    response = web.get(reverse("notifications_count"), HTTP_HX_REQUEST="true")  # the bell's count
    assert response.status_code == 200 and "<html" not in response.content.decode()
    assert response["Cache-Control"] == SIGNED_IN_PAGE


def test_a_signed_in_error_page_is_private(web):
    response = web.get(reverse("board", args=[999_999]))
    assert response.status_code == 404 and response["Cache-Control"] == SIGNED_IN_PAGE


def test_api_answers_are_not_stored(project, manager, web):
    assert directives(ApiClient(manager).get(f"/projects/{project.pk}")) == {"private", "no-store"}
    refused = ApiClient().get("/projects")
    assert refused.status_code == 401 and directives(refused) == {"private", "no-store"}
    # The browser's session on the API: the same.
    assert directives(web.get(f"/api/v1/projects/{project.pk}")) == {"private", "no-store"}


def test_a_views_own_header_is_kept(web, project, manager):
    assert web.get(reverse("api_tokens"))["Cache-Control"] == NEVER_CACHE
    batch = workflow.create_batch(
        actor=manager, project=project, name="B", images=stored_image_rows(project, 1, 64, 48)
    )
    image = batch.images.get()
    assert web.get(reverse("image_file", args=[image.pk]))["Cache-Control"] == "private, max-age=86400"
    assert web.get(reverse("image_thumbnail", args=[image.pk]))["Cache-Control"] == "private, max-age=86400"


def test_static_files_and_signed_out_pages_are_as_before(client, web):
    assert web.get("/static/css/app.css")["Cache-Control"] == "max-age=60, public"
    assert client.get(reverse("login"))["Cache-Control"] == NEVER_CACHE  # Django's login view: never cached
    signed_out = client.get(reverse("password_reset_done"))
    assert signed_out.status_code == 200 and not signed_out.has_header("Cache-Control")


def test_signing_out_clears_the_browsers_cache_of_the_site(web, superuser):
    response = web.post(reverse("logout"))
    assert response.status_code == 302 and response["Clear-Site-Data"] == '"cache"'
    admin = Client()
    admin.force_login(superuser)
    response = admin.post(reverse("admin:logout"))
    assert response["Clear-Site-Data"] == '"cache"'
    assert not Client().get(reverse("login")).has_header("Clear-Site-Data")
