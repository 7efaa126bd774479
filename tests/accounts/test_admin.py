"""Accounts in the admin: a help desk (staff holding the user permissions) manages ordinary accounts,
but no site power, no superuser's account and no other staff member's account is within its reach."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts.models import User
from accounts.roles import grant_role, projects_with_roles
from tests.factories import make_project, make_user

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a-new-long-passphrase"


@pytest.fixture
def helpdesk(db):
    user = make_user("helpdesk", is_staff=True)
    codenames = ["view_user", "change_user", "delete_user", "add_user", "view_group", "change_group"]
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def desk(client, helpdesk):
    client.force_login(helpdesk)
    return client


@pytest.fixture
def alice(db):
    return make_user("alice")


@pytest.fixture
def colleague(db):
    return make_user("colleague", is_staff=True)


def change_url(user) -> str:
    return reverse("admin:accounts_user_change", args=[user.pk])


def password_url(user) -> str:
    return reverse("admin:auth_user_password_change", args=[user.pk])


def delete_url(user) -> str:
    return reverse("admin:accounts_user_delete", args=[user.pk])


def account_form(user, **changes) -> dict:
    """The change form as the stock admin posts it, every site power switched on, plus changes."""
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "groups": [str(group.pk) for group in Group.objects.all()],
        "user_permissions": [str(perm.pk) for perm in Permission.objects.filter(codename="delete_project")],
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }
    return {**data, **changes}


def powers(user) -> tuple:
    user.refresh_from_db()
    return user.is_staff, user.is_superuser, list(user.groups.all()), list(user.user_permissions.all())


def test_the_help_desk_changes_an_ordinary_account_but_none_of_its_powers(desk, alice):
    Group.objects.create(name="Operators")

    response = desk.post(change_url(alice), account_form(alice, email="alice@new.example"))

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.email == "alice@new.example"
    assert powers(alice) == (False, False, [], [])


def test_the_help_desk_cannot_make_itself_superuser_or_widen_its_own_permissions(desk, helpdesk):
    before = powers(helpdesk)

    desk.post(change_url(helpdesk), account_form(helpdesk, email="me@new.example"))

    assert powers(helpdesk) == before
    assert helpdesk.email == "me@new.example"


def test_the_help_desk_sees_site_powers_as_read_only(desk, alice):
    html = desk.get(change_url(alice)).content.decode()

    for field in ("is_superuser", "is_staff", "groups", "user_permissions"):
        assert f'name="{field}"' not in html
    assert 'name="email"' in html


def test_the_help_desk_does_not_see_superusers_in_the_list_or_on_their_page(desk, superuser, alice):
    listing = desk.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert "alice" in listing and superuser.username not in listing

    page = desk.get(change_url(superuser))
    assert page.status_code == 302 and page.url == reverse("admin:index")


def test_the_help_desk_cannot_change_re_password_or_delete_a_superuser(desk, superuser):
    desk.post(change_url(superuser), account_form(superuser, email="evil@example.com", is_superuser=""))
    desk.post(
        password_url(superuser), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}
    )
    desk.post(delete_url(superuser), {"post": "yes"})

    assert desk.get(password_url(superuser)).status_code == 404
    superuser.refresh_from_db()
    assert superuser.email == "root@example.com" and superuser.is_superuser
    assert not superuser.check_password(NEW_PASSWORD)


def test_the_help_desk_may_look_at_but_not_change_another_staff_account(desk, colleague):
    assert desk.get(change_url(colleague)).status_code == 200
    assert desk.post(change_url(colleague), account_form(colleague, email="x@example.com")).status_code == 403
    assert desk.get(password_url(colleague)).status_code == 403
    assert desk.post(delete_url(colleague), {"post": "yes"}).status_code == 403
    colleague.refresh_from_db()
    assert colleague.email == "colleague@example.com"


def test_the_help_desk_s_bulk_delete_spares_staff_and_superusers(desk, colleague, superuser, alice):
    changelist = reverse("admin:accounts_user_changelist")
    chosen = [colleague.pk, superuser.pk, alice.pk]

    desk.post(changelist, {"action": "delete_selected", "_selected_action": chosen, "post": "yes"})

    assert set(User.objects.values_list("username", flat=True)) >= {"colleague", "root"}


def test_the_help_desk_resets_an_ordinary_account_s_password(desk, alice):
    data = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}

    assert desk.post(password_url(alice), data).status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_only_a_superuser_changes_a_group_and_its_permissions(desk, client, superuser):
    group = Group.objects.create(name="Operators")
    url = reverse("admin:auth_group_change", args=[group.pk])
    every_perm = [str(pk) for pk in Permission.objects.values_list("pk", flat=True)]

    assert desk.post(url, {"name": "Operators", "permissions": every_perm}).status_code == 403
    assert group.permissions.count() == 0

    client.force_login(superuser)
    assert client.post(url, {"name": "Operators", "permissions": every_perm[:1]}).status_code == 302
    assert group.permissions.count() == 1


def test_a_superuser_still_grants_site_powers(client, superuser, alice):
    client.force_login(superuser)

    response = client.post(change_url(alice), account_form(alice))

    assert response.status_code == 302
    staff, is_superuser, _, perms = powers(alice)
    assert staff and is_superuser and [p.codename for p in perms] == ["delete_project"]


def test_a_users_page_lists_their_projects_with_their_roles_and_links(client, superuser, alice):
    roads, rivers = make_project("Roads"), make_project("Rivers")
    make_project("Quiet")
    grant_role(roads, alice, "annotator")
    grant_role(roads, alice, "reviewer")
    grant_role(rivers, alice, "manager")
    client.force_login(superuser)

    page = client.get(change_url(alice)).content.decode()

    assert "Projects and roles" in page
    assert f'<a href="{reverse("admin:accounts_project_change", args=[rivers.pk])}">Rivers</a> · Manager' in page
    assert (
        f'<a href="{reverse("admin:accounts_project_change", args=[roads.pk])}">Roads</a> · Reviewer, Annotator' in page
    )
    assert "Quiet" not in page
    # Saving the page still works: the list is read-only and does not get in the way of deactivating.
    response = client.post(change_url(alice), account_form(alice, is_active="", is_staff="", is_superuser=""))
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.is_active is False


def test_the_project_list_costs_one_query_however_many_projects(client, superuser, alice, django_assert_num_queries):
    for n in range(5):
        grant_role(make_project(f"P{n}"), alice, "annotator")
    with django_assert_num_queries(1):
        rows = projects_with_roles(alice)
    assert [(project.name, roles) for project, roles in rows] == [(f"P{n}", ["annotator"]) for n in range(5)]


def test_someone_in_no_project_is_said_to_be_so(client, superuser, alice):
    client.force_login(superuser)
    assert "Not a member of any project." in client.get(change_url(alice)).content.decode()


def test_a_persian_operator_reads_the_projects_and_roles_in_persian(client, alice):
    grant_role(make_project("Roads"), alice, "manager")
    client.force_login(make_user("operator-fa", is_superuser=True, is_staff=True, language="fa"))
    page = client.get(change_url(alice)).content.decode()
    assert "پروژه‌ها و نقش‌ها" in page
    assert "Roads</a> · مدیر" in page
    assert "Projects and roles" not in page
