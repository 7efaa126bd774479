"""Membership rules beyond the pages: a project never loses its last manager, even to two managers at once."""

import threading

import pytest
from django.db import connection

from accounts.membership import MembershipError, create_project, remove_from_project, set_roles
from accounts.roles import grant_role, roles_of, users_with_role
from tests.factories import make_user


@pytest.mark.django_db
def test_a_new_project_has_its_creator_as_only_member_and_manager(outsider):
    project = create_project(creator=outsider, name="Fresh", description="", review_required=True)
    assert roles_of(project, outsider) == ["manager"]
    assert list(users_with_role(project, "manager")) == [outsider]


@pytest.mark.django_db
def test_the_last_manager_can_neither_step_down_nor_be_removed(project, manager):
    with pytest.raises(MembershipError, match="only manager"):
        set_roles(project=project, user=manager, roles=["annotator"])
    with pytest.raises(MembershipError, match="only manager"):
        remove_from_project(project=project, user=manager)
    assert roles_of(project, manager) == ["manager"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_managers_demoting_each_other_at_once_leave_one_manager(project, manager):
    other = make_user("other")
    grant_role(project, other, "manager")
    barrier = threading.Barrier(2)
    outcomes = []

    def demote(actor_target):
        try:
            barrier.wait()
            set_roles(project=project, user=actor_target, roles=["annotator"])
            outcomes.append("done")
        except MembershipError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=demote, args=(user,)) for user in (manager, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["done", "refused"]
    assert users_with_role(project, "manager").count() == 1
