"""The Members page: every member sees who is in; managers add, change roles and remove."""

import json
import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts import views
from accounts.roles import grant_role, members_with_roles, roles_of
from tests.factories import make_batch, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _direct_add(settings):
    # These tests add existing accounts directly, which operators allow with MEMBERS_DIRECT_ADD (issue 18);
    # invitations, the default, are tested in test_invitations.py.
    settings.MEMBERS_DIRECT_ADD = True


@pytest.fixture
def url(project):
    return reverse("members", args=[project.pk])


@pytest.fixture
def add_url(project):
    return reverse("members", args=[project.pk])


def roles_url(project, user):
    return reverse("member_roles", args=[project.pk, user.pk])


def remove_url(project, user):
    return reverse("member_remove", args=[project.pk, user.pk])


# --- seeing the list ---


@pytest.mark.parametrize("who", ["manager", "annotator", "reviewer"])
def test_every_member_sees_the_members_and_their_roles(client, url, who, request, manager, annotator, reviewer):
    client.force_login(request.getfixturevalue(who))
    response = client.get(url)
    assert response.status_code == 200
    rows = {row["user"].username: row["roles"] for row in response.context["rows"]}
    assert rows == {"annotator": ["annotator"], "manager": ["manager"], "reviewer": ["reviewer"]}
    assert b"annotator@example.com" in response.content


def test_only_managers_see_the_forms(client, url, manager, annotator):
    client.force_login(annotator)
    assert b"Invite a member" not in client.get(url).content
    client.force_login(manager)
    content = client.get(url).content
    assert b"Invite a member" in content
    assert b"Save roles" in content


def test_an_outsider_learns_nothing(client, url, outsider, manager):
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_anonymous_visitors_are_sent_to_login(client, url):
    assert client.get(url).url.startswith(reverse("login"))


def test_the_list_costs_the_same_queries_whatever_the_member_count(
    client, project, url, manager, django_assert_num_queries
):
    for n in range(8):
        grant_role(project, make_user(f"member{n}"), "annotator")
    client.force_login(manager)
    # session, user, project, the viewer's permissions (one UNION), every member with their perms, the
    # pending invitations (a manager's page lists them)
    with django_assert_num_queries(6):
        response = client.get(url)
    assert len(response.context["rows"]) == 9


# --- adding ---


def answer(who: str, roles: str = "Annotator") -> str:
    """What the page says after any add, whether or not the account exists."""
    noun = "roles" if " and " in roles else "role"
    return f"If an account with the name or address “{who}” exists, it now has the {noun} {roles} in this project."


def said(client, url) -> list[str]:
    return [str(message) for message in client.get(url).context["messages"]]


def test_a_manager_adds_a_user_by_username_with_several_roles(client, project, url, add_url, manager):
    alice = make_user("alice")
    client.force_login(manager)
    response = client.post(add_url, {"who": "Alice", "roles": ["annotator", "reviewer"]})
    assert response.url == url
    assert roles_of(project, alice) == ["reviewer", "annotator"]
    assert said(client, url) == [answer("Alice", "Reviewer and Annotator")]


def test_a_manager_adds_a_user_by_email(client, project, add_url, manager):
    bob = make_user("bob")
    client.force_login(manager)
    client.post(add_url, {"who": "BOB@example.com", "roles": ["reviewer"]})
    assert roles_of(project, bob) == ["reviewer"]


def test_adding_an_existing_member_adds_the_new_roles(client, project, url, add_url, manager, annotator):
    client.force_login(manager)
    client.post(add_url, {"who": "annotator", "roles": ["annotator", "reviewer"]})
    assert roles_of(project, annotator) == ["reviewer", "annotator"]


def test_a_username_that_differs_only_in_case_from_another_picks_the_exact_one(client, project, add_url, manager):
    lower, upper = make_user("sam"), make_user("Sam")
    client.force_login(manager)
    client.post(add_url, {"who": "Sam", "roles": ["annotator"]})
    assert (roles_of(project, lower), roles_of(project, upper)) == ([], ["annotator"])


def _absent():
    return "nobody"


def _deactivated():
    make_user("ghost", is_active=False)
    return "ghost"


def _superuser_elsewhere():
    make_user("root", is_superuser=True, is_staff=True)
    return "root@example.com"


def _shared_address():
    twins = [make_user("twin1").pk, make_user("twin2").pk]
    get_user_model().objects.filter(pk__in=twins).update(email="twins@example.com")
    return "twins@example.com"


def _part_of_a_name():
    return "ali"  # alice exists


@pytest.mark.parametrize("case", [_absent, _deactivated, _superuser_elsewhere, _shared_address, _part_of_a_name])
def test_no_account_that_may_not_be_added_is_told_apart_from_one_that_exists(
    client, project, url, add_url, manager, case
):
    make_user("alice")
    who = case()
    client.force_login(manager)
    members_before = {user.username for user, _ in members_with_roles(project)}

    refused = client.post(add_url, {"who": who, "roles": ["annotator"]})
    refused_said = said(client, url)
    added = client.post(add_url, {"who": "alice", "roles": ["annotator"]})

    assert (refused.status_code, refused.url) == (added.status_code, added.url)
    assert refused_said == [answer(who)]
    assert said(client, url) == [answer("alice")]
    assert {user.username for user, _ in members_with_roles(project)} == members_before | {"alice"}


def test_the_answer_takes_as_long_whether_or_not_the_account_exists(client, add_url, manager, monkeypatch):
    monkeypatch.setattr(views, "MEMBER_ADD_SECONDS", 0.3)
    make_user("alice")
    client.force_login(manager)
    durations = {}
    for who in ("alice", "nobody"):
        started = time.monotonic()
        client.post(add_url, {"who": who, "roles": ["annotator"]})
        durations[who] = time.monotonic() - started
    assert min(durations.values()) >= 0.3


def test_a_superuser_already_in_the_project_may_be_given_more_roles(client, project, add_url, manager, superuser):
    grant_role(project, superuser, "reviewer")
    client.force_login(manager)
    client.post(add_url, {"who": "root", "roles": ["annotator"]})
    assert roles_of(project, superuser) == ["reviewer", "annotator"]


def test_the_form_lists_and_suggests_no_accounts(client, url, manager):
    make_user("zed-not-a-member")
    client.force_login(manager)
    html = client.get(url).content.decode()
    assert "zed-not-a-member" not in html and "<datalist" not in html
    assert 'autocomplete="off"' in html


def test_adding_without_a_role_is_refused(client, project, add_url, manager):
    alice = make_user("alice")
    client.force_login(manager)
    response = client.post(add_url, {"who": "alice"})
    assert "Choose at least one role." in response.content.decode()
    assert roles_of(project, alice) == []


@pytest.mark.parametrize("who", ["annotator", "reviewer"])
def test_members_who_do_not_manage_may_not_add(client, project, add_url, who, request):
    alice = make_user("alice")
    client.force_login(request.getfixturevalue(who))
    assert client.post(add_url, {"who": "alice", "roles": ["manager"]}).status_code == 403
    assert roles_of(project, alice) == []


def test_an_outsider_posting_gets_404(client, project, add_url, outsider, manager):
    client.force_login(outsider)
    assert client.post(add_url, {"who": "outsider", "roles": ["manager"]}).status_code == 404
    assert roles_of(project, outsider) == []


# --- changing roles ---


def test_a_manager_changes_a_members_roles(client, project, url, manager, annotator):
    client.force_login(manager)
    response = client.post(roles_url(project, annotator), {"roles": ["reviewer"]})
    assert response.url == url
    assert roles_of(project, annotator) == ["reviewer"]
    assert "annotator is now Reviewer." in client.get(url).content.decode()


def test_with_htmx_the_row_comes_back_with_a_message(client, project, manager, annotator):
    client.force_login(manager)
    response = client.post(
        roles_url(project, annotator), {"roles": ["annotator", "manager"]}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith(f'<tr id="member-{annotator.pk}"')
    assert json.loads(response["HX-Trigger"]) == {
        "showMessage": {"text": "annotator is now Manager and Annotator.", "level": "success"}
    }
    assert roles_of(project, annotator) == ["manager", "annotator"]


def test_roles_left_as_they_are_say_so_in_the_persons_language(client, project, manager, annotator):
    client.force_login(manager)
    said = {}
    for language in ("en", "fa"):
        manager.language = language
        manager.save(update_fields=["language"])
        response = client.post(roles_url(project, annotator), {"roles": ["annotator"]}, headers={"HX-Request": "true"})
        said[language] = json.loads(response["HX-Trigger"])["showMessage"]
    assert said["en"] == {"text": "annotator's roles are unchanged.", "level": "info"}
    assert said["fa"]["level"] == "info"
    assert said["fa"]["text"] == "نقش‌های \u2068annotator\u2069 تغییری نکرد."
    assert roles_of(project, annotator) == ["annotator"]


def test_removing_every_role_is_refused(client, project, manager, annotator):
    client.force_login(manager)
    response = client.post(roles_url(project, annotator), {}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"])["showMessage"]["level"] == "error"
    assert roles_of(project, annotator) == ["annotator"]


def test_the_last_manager_cannot_drop_their_manager_role(client, project, url, manager):
    client.force_login(manager)
    client.post(roles_url(project, manager), {"roles": ["annotator"]})
    assert roles_of(project, manager) == ["manager"]
    assert "the only manager of this project" in client.get(url).content.decode()


def test_the_refusal_reaches_an_htmx_caller_as_a_message(client, project, manager):
    client.force_login(manager)
    response = client.post(roles_url(project, manager), {"roles": ["reviewer"]}, headers={"HX-Request": "true"})
    message = json.loads(response["HX-Trigger"])["showMessage"]
    assert message["level"] == "error"
    assert "make someone else a manager first" in message["text"]


def test_a_manager_may_step_down_when_another_manager_remains(client, project, url, manager, annotator):
    grant_role(project, annotator, "manager")
    client.force_login(manager)
    response = client.post(roles_url(project, manager), {"roles": ["reviewer"]}, headers={"HX-Request": "true"})
    # Their own powers changed, so the whole page is drawn again.
    assert response["HX-Redirect"] == url
    assert roles_of(project, manager) == ["reviewer"]
    assert client.post(roles_url(project, annotator), {"roles": ["annotator"]}).status_code == 403


def test_changing_roles_of_a_non_member_is_404(client, project, manager, outsider):
    client.force_login(manager)
    assert client.post(roles_url(project, outsider), {"roles": ["annotator"]}).status_code == 404
    assert roles_of(project, outsider) == []


def test_members_who_do_not_manage_may_not_change_roles(client, project, annotator, reviewer):
    client.force_login(annotator)
    assert client.post(roles_url(project, annotator), {"roles": ["manager"]}).status_code == 403
    assert roles_of(project, annotator) == ["annotator"]


# --- removing ---


def test_removing_asks_first_and_says_what_happens(client, project, manager, annotator):
    make_batch(project, manager, images=3)
    client.force_login(manager)
    response = client.get(remove_url(project, annotator))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Remove <bdi>annotator</bdi> from “<bdi>Street scenes</bdi>”?" in content
    assert "<strong>Annotator</strong>" in content
    assert roles_of(project, annotator) == ["annotator"]


def test_the_confirmation_counts_the_batches_still_assigned(client, project, manager, annotator):
    from batches import workflow

    workflow.assign(actor=manager, batch=make_batch(project, manager, images=3), assignees=[annotator])
    client.force_login(manager)
    content = client.get(remove_url(project, annotator)).content.decode()
    assert "1 batch assigned to them stays assigned" in content


def test_a_manager_removes_a_member(client, project, url, manager, annotator):
    client.force_login(manager)
    response = client.post(remove_url(project, annotator))
    assert response.url == url
    assert roles_of(project, annotator) == []
    client.force_login(annotator)
    assert client.get(url).status_code == 404


def test_the_last_manager_cannot_be_removed(client, project, url, manager):
    client.force_login(manager)
    response = client.post(remove_url(project, manager))
    assert response.url == url
    assert roles_of(project, manager) == ["manager"]
    assert "the only manager of this project" in client.get(url).content.decode()


def test_a_manager_who_leaves_goes_back_to_their_projects(client, project, manager, annotator):
    grant_role(project, annotator, "manager")
    client.force_login(manager)
    response = client.post(remove_url(project, manager))
    assert response.url == reverse("project_list")
    assert roles_of(project, manager) == []


def test_members_who_do_not_manage_may_not_remove(client, project, manager, annotator, reviewer):
    client.force_login(reviewer)
    assert client.get(remove_url(project, annotator)).status_code == 403
    assert client.post(remove_url(project, annotator)).status_code == 403
    assert roles_of(project, annotator) == ["annotator"]


def test_an_outsider_removing_gets_404(client, project, manager, outsider):
    client.force_login(outsider)
    assert client.post(remove_url(project, manager)).status_code == 404
    assert roles_of(project, manager) == ["manager"]


# --- in a browser: the htmx role form swaps its row and says what happened ---


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_a_role_change_swaps_the_row_and_shows_a_toast(page, live_server, project, manager, annotator):
    from django.test import Client

    session = Client()
    session.force_login(manager)
    page.context.add_cookies(
        [{"name": "sessionid", "value": session.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.goto(live_server.url + reverse("members", args=[project.pk]))
    page.evaluate("window.notReloaded = true")
    row = page.locator(f"#member-{annotator.pk}")
    row.locator("input[value=reviewer]").check()
    row.get_by_role("button", name="Save roles").click()
    page.locator(".toast-success", has_text="annotator is now Reviewer and Annotator.").wait_for()
    assert page.evaluate("window.notReloaded") is True
    assert roles_of(project, annotator) == ["reviewer", "annotator"]

    # The only manager cannot step down: the row comes back as it was, with the reason.
    mine = page.locator(f"#member-{manager.pk}")
    mine.locator("input[value=manager]").uncheck()
    mine.locator("input[value=annotator]").check()
    mine.get_by_role("button", name="Save roles").click()
    page.locator(".toast-error", has_text="the only manager").wait_for()
    assert page.locator(f"#member-{manager.pk} input[value=manager]").is_checked()
    assert roles_of(project, manager) == ["manager"]


def test_every_role_box_on_the_page_has_an_id_of_its_own(client, url, manager, annotator, reviewer):
    """A label finds the first element with its id: with "id_roles_0" in the invite form and in every row, a click
    on "Manager" beside a member ticked the invite form's box instead."""
    client.force_login(manager)
    html = client.get(url).content.decode()
    ids = re.findall(r'<input type="checkbox" name="roles"[^>]* id="([^"]+)"', html)
    assert len(ids) == 3 * 4 and len(set(ids)) == len(ids), ids
    for label_for in re.findall(r'<label class="inline" for="([^"]+)"', html):
        assert label_for in ids
