"""Creating a project: whom the operator allows (PROJECT_CREATORS, accounts.create_project) may, and
becomes its only member, as manager; everyone else gets 403 and no button."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.roles import roles_of
from batches.models import Project
from tests.factories import make_user

pytestmark = pytest.mark.django_db
URL = reverse("project_create")


@pytest.fixture
def creator(db):
    """A user the operator allowed to create projects."""
    user = make_user("creator")
    user.user_permissions.add(Permission.objects.get_by_natural_key("create_project", "accounts", "user"))
    return user


def test_a_permitted_user_sees_the_form(client, creator):
    client.force_login(creator)
    response = client.get(URL)
    assert response.status_code == 200
    assert b"Create project" in response.content


def test_the_creator_becomes_its_manager_and_lands_on_its_board(client, creator):
    client.force_login(creator)
    response = client.post(URL, {"name": "Night drives", "description": "Dashcam, winter", "review_required": "on"})
    project = Project.objects.get(name="Night drives")
    assert response.status_code == 302
    assert response.url == reverse("board", args=[project.pk])
    assert roles_of(project, creator) == ["manager"]
    assert project.created_by == creator
    assert project.review_required is True
    assert project.allow_self_review is False


def test_unticked_boxes_turn_the_settings_off(client, creator):
    client.force_login(creator)
    client.post(URL, {"name": "Quick sort", "allow_self_review": "on"})
    project = Project.objects.get(name="Quick sort")
    assert project.review_required is False
    assert project.allow_self_review is True


def test_a_blank_name_is_refused_with_a_form_error(client, creator):
    client.force_login(creator)
    response = client.post(URL, {"name": "   ", "review_required": "on"})
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert not Project.objects.exists()


def test_anonymous_visitors_are_sent_to_login(client, db):
    response = client.post(URL, {"name": "Nope"})
    assert response.url.startswith(reverse("login"))
    assert not Project.objects.exists()


def test_a_new_project_shows_annotators_only_their_own_batches_unless_chosen_otherwise(client, creator):
    client.force_login(creator)
    client.post(URL, {"name": "Private", "review_required": "on"})
    client.post(URL, {"name": "Open", "review_required": "on", "annotator_visibility": "board"})
    assert Project.objects.get(name="Private").annotator_visibility == "assigned"
    assert Project.objects.get(name="Open").annotator_visibility == "board"


def test_without_the_permission_the_page_and_the_post_are_forbidden(client, outsider):
    client.force_login(outsider)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"name": "Sneaky", "review_required": "on"}).status_code == 403
    assert not Project.objects.exists()


def test_by_default_staff_users_may_create_projects(client, db):
    client.force_login(make_user("operator", is_staff=True))
    client.post(URL, {"name": "Staff project", "review_required": "on"})
    assert Project.objects.filter(name="Staff project").exists()


def test_with_permission_only_staff_need_the_permission_too_and_superusers_always_may(
    client, settings, creator, superuser
):
    settings.PROJECT_CREATORS = "permission"
    client.force_login(make_user("operator", is_staff=True))
    assert client.get(URL).status_code == 403
    for user in (creator, superuser):
        client.force_login(user)
        assert client.get(URL).status_code == 200


def test_with_everyone_any_signed_in_user_may(client, settings, outsider):
    settings.PROJECT_CREATORS = "everyone"
    client.force_login(outsider)
    client.post(URL, {"name": "Anyone's", "review_required": "on"})
    assert roles_of(Project.objects.get(name="Anyone's"), outsider) == ["manager"]


def test_the_form_is_checked_by_the_server_in_the_readers_language(client, creator):
    """No browser bubble in the browser's language (novalidate): the server's messages, in Persian digits."""
    creator.language = "fa"
    creator.save(update_fields=["language"])
    client.force_login(creator)
    assert b"novalidate" in client.get(URL).content
    response = client.post(URL, {"name": "Night drives", "stale_after_days": "-3"})
    [error] = response.context["form"].errors["stale_after_days"]
    assert "۰" in error and "0" not in error
    assert not Project.objects.exists()
