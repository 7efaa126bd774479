"""`{% load dates %}`: `{{ value|day }}`, `{{ value|day_month }}` and `{{ value|when }}` in the person's calendar,
`{{ number|digits }}` with the digits of the active language, and `{% sep %}` between the parts of a line."""

from django import template
from django.utils.translation import pgettext

from accounts.calendars import format_date, format_day_month, localise_digits

register = template.Library()


@register.filter
def day(value) -> str:
    return format_date(value)


@register.filter
def day_month(value) -> str:
    return format_day_month(value)


@register.filter
def when(value) -> str:
    return format_date(value, with_time=True)


@register.filter
def digits(value) -> str:
    return localise_digits(str(value))


@register.simple_tag
def sep() -> str:
    """The separator between the parts of a line, as in "640×480 · 3 boxes". Persian writes "، " instead:
    beside Persian digits a middle dot reads as one more of them (it is the Persian zero), "۱ · ۱۰" as "۱۰۱۰"."""
    return pgettext("between the parts of a line", " · ")
