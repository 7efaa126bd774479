"""The projects page: the user's projects, their roles there and the column totals."""

import pytest
from django.urls import reverse

from accounts.roles import grant_role
from batches import workflow
from tests.factories import make_batch, make_project

pytestmark = pytest.mark.django_db
URL = reverse("project_list")


def test_a_member_sees_their_projects_with_roles_and_column_totals(client, project, manager, annotator):
    first = make_batch(project, manager, images=7)
    make_batch(project, manager, images=3)
    workflow.assign(actor=manager, batch=first, assignees=[annotator])
    client.force_login(manager)
    response = client.get(URL, {"all": "1"})
    assert response.status_code == 200
    [summary] = response.context["summaries"]
    assert summary.project == project
    assert summary.roles == ["manager"]
    counts = {column.status: (column.batches, column.images) for column in summary.columns}
    assert counts == {"unassigned": (1, 3), "annotating": (1, 7), "review": (0, 0), "dataset": (0, 0)}
    assert b"Street scenes" in response.content


def test_a_description_keeps_its_line_breaks_and_shows_markup_as_text(client, project, manager):
    project.description = "Street scenes of Tehran.\nBoxes around every <script>alert(1)</script> car."
    project.save(update_fields=["description"])
    client.force_login(manager)

    html = client.get(URL, {"all": "1"}).content.decode()

    assert (
        '<p class="project-description" dir="auto">Street scenes of Tehran.<br>'
        "Boxes around every &lt;script&gt;alert(1)&lt;/script&gt; car.</p>"
    ) in html


def test_it_lists_only_the_projects_the_user_belongs_to(client, project, annotator):
    make_project("Secret project")
    client.force_login(annotator)
    response = client.get(URL, {"all": "1"})
    assert [s.project.name for s in response.context["summaries"]] == ["Street scenes"]
    assert b"Secret project" not in response.content


def test_a_user_with_several_roles_sees_them_all(client, project, reviewer):
    grant_role(project, reviewer, "annotator")
    client.force_login(reviewer)
    [summary] = client.get(URL, {"all": "1"}).context["summaries"]
    assert summary.role_labels == ["Reviewer", "Annotator"]


def test_a_superuser_sees_every_project(client, project, superuser):
    make_project("Another")
    client.force_login(superuser)
    response = client.get(URL, {"all": "1"})
    assert [s.project.name for s in response.context["summaries"]] == ["Another", "Street scenes"]
    assert b"Superuser" in response.content


def test_an_outsider_sees_the_empty_state_without_a_create_button(client, project, outsider):
    client.force_login(outsider)
    response = client.get(URL, {"all": "1"})
    assert response.context["summaries"] == []
    assert "You're not in any project yet" in response.content.decode()
    assert reverse("project_create").encode() not in response.content


@pytest.mark.parametrize("staff", [True, False])
def test_new_project_shows_for_those_who_may_create_projects(client, project, manager, staff):
    manager.is_staff = staff
    manager.save()
    client.force_login(manager)
    assert (reverse("project_create").encode() in client.get(URL, {"all": "1"}).content) is staff


def test_it_costs_the_same_number_of_queries_whatever_the_number_of_projects(
    client, manager, django_assert_num_queries
):
    for n in range(6):
        other = make_project(f"Project {n}")
        grant_role(other, manager, "manager")
        make_batch(other, manager, images=2)
    client.force_login(manager)
    # session, user, projects, the user's roles in them, one grouped query of column totals, and whether
    # they may create projects (their own and their groups' site permissions)
    with django_assert_num_queries(7):
        response = client.get(URL, {"all": "1"})
    assert len(response.context["summaries"]) == 7


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get(URL, {"all": "1"})
    assert response.url.startswith(reverse("login"))


def test_an_annotator_who_sees_only_their_batches_gets_only_their_batches_counted(
    client, project, manager, annotator, annotator2
):
    project.annotator_visibility = "assigned"
    project.save()
    mine, theirs = make_batch(project, manager, images=7), make_batch(project, manager, images=3)
    make_batch(project, manager, images=5)
    workflow.assign(actor=manager, batch=mine, assignees=[annotator])
    workflow.assign(actor=manager, batch=theirs, assignees=[annotator2])

    def counts(user):
        client.force_login(user)
        [summary] = client.get(URL, {"all": "1"}).context["summaries"]
        return {column.status: (column.batches, column.images) for column in summary.columns}

    assert counts(annotator) == {"unassigned": (0, 0), "annotating": (1, 7), "review": (0, 0), "dataset": (0, 0)}
    assert counts(manager) == {"unassigned": (1, 5), "annotating": (2, 10), "review": (0, 0), "dataset": (0, 0)}
