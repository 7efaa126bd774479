"""Language and calendar: from the browser by default, remembered on the account once chosen."""

from datetime import UTC, date, datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from accounts import calendars
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def html_tag(response) -> str:
    text = response.content.decode()
    start = text.index("<html")
    return text[start : text.index(">", start) + 1]


def test_a_persian_browser_gets_a_right_to_left_page_in_persian(client):
    response = client.get(reverse("login"), headers={"accept-language": "fa-IR,fa;q=0.9,en;q=0.5"})
    assert html_tag(response) == '<html lang="fa" dir="rtl">'
    assert b"css/fa.css" in response.content


def test_an_english_browser_gets_a_left_to_right_page_without_the_persian_font(client):
    response = client.get(reverse("login"), headers={"accept-language": "en-GB,en;q=0.8"})
    assert html_tag(response) == '<html lang="en" dir="ltr">'
    assert b"css/fa.css" not in response.content


def test_the_sign_in_page_offers_each_language_named_in_itself(client):
    response = client.get(reverse("login"))
    assert "فارسی".encode() in response.content
    assert b'value="en"' in response.content


def test_choosing_a_language_is_saved_on_the_account_and_wins_over_the_browser(client):
    user = make_user("mina")
    client.force_login(user)
    response = client.post(reverse("set_language"), {"language": "fa", "next": reverse("project_list")})
    assert response.status_code == 302
    assert response.url == reverse("project_list")
    user.refresh_from_db()
    assert user.language == "fa"
    # A new browser with an English Accept-Language and no cookie: the account's choice still holds.
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME)
    page = client.get(reverse("project_list"), headers={"accept-language": "en"})
    assert html_tag(page) == '<html lang="fa" dir="rtl">'


def test_a_visitor_who_is_not_signed_in_keeps_the_choice_in_a_cookie(client):
    response = client.post(reverse("set_language"), {"language": "fa", "next": reverse("login")})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fa"
    page = client.get(reverse("login"), headers={"accept-language": "en"})
    assert html_tag(page) == '<html lang="fa" dir="rtl">'


def test_an_unknown_language_or_a_foreign_next_changes_nothing(client):
    user = make_user("mina")
    client.force_login(user)
    response = client.post(reverse("set_language"), {"language": "xx\x00", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response.url == "/"
    user.refresh_from_db()
    assert user.language == ""
    response = client.post(reverse("set_language"), {"language": "en", "next": "https://evil.example/"})
    assert response.url == "/"


def test_the_preferences_page_saves_language_and_calendar(client):
    user = make_user("mina")
    client.force_login(user)
    assert client.get(reverse("preferences")).status_code == 200
    response = client.post(reverse("preferences"), {"language": "en", "calendar": "jalali"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.language, user.calendar) == ("en", "jalali")


def test_the_preferences_page_refuses_a_calendar_that_does_not_exist(client):
    user = make_user("mina")
    client.force_login(user)
    response = client.post(reverse("preferences"), {"language": "", "calendar": "mayan"})
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.calendar == ""


def test_the_preferences_page_needs_a_signed_in_person(client):
    response = client.get(reverse("preferences"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# --- dates ----------------------------------------------------------------------------------------


def test_the_last_day_before_nowruz_is_29_esfand_and_nowruz_is_1_farvardin():
    with translation.override("en"):
        assert calendars.format_date(date(2026, 3, 20), calendar="jalali") == "29 Esfand 1404"
        assert calendars.format_date(date(2026, 3, 21), calendar="jalali") == "1 Farvardin 1405"
        assert calendars.format_date(date(2025, 3, 20), calendar="jalali") == "30 Esfand 1403"  # a leap year


def test_a_moment_is_dated_in_the_local_time_zone_across_the_year_boundary(settings):
    settings.TIME_ZONE = "Asia/Tehran"
    moment = datetime(2026, 3, 20, 21, 0, tzinfo=UTC)  # 00:30 on 21 March in Tehran: Nowruz
    with translation.override("en"):
        assert calendars.format_date(moment, calendar="jalali", with_time=True) == "1 Farvardin 1405, 00:30"
        assert calendars.format_date(moment, calendar="gregorian", with_time=True) == "2026-03-21, 00:30"


def test_persian_text_writes_persian_digits():
    with translation.override("fa"):
        assert calendars.format_date(date(2026, 3, 21), calendar="gregorian") == "۲۰۲۶-۰۳-۲۱"
    with translation.override("en"):
        assert calendars.format_date(date(2026, 3, 21), calendar="gregorian") == "2026-03-21"


def test_the_calendar_follows_the_language_unless_the_person_chose_one():
    with translation.override("fa"):
        assert calendars.current() == "jalali"
    with translation.override("en"):
        assert calendars.current() == "gregorian"
        calendars.activate("jalali")
        try:
            assert calendars.current() == "jalali"
        finally:
            calendars.activate(None)


def test_jalali_months_are_named_in_persian_with_persian_digits():
    with translation.override("fa"):
        assert calendars.format_date(date(2026, 3, 21), calendar="jalali") == "۱ فروردین ۱۴۰۵"
        assert calendars.format_date(date(2026, 3, 20), calendar="jalali") == "۲۹ اسفند ۱۴۰۴"


def test_a_next_that_is_no_url_name_still_redirects_and_changes_nothing(client):
    user = make_user("mina")
    client.force_login(user)
    for language in ("xx", "fa"):
        response = client.post(reverse("set_language"), {"language": language, "next": "٣"})
        assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == "fa"


def test_saving_unchanged_preferences_writes_nothing(client, django_assert_num_queries):
    user = make_user("mina")
    client.force_login(user)
    # session, user; no UPDATE of the user
    with django_assert_num_queries(2):
        response = client.post(reverse("preferences"), {"language": "", "calendar": ""})
    assert response.status_code == 302


def test_a_day_of_the_month_without_its_year_in_either_calendar():
    with translation.override("en"):
        assert calendars.format_day_month(date(2026, 3, 20), calendar="jalali") == "29 Esfand"
        assert calendars.format_day_month(date(2026, 3, 20), calendar="gregorian") == "20 Mar"
    with translation.override("fa"):
        assert calendars.format_day_month(date(2026, 3, 21), calendar="jalali") == "۱ فروردین"
