"""Sign-in throttling: wrong passwords pause a username on one address, and an address trying many
usernames, for a cool-off; the app's login and the admin's alike; proxy headers only when configured."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.db.models import F
from django.urls import reverse

from tests.factories import make_user

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"
LOGIN = reverse("login")


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.LOGIN_FAILURE_LIMIT_PER_IP = 20
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    settings.CLIENT_IP_HEADER = ""


@pytest.fixture
def alice(db):
    return make_user("alice", password=PASSWORD)


@pytest.fixture
def bob(db):
    return make_user("bob", password=PASSWORD)


def sign_in(client, username, password=PASSWORD, url=LOGIN, address="10.0.0.1", **headers):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address, **headers)


def fail(client, username, times, **extra):
    return [sign_in(client, username, "wrong-password", **extra).status_code for _ in range(times)]


def signed_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.client.session


def test_the_fifth_wrong_password_pauses_the_username_with_a_clear_page(client, alice):
    assert fail(client, "alice", 4) == [200] * 4

    locked = sign_in(client, "alice", "wrong-password")

    assert locked.status_code == 429
    html = locked.content.decode()
    assert "Too many sign-in attempts" in html and "Try again in 15 minutes" in html
    assert sign_in(client, "alice").status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_pause_ends_after_the_cool_off(client, alice):
    fail(client, "alice", 5)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=16))

    assert signed_in(sign_in(client, "alice"))


def test_other_people_and_the_same_person_elsewhere_are_not_paused(client, alice, bob):
    fail(client, "alice", 5)

    assert signed_in(sign_in(client, "bob"))
    client.logout()
    assert signed_in(sign_in(client, "alice", address="10.0.0.2"))


def test_an_address_trying_many_usernames_is_paused_for_everyone_on_it(client, bob):
    for n in range(5):
        fail(client, f"guess{n}", 4 if n < 4 else 3)  # 19 failures, none of them 5 for one username
    assert signed_in(sign_in(client, "bob"))
    client.logout()

    assert sign_in(client, "guess5", "wrong-password").status_code == 429  # the 20th
    assert sign_in(client, "bob").status_code == 429
    assert signed_in(sign_in(client, "bob", address="10.0.0.2"))


def test_the_admin_login_is_throttled_too(client, settings):
    make_user("root", password=PASSWORD, is_staff=True, is_superuser=True)
    admin_login = reverse("admin:login")

    fail(client, "root", 4, url=admin_login)
    locked = sign_in(client, "root", "wrong-password", url=admin_login)

    assert locked.status_code == 429
    assert "Too many sign-in attempts" in locked.content.decode()
    assert sign_in(client, "root", url=admin_login).status_code == 429


def test_a_forwarded_for_header_is_ignored_unless_configured(client, alice):
    for n in range(5):
        sign_in(client, "alice", "wrong-password", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")

    assert sign_in(client, "alice", HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429
    assert AccessAttempt.objects.get().ip_address == "10.0.0.1"


def test_with_a_configured_header_people_behind_the_proxy_count_apart_and_spoofed_hops_are_ignored(
    client, alice, settings
):
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.CLIENT_IP_PROXY_COUNT = 1
    # The client wrote "198.51.100.7" itself; the proxy appended the address it saw.
    for _ in range(5):
        sign_in(client, "alice", "wrong-password", HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.5")

    assert AccessAttempt.objects.get().ip_address == "203.0.113.5"
    assert sign_in(client, "alice", HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    assert signed_in(sign_in(client, "alice", HTTP_X_FORWARDED_FOR="203.0.113.6"))


def test_a_success_before_the_limit_does_not_wipe_the_address_s_count(client, alice, bob):
    fail(client, "alice", 4)
    assert signed_in(sign_in(client, "bob"))
    client.logout()

    assert sign_in(client, "alice", "wrong-password").status_code == 429


@pytest.mark.parametrize(
    ("fields", "headers"),
    [
        ({"username": "a" * 5000, "password": "wrong-password"}, {}),
        ({"username": "alice", "password": "wrong-password"}, {"HTTP_USER_AGENT": "bot\x00", "HTTP_ACCEPT": "\x00"}),
        ({"username": "alice", "password": PASSWORD}, {"HTTP_USER_AGENT": "bot\x00"}),
        ({"username": "alice", "password": "wrong-password"}, {"HTTP_X_FORWARDED_FOR": "\x00, 999.1.1.1, zz"}),
    ],
)
@pytest.mark.parametrize("url", [LOGIN, reverse("admin:login")])
def test_hostile_sign_ins_are_answered_and_counted_without_a_server_error(
    client, alice, settings, fields, headers, url
):
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"

    response = client.post(url, fields, REMOTE_ADDR="10.0.0.1", **headers)

    assert response.status_code in (200, 302)
    if fields["password"] != PASSWORD:
        assert AccessAttempt.objects.get().ip_address == "10.0.0.1"
