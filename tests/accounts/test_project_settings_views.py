"""Project settings: managers edit the name, description and the review rules."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def url(project):
    return reverse("project_settings", args=[project.pk])


def test_a_manager_sees_the_current_settings(client, manager, url):
    client.force_login(manager)
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["form"].instance.name == "Street scenes"
    assert b"Project settings" in response.content


def test_a_manager_saves_new_settings(client, project, manager, url):
    client.force_login(manager)
    response = client.post(url, {"name": "Street scenes 2", "description": "Second pass", "allow_self_review": "on"})
    assert response.url == url
    project.refresh_from_db()
    assert (project.name, project.description) == ("Street scenes 2", "Second pass")
    assert (project.review_required, project.allow_self_review) == (False, True)
    assert "Settings saved." in client.get(url).content.decode()


def test_a_blank_name_is_refused_and_nothing_changes(client, project, manager, url):
    client.force_login(manager)
    response = client.post(url, {"name": "", "review_required": "on"})
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == ["This field is required."]
    project.refresh_from_db()
    assert project.name == "Street scenes"


@pytest.mark.parametrize("who", ["annotator", "reviewer"])
def test_other_members_are_forbidden(client, project, url, who, request):
    client.force_login(request.getfixturevalue(who))
    assert client.get(url).status_code == 403
    assert client.post(url, {"name": "Hijacked"}).status_code == 403
    project.refresh_from_db()
    assert project.name == "Street scenes"


def test_an_outsider_learns_nothing(client, outsider, url):
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "Hijacked"}).status_code == 404


def test_a_missing_project_is_404(client, manager):
    client.force_login(manager)
    assert client.get(reverse("project_settings", args=[999999])).status_code == 404


def test_anonymous_visitors_are_sent_to_login(client, url):
    assert client.get(url).url.startswith(reverse("login"))


def test_a_manager_chooses_what_annotators_see(client, project, manager, url):
    client.force_login(manager)
    assert "Only the batches assigned to them" in client.get(url).content.decode()

    client.post(url, {"name": "Street scenes", "review_required": "on", "annotator_visibility": "assigned"})
    project.refresh_from_db()
    assert project.annotator_visibility == "assigned"

    client.post(url, {"name": "Street scenes", "review_required": "on"})
    project.refresh_from_db()
    assert project.annotator_visibility == "assigned"

    response = client.post(url, {"name": "Street scenes", "annotator_visibility": "everyone"})
    assert "annotator_visibility" in response.context["form"].errors
