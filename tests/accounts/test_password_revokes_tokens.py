"""A new password revokes the person's API tokens: changed while signed in, reset by e-mail, or set by an operator
in the admin. A revoked token gets the API's usual 401; other people's tokens and dead tokens are left alone."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import ApiToken
from accounts.tokens import create_token
from tests.api.helpers import ApiClient

pytestmark = pytest.mark.django_db
NEW = "a-much-better-secret-42"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def tokens(manager, annotator):
    """Two working tokens of the manager's, and one of the annotator's."""
    return ApiClient(manager), ApiClient(manager, scope="read"), ApiClient(annotator)


def assert_only_the_managers_tokens_stopped(project, tokens) -> None:
    mine, mine_too, theirs = tokens
    url = f"/projects/{project.pk}"
    for client in (mine, mine_too):
        response = client.get(url)
        assert (response.status_code, response.json()["code"]) == (401, "unauthenticated")
    assert theirs.get(url).status_code == 200
    assert ApiToken.objects.get(pk=theirs.token.pk).revoked_at is None


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_changing_the_password_revokes_the_persons_tokens_and_says_so(project, manager, tokens, caplog):
    web = Client()
    web.force_login(manager)
    assert tokens[0].get(f"/projects/{project.pk}").status_code == 200
    with caplog.at_level(logging.INFO, logger="accounts.tokens"):
        page = web.post(
            reverse("password_change"),
            {"old_password": "correct-horse-battery", "new_password1": NEW, "new_password2": NEW},
            follow=True,
        )
    assert page.redirect_chain[-1][0] == reverse("password_change_done")
    text = page.content.decode()
    assert "Your 2 API tokens stopped working with the old password." in text
    assert f'<a href="{reverse("api_tokens")}">API tokens</a>' in text
    # Told once: the page again does not repeat it.
    assert "stopped working" not in web.get(reverse("password_change_done")).content.decode()
    assert_only_the_managers_tokens_stopped(project, tokens)
    assert "2 API tokens of user" in caplog.text and "password changed" in caplog.text
    # The session that changed it stays signed in and can make a new token that works.
    made = create_token(user=manager, name="again", scope="read", expires_in_days=None)
    assert ApiClient(secret=made.secret).get(f"/projects/{project.pk}").status_code == 200


def test_resetting_the_password_by_e_mail_revokes_the_persons_tokens(client, project, manager, tokens):
    url = reverse(
        "password_reset_confirm",
        args=[urlsafe_base64_encode(force_bytes(manager.pk)), default_token_generator.make_token(manager)],
    )
    form_url = client.get(url, follow=True).redirect_chain[-1][0]
    page = client.post(form_url, {"new_password1": NEW, "new_password2": NEW}, follow=True)
    assert page.redirect_chain[-1][0] == reverse("password_reset_complete")
    assert "Your 2 API tokens stopped working with the old password." in page.content.decode()
    assert_only_the_managers_tokens_stopped(project, tokens)


def test_an_operator_setting_the_password_in_the_admin_revokes_the_persons_tokens(project, manager, tokens, superuser):
    admin = Client()
    admin.force_login(superuser)
    page = admin.post(
        reverse("admin:auth_user_password_change", args=[manager.pk]),
        {"password1": NEW, "password2": NEW, "usable_password": "true"},
        follow=True,
    )
    assert page.status_code == 200
    manager.refresh_from_db()
    assert manager.check_password(NEW)
    assert "2 API tokens of manager were revoked with the old password" in " ".join(messages_of(page))
    assert_only_the_managers_tokens_stopped(project, tokens)


def test_one_token_is_told_in_the_singular(project, manager):
    ApiClient(manager)
    web = Client()
    web.force_login(manager)
    page = web.post(
        reverse("password_change"),
        {"old_password": "correct-horse-battery", "new_password1": NEW, "new_password2": NEW},
        follow=True,
    )
    assert "Your API token stopped working with the old password. Make a new one" in page.content.decode()


def test_a_person_without_working_tokens_is_told_nothing_and_dead_tokens_keep_their_dates(manager):
    old = timezone.now() - timedelta(days=3)
    expired = create_token(user=manager, name="old", scope="read", expires_in_days=1).token
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=old)
    revoked = create_token(user=manager, name="gone", scope="read", expires_in_days=None).token
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=old)
    web = Client()
    web.force_login(manager)
    page = web.post(
        reverse("password_change"),
        {"old_password": "correct-horse-battery", "new_password1": NEW, "new_password2": NEW},
        follow=True,
    )
    assert "stopped working" not in page.content.decode()
    assert ApiToken.objects.get(pk=expired.pk).revoked_at is None
    assert ApiToken.objects.get(pk=revoked.pk).revoked_at == old


def test_a_refused_password_change_leaves_the_tokens_working(project, manager, tokens):
    web = Client()
    web.force_login(manager)
    page = web.post(reverse("password_change"), {"old_password": "wrong", "new_password1": NEW, "new_password2": NEW})
    assert page.status_code == 200
    assert tokens[0].get(f"/projects/{project.pk}").status_code == 200


def test_the_message_speaks_persian(project, manager, tokens):
    manager.language = "fa"
    manager.save()
    web = Client()
    web.force_login(manager)
    page = web.post(
        reverse("password_change"),
        {"old_password": "correct-horse-battery", "new_password1": NEW, "new_password2": NEW},
        follow=True,
    )
    assert "۲ توکن API شما" in page.content.decode()


def test_the_password_and_the_revoking_are_one_transaction(project, manager, tokens, monkeypatch):
    def broken(user, *, reason):
        raise RuntimeError("the database went away mid-way")

    monkeypatch.setattr("accounts.password_change.revoke_all", broken)
    web = Client(raise_request_exception=False)
    web.force_login(manager)
    web.post(
        reverse("password_change"),
        {"old_password": "correct-horse-battery", "new_password1": NEW, "new_password2": NEW},
    )
    manager.refresh_from_db()
    assert manager.check_password("correct-horse-battery")


def test_the_admin_tells_a_persian_operator_in_persian_digits(project, manager, tokens, superuser):
    superuser.language = "fa"
    superuser.save()
    admin = Client()
    admin.force_login(superuser)
    page = admin.post(
        reverse("admin:auth_user_password_change", args=[manager.pk]),
        {"password1": NEW, "password2": NEW, "usable_password": "true"},
        follow=True,
    )
    assert "۲ توکن API متعلق به" in " ".join(messages_of(page))
