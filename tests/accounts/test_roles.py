"""Project roles: bundles of object permissions, granted, combined and taken away."""

from __future__ import annotations

import pytest
from django.http import Http404
from guardian.shortcuts import get_perms

from accounts.roles import (
    RoleError,
    grant_role,
    members_with_roles,
    remove_member,
    revoke_role,
    roles_of,
    users_with_role,
)
from batches.access import get_project_for
from batches.models import Project
from tests.factories import make_project, make_user


def perms(user, project: Project) -> set[str]:
    return set(get_perms(user, project))


@pytest.mark.parametrize(
    ("role", "permission"),
    [("manager", "manage_project"), ("reviewer", "review_project"), ("annotator", "annotate_project")],
)
def test_granting_a_role_gives_its_permission_and_membership(project, role, permission):
    user = make_user("kim")

    grant_role(project, user, role)

    assert perms(user, project) == {"view_project", permission}
    assert roles_of(project, user) == [role]


def test_a_role_in_one_project_gives_nothing_in_another(project):
    user = make_user("kim")
    other = make_project("Other")

    grant_role(project, user, "manager")

    assert perms(user, other) == set()
    with pytest.raises(Http404):
        get_project_for(user, other.pk)


def test_granting_a_role_twice_is_harmless(project):
    user = make_user("kim")

    grant_role(project, user, "reviewer")
    grant_role(project, user, "reviewer")

    assert roles_of(project, user) == ["reviewer"]


def test_an_unknown_role_is_refused_and_grants_nothing(project):
    user = make_user("kim")

    with pytest.raises(RoleError, match="“owner” is not a role"):
        grant_role(project, user, "owner")

    assert perms(user, project) == set()


def test_a_deactivated_user_cannot_be_given_a_role(project):
    user = make_user("kim", is_active=False)

    with pytest.raises(RoleError, match="deactivated"):
        grant_role(project, user, "annotator")

    assert perms(user, project) == set()


def test_a_user_may_hold_several_roles_listed_in_a_fixed_order(project):
    user = make_user("kim")

    grant_role(project, user, "annotator")
    grant_role(project, user, "manager")
    grant_role(project, user, "reviewer")

    assert roles_of(project, user) == ["manager", "reviewer", "annotator"]
    assert perms(user, project) == {"view_project", "manage_project", "review_project", "annotate_project"}


def test_revoking_one_of_several_roles_keeps_the_others_and_the_membership(project):
    user = make_user("kim")
    grant_role(project, user, "annotator")
    grant_role(project, user, "reviewer")

    revoke_role(project, user, "annotator")

    assert roles_of(project, user) == ["reviewer"]
    assert "view_project" in perms(user, project)
    assert get_project_for(user, project.pk).project == project


def test_revoking_the_last_role_ends_the_membership(project):
    user = make_user("kim")
    grant_role(project, user, "annotator")

    revoke_role(project, user, "annotator")

    assert perms(user, project) == set()
    with pytest.raises(Http404):
        get_project_for(user, project.pk)


def test_revoking_a_role_the_user_does_not_hold_changes_nothing(project):
    user = make_user("kim")
    grant_role(project, user, "reviewer")

    revoke_role(project, user, "manager")

    assert perms(user, project) == {"view_project", "review_project"}


def test_revoking_an_unknown_role_is_refused(project, reviewer):
    with pytest.raises(RoleError):
        revoke_role(project, reviewer, "owner")

    assert roles_of(project, reviewer) == ["reviewer"]


def test_removing_a_member_takes_every_role_and_the_membership(project):
    user = make_user("kim")
    grant_role(project, user, "manager")
    grant_role(project, user, "annotator")

    remove_member(project, user)

    assert perms(user, project) == set()


def test_a_superuser_holds_only_the_roles_given_to_them_in_the_member_list(project, superuser):
    assert roles_of(project, superuser) == []

    grant_role(project, superuser, "reviewer")

    assert roles_of(project, superuser) == ["reviewer"]


def test_members_are_listed_with_their_roles_by_name_whatever_its_case(project, superuser):
    for name, roles in [("Zoe", ["annotator"]), ("adam", ["reviewer", "annotator"]), ("Bea", ["manager"])]:
        user = make_user(name)
        for role in roles:
            grant_role(project, user, role)
    outsider = make_user("carl")
    grant_role(make_project("Other"), outsider, "manager")

    members = [(user.username, roles) for user, roles in members_with_roles(project)]

    assert members == [("adam", ["reviewer", "annotator"]), ("Bea", ["manager"]), ("Zoe", ["annotator"])]


def test_a_member_who_lost_every_role_is_no_longer_listed(project):
    user = make_user("kim")
    grant_role(project, user, "annotator")
    revoke_role(project, user, "annotator")

    assert members_with_roles(project) == []


@pytest.mark.parametrize("members", [2, 20])
def test_the_member_list_costs_one_query_whatever_its_length(project, members, django_assert_num_queries):
    for i in range(members):
        grant_role(project, make_user(f"member{i:02d}"), "annotator" if i % 2 else "reviewer")

    # SELECT the project's user permission rows joined with their permission and user (the content
    # type is cached).
    with django_assert_num_queries(1):
        listed = members_with_roles(project)

    assert len(listed) == members


def test_users_with_a_role_are_exactly_those_holding_it(project, manager, annotator, annotator2, reviewer):
    both = make_user("both")
    grant_role(project, both, "reviewer")
    grant_role(project, both, "annotator")

    assert set(users_with_role(project, "annotator")) == {annotator, annotator2, both}
    assert set(users_with_role(project, "reviewer")) == {reviewer, both}
    assert set(users_with_role(project, "manager")) == {manager}
