"""Creating a project: any signed-in user may, and becomes its only member, as manager."""

import pytest
from django.urls import reverse

from accounts.roles import roles_of
from batches.models import Project

pytestmark = pytest.mark.django_db
URL = reverse("project_create")


def test_any_signed_in_user_sees_the_form(client, outsider):
    client.force_login(outsider)
    response = client.get(URL)
    assert response.status_code == 200
    assert b"Create project" in response.content


def test_the_creator_becomes_its_manager_and_lands_on_its_board(client, outsider):
    client.force_login(outsider)
    response = client.post(URL, {"name": "Night drives", "description": "Dashcam, winter", "review_required": "on"})
    project = Project.objects.get(name="Night drives")
    assert response.status_code == 302
    assert response.url == reverse("board", args=[project.pk])
    assert roles_of(project, outsider) == ["manager"]
    assert project.created_by == outsider
    assert project.review_required is True
    assert project.allow_self_review is False


def test_unticked_boxes_turn_the_settings_off(client, outsider):
    client.force_login(outsider)
    client.post(URL, {"name": "Quick sort", "allow_self_review": "on"})
    project = Project.objects.get(name="Quick sort")
    assert project.review_required is False
    assert project.allow_self_review is True


def test_a_blank_name_is_refused_with_a_form_error(client, outsider):
    client.force_login(outsider)
    response = client.post(URL, {"name": "   ", "review_required": "on"})
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert not Project.objects.exists()


def test_anonymous_visitors_are_sent_to_login(client, db):
    response = client.post(URL, {"name": "Nope"})
    assert response.url.startswith(reverse("login"))
    assert not Project.objects.exists()


def test_a_new_project_shows_annotators_only_their_own_batches_unless_chosen_otherwise(client, outsider):
    client.force_login(outsider)
    client.post(URL, {"name": "Private", "review_required": "on"})
    client.post(URL, {"name": "Open", "review_required": "on", "annotator_visibility": "board"})
    assert Project.objects.get(name="Private").annotator_visibility == "assigned"
    assert Project.objects.get(name="Open").annotator_visibility == "board"
