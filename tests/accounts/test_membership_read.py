"""Membership.read: a person's permissions on a project, their own and their groups', in one query."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from guardian.shortcuts import assign_perm

from accounts.access import ANNOTATE, MANAGE, VIEW, Membership

pytestmark = pytest.mark.django_db


def test_own_and_group_permissions_are_read_together_in_one_query(
    project, outsider, manager, django_assert_num_queries
):
    team = Group.objects.create(name="team")
    outsider.groups.add(team)
    assign_perm(VIEW, team, project)
    assign_perm(ANNOTATE, outsider, project)
    with django_assert_num_queries(1):
        membership = Membership.read(outsider, project)
    assert {VIEW, ANNOTATE} <= membership.perms and MANAGE not in membership.perms
    assert Membership.read(manager, project).manages
    outsider.is_active = False
    assert Membership.read(outsider, project).perms == frozenset()
