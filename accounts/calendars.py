"""Dates as each person reads them: the Gregorian or the Solar Hijri (Jalali) calendar.

Like Django's active language, the active calendar belongs to the request being answered: the
preferences middleware activates the person's choice, and the `dates` template filters read it.
Jalali dates come from jdatetime; month names are translated like any other string.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from datetime import date, datetime

import jdatetime
from django.utils import dateformat, timezone
from django.utils.translation import get_language, get_language_bidi, gettext, pgettext_lazy

GREGORIAN = "gregorian"
JALALI = "jalali"

_active: ContextVar[str | None] = ContextVar("calendar", default=None)

JALALI_MONTHS = [
    pgettext_lazy("Jalali month", "Farvardin"),
    pgettext_lazy("Jalali month", "Ordibehesht"),
    pgettext_lazy("Jalali month", "Khordad"),
    pgettext_lazy("Jalali month", "Tir"),
    pgettext_lazy("Jalali month", "Mordad"),
    pgettext_lazy("Jalali month", "Shahrivar"),
    pgettext_lazy("Jalali month", "Mehr"),
    pgettext_lazy("Jalali month", "Aban"),
    pgettext_lazy("Jalali month", "Azar"),
    pgettext_lazy("Jalali month", "Dey"),
    pgettext_lazy("Jalali month", "Bahman"),
    pgettext_lazy("Jalali month", "Esfand"),
]

PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
PERSIAN_DECIMAL = re.compile(r"(?<=[۰-۹])\.(?=[۰-۹])")
PERSIAN_THOUSANDS = re.compile(r"(?<=[۰-۹]),(?=[۰-۹]{3}(?![۰-۹]))")


def default_for(language: str | None) -> str:
    return JALALI if (language or "").split("-")[0] == "fa" else GREGORIAN


def activate(calendar: str | None) -> None:
    _active.set(calendar or None)


def current() -> str:
    """The active calendar, or the one the active language reads by default."""
    return _active.get() or default_for(get_language())


def isolate(text: str) -> str:
    """A name or a comment in a sentence, in Unicode isolates (FSI … PDI) when the language is right to left:
    "maryam 3 دسته …" would otherwise read the number as part of the Latin name, and "«Night traffic»، ۶ تصویر"
    would show the digits on the wrong side of the name. Plain text (toasts, refusals, e-mails) and attributes
    alike; in a left-to-right language the text is left as it is."""
    return f"\u2068{text}\u2069" if text and get_language_bidi() else text


def localise_digits(text: str) -> str:
    """Digits as the active language writes them in running text: Persian digits in Persian, with the Persian
    decimal (٫) and thousands (٬) separators inside a number ("1.5 MB" → "۱٫۵ MB", "10,000" → "۱۰٬۰۰۰")."""
    if not (get_language() or "").startswith("fa"):
        return text
    text = text.translate(PERSIAN_DIGITS)
    return PERSIAN_THOUSANDS.sub("\u066c", PERSIAN_DECIMAL.sub("\u066b", text))


def _local(value: date | datetime) -> date | datetime:
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def _jalali(value: date | datetime) -> jdatetime.date:
    return jdatetime.date.fromgregorian(date=value.date() if isinstance(value, datetime) else value)


def format_day_month(value: date | datetime | None, *, calendar: str | None = None) -> str:
    """'29 Esfand' or '20 Mar': a day of this year (a chart's tick, a date a few days away) in the active calendar."""
    if value is None:
        return ""
    value = _local(value)
    if (calendar or current()) == JALALI:
        day = _jalali(value)
        return localise_digits(f"{day.day} {JALALI_MONTHS[day.month - 1]}")
    return localise_digits(dateformat.format(value, "j M"))


def format_date(value: date | datetime | None, *, with_time: bool = False, calendar: str | None = None) -> str:
    """'29 Esfand 1404, 14:05' or '2026-03-20 14:05': the day (and time) in the active calendar."""
    if value is None:
        return ""
    value = _local(value)
    calendar = calendar or current()
    if calendar == JALALI:
        day = _jalali(value)
        text = f"{day.day} {JALALI_MONTHS[day.month - 1]} {day.year}"
    else:
        text = f"{value:%Y-%m-%d}"
    if with_time and isinstance(value, datetime):
        text = gettext("%(day)s, %(time)s") % {"day": text, "time": f"{value:%H:%M}"}
    return localise_digits(text)
