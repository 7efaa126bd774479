"""Signing in and out, and changing a password, with our own pages (no sign-up)."""

import pytest
from django.urls import reverse

from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_the_login_page_explains_there_is_no_sign_up(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b"Sign in to BinaBoard" in response.content
    assert b"no sign-up" in response.content


def test_signing_in_leads_to_the_projects_page(client):
    make_user("alice", password="a-long-passphrase")
    response = client.post(reverse("login"), {"username": "alice", "password": "a-long-passphrase"})
    assert response.status_code == 302
    assert response.url == reverse("project_list")


def test_signing_in_returns_to_the_page_asked_for(client, project, manager):
    members_url = reverse("members", args=[project.pk])
    response = client.post(
        reverse("login"), {"username": "manager", "password": "correct-horse-battery", "next": members_url}
    )
    assert response.url == members_url


def test_a_wrong_password_gets_a_clear_error_and_no_session(client):
    make_user("alice", password="a-long-passphrase")
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert b"correct username and password" in response.content
    assert "_auth_user_id" not in client.session


def test_a_signed_in_user_visiting_login_goes_to_their_projects(client, manager):
    client.force_login(manager)
    response = client.get(reverse("login"))
    assert response.url == reverse("project_list")


def test_signing_out_needs_a_post_and_ends_the_session(client, manager):
    client.force_login(manager)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.url == reverse("login")
    assert "_auth_user_id" not in client.session


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get(reverse("project_list"))
    assert response.status_code == 302
    assert response.url == reverse("login") + "?next=/"


def test_changing_the_password_keeps_the_user_signed_in(client, manager):
    client.force_login(manager)
    assert b"Change your password" in client.get(reverse("password_change")).content
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "correct-horse-battery",
            "new_password1": "a-brand-new-passphrase",
            "new_password2": "a-brand-new-passphrase",
        },
    )
    assert response.url == reverse("password_change_done")
    assert client.get(reverse("password_change_done")).status_code == 200
    manager.refresh_from_db()
    assert manager.check_password("a-brand-new-passphrase")


def test_a_weak_new_password_is_refused_with_the_reason(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("password_change"),
        {"old_password": "correct-horse-battery", "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200
    assert b"This password is too common" in response.content
    manager.refresh_from_db()
    assert manager.check_password("correct-horse-battery")


# --- password rules -------------------------------------------------------------------------------

PASSWORD_RULES = [
    ("annotator2024", "too similar to the username"),
    ("annotator20242025", "too similar to the username"),  # Django's default similarity (0.7) let this in
    ("Annotator.1", "too similar to the username"),
    ("2024-annotator-x", "too similar to the username"),
    ("short-one", "at least 10 characters"),
    ("1234509876", "entirely numeric"),
    ("qwertyuiop", "too common"),
]


@pytest.mark.parametrize(("password", "reason"), PASSWORD_RULES)
def test_weak_passwords_are_refused_with_the_reason(password, reason, db):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        validate_password(password, make_user("annotator"))
    assert reason in " ".join(refused.value.messages)


def test_a_passphrase_is_accepted(db):
    from django.contrib.auth.password_validation import validate_password

    validate_password("violet tram under the bridge", make_user("annotator"))


def test_the_password_page_refuses_the_username_plus_digits(client, annotator):
    client.force_login(annotator)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "correct-horse-battery",
            "new_password1": "annotator20242025",
            "new_password2": "annotator20242025",
        },
    )
    assert "too similar to the username" in response.content.decode()
    annotator.refresh_from_db()
    assert annotator.check_password("correct-horse-battery")


def test_the_persian_password_page_says_password_one_way_and_asks_for_the_new_one_twice(client, annotator):
    annotator.language = "fa"
    annotator.save(update_fields=["language"])
    client.force_login(annotator)

    page = client.get(reverse("password_change")).content.decode()
    refused = client.post(
        reverse("password_change"),
        {"old_password": "correct-horse-battery", "new_password1": "12345", "new_password2": "123456"},
    ).content.decode()

    # Django's own Persian says "رمز عبور" beside "گذرواژه", and under the confirmation asks for the old password.
    assert "رمز" not in page and "رمز" not in refused
    assert "گذرواژهٔ جدید را دوباره وارد کنید" in page
    assert "دو گذرواژه با هم یکی نیستند" in refused
