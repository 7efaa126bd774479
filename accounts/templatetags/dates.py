"""`{% load dates %}`: `{{ value|day }}`, `{{ value|day_month }}` and `{{ value|when }}` in the person's calendar, and
`{{ number|digits }}` with the digits of the active language."""

from django import template

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
