"""The API follows the site's membership policy: where people join only by invitation, a manager cannot add them."""

from __future__ import annotations

import pytest

from accounts.roles import roles_of
from tests.api.helpers import ApiClient
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_a_manager_cannot_add_an_account_directly_where_people_join_by_invitation(project, manager, settings):
    settings.MEMBERS_DIRECT_ADD = False
    stranger = make_user("stranger")
    answer = ApiClient(manager).post(f"/projects/{project.pk}/members", {"who": "stranger", "roles": ["manager"]})
    assert answer.status_code == 403
    assert answer.json()["code"] == "forbidden"
    assert answer.json()["message"] == "Members join by invitation here: invite them instead."
    assert roles_of(project, stranger) == []


def test_where_operators_allow_it_the_manager_adds_directly(project, manager, settings):
    settings.MEMBERS_DIRECT_ADD = True
    stranger = make_user("stranger")
    answer = ApiClient(manager).post(f"/projects/{project.pk}/members", {"who": "stranger", "roles": ["annotator"]})
    assert answer.status_code == 202
    assert roles_of(project, stranger) == ["annotator"]


def test_the_refusal_speaks_persian(project, manager, settings):
    settings.MEMBERS_DIRECT_ADD = False
    manager.language = "fa"
    manager.save(update_fields=["language"])
    make_user("stranger")
    answer = ApiClient(manager).post(
        f"/projects/{project.pk}/members", {"who": "stranger", "roles": ["annotator"]}, HTTP_ACCEPT_LANGUAGE="fa"
    )
    assert answer.status_code == 403
    assert "دعوت" in answer.json()["message"]
