"""Changing the password while signed in: the current password cannot be guessed without end."""

from django.core.cache import cache
from django.urls import reverse

from tests.factories import make_user

URL = reverse("password_change")
NEW = {"new_password1": "a-much-better-secret-42", "new_password2": "a-much-better-secret-42"}


def _change(client, old: str):
    return client.post(URL, {"old_password": old, **NEW})


def test_wrong_current_passwords_pause_the_change_even_for_the_right_one(client, db, settings):
    cache.clear()
    settings.AXES_FAILURE_LIMIT = 3
    user = make_user("ann")
    client.force_login(user)
    for guess in ("one", "two", "three"):
        assert "incorrect" in _change(client, guess).content.decode()
    answer = _change(client, "correct-horse-battery")  # the right one, past the limit
    assert answer.status_code == 200
    assert "changing it is paused. Try again in 15 minutes." in answer.content.decode()
    user.refresh_from_db()
    assert user.check_password("correct-horse-battery")
    # Another account is not paused by ann's guesses.
    bob = make_user("bob")
    client.force_login(bob)
    assert _change(client, "correct-horse-battery").status_code == 302


def test_below_the_limit_the_right_password_changes_it(client, db, settings):
    cache.clear()
    settings.AXES_FAILURE_LIMIT = 3
    user = make_user("ann")
    client.force_login(user)
    _change(client, "wrong")
    assert _change(client, "correct-horse-battery").status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW["new_password1"])


def test_the_pause_speaks_persian_with_persian_digits(client, db, settings):
    cache.clear()
    settings.AXES_FAILURE_LIMIT = 1
    user = make_user("ann", language="fa")
    client.force_login(user)
    _change(client, "wrong")
    page = _change(client, "correct-horse-battery").content.decode()
    assert "تغییر گذرواژه متوقف شده است. ۱۵ دقیقهٔ دیگر" in page
