"""Password reset by e-mail: a working link, an expired one, an unknown address, and the throttle."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def ask(client, django_capture_on_commit_callbacks):
    def run(address: str, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("password_reset"), {"email": address}, **extra)

    return run


def link_in(message) -> str:
    return re.search(r"https?://[^\s]+/password/reset/[^\s]+/", message.body).group(0).split("8000", 1)[-1]


def test_the_sign_in_page_offers_a_reset(client):
    assert reverse("password_reset") in client.get(reverse("login")).content.decode()


def test_a_valid_link_sets_a_new_password(client, ask):
    user = make_user("alice")
    response = ask("ALICE@example.com")
    assert response.status_code == 302 and response.url == reverse("password_reset_done")

    [message] = mail.outbox
    assert message.to == ["alice@example.com"] and "alice" in message.body
    assert message.alternatives[0].mimetype == "text/html"
    form_page = client.get(link_in(message), follow=True)
    assert b"Choose a new password" in form_page.content
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-far-better-secret", "new_password2": "a-far-better-secret"},
    )
    assert done.url == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password("a-far-better-secret")
    # The link works once.
    assert b"no longer works" in client.get(link_in(message), follow=True).content


def test_an_expired_link_says_so(client, ask, settings):
    make_user("alice")
    ask("alice@example.com")
    settings.PASSWORD_RESET_TIMEOUT = -1  # every link is past its time

    page = client.get(link_in(mail.outbox[0]), follow=True)

    assert b"This link no longer works" in page.content and b"new_password1" not in page.content


def test_an_unknown_address_gets_the_same_answer_and_no_e_mail(ask):
    make_user("alice")
    known, unknown = ask("alice@example.com"), ask("nobody@example.com")

    assert (known.status_code, known.url) == (unknown.status_code, unknown.url)
    assert len(mail.outbox) == 1


def test_an_account_without_a_usable_password_is_not_sent_a_link(ask):
    user = make_user("bob")
    user.set_unusable_password()
    user.save()
    ask("bob@example.com")

    assert mail.outbox == []


def test_requests_past_the_limit_are_answered_alike_but_send_nothing(ask, settings):
    make_user("alice")
    settings.PASSWORD_RESET_LIMIT_PER_HOUR = 2
    answers = [ask("alice@example.com", REMOTE_ADDR=f"10.0.0.{n}") for n in range(4)]

    assert {a.url for a in answers} == {reverse("password_reset_done")}
    assert len(mail.outbox) == 2


def test_one_client_is_limited_across_addresses(ask, settings):
    settings.PASSWORD_RESET_LIMIT_PER_HOUR = 2
    for n in range(4):
        make_user(f"user{n}")
        ask(f"user{n}@example.com")

    assert len(mail.outbox) == 2


def test_the_token_belongs_to_the_account_it_was_made_for(client):
    alice, bob = make_user("alice"), make_user("bob")
    url = reverse(
        "password_reset_confirm",
        args=[urlsafe_base64_encode(force_bytes(bob.pk)), default_token_generator.make_token(alice)],
    )
    assert b"no longer works" in client.get(url, follow=True).content
