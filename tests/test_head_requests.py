"""HEAD is answered as GET, without the body (HTTP asks it of every GET; uptime monitors and link checkers send
it): the site's pages, their partials and the API. A page that refuses a non-member refuses HEAD alike."""

from __future__ import annotations

import pytest
from django.urls import reverse

from batches.models import Image
from tests.api.helpers import API, ApiClient
from tests.factories import make_batch, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(project, manager):
    return make_batch(project, manager, images=2, name="Street 1")


def page_urls(project, batch) -> list[str]:
    return [
        reverse("project_list"),
        reverse("board", args=[project.pk]),
        reverse("board_version", args=[project.pk]),
        reverse("batch_detail", args=[project.pk, batch.pk]),
        reverse("my_work"),
        reverse("batch_viewer", args=[project.pk, batch.pk, Image.objects.filter(batch=batch).order_by("pk")[0].pk]),
    ]


def test_every_get_page_answers_head_as_get_without_a_body(client, project, manager, batch):
    client.force_login(manager)
    for url in page_urls(project, batch):
        got, head = client.get(url), client.head(url)
        assert (url, head.status_code) == (url, got.status_code) and got.status_code == 200
        assert head["Content-Type"] == got["Content-Type"], url
        assert head.content == b"", url


def test_head_from_a_non_member_learns_what_get_does(client, project, manager, batch):
    client.force_login(make_user("outsider"))
    for url in page_urls(project, batch)[1:4]:
        assert client.head(url).status_code == client.get(url).status_code == 404, url


def test_the_api_answers_head_as_get(project, manager, batch):
    api = ApiClient(manager)
    path = f"/projects/{project.pk}/batches"
    got = api.get(path)
    head = api.client.head(API + path, **api._headers({}))
    assert (
        (head.status_code, head["Content-Type"])
        == (got.status_code, got["Content-Type"])
        == (
            200,
            "application/json; charset=utf-8",
        )
    )
    assert head.content == b""
    assert ApiClient().client.head(API + path).status_code == 401  # no token: refused as GET is


def test_head_on_an_api_path_that_takes_no_get_is_refused_in_json(project, manager):
    api = ApiClient(manager)
    refused = api.client.head(API + f"/projects/{project.pk}/batches/0/reset", **api._headers({}))
    assert refused.status_code == 405
    assert refused["Allow"] == "POST"
