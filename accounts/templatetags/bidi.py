"""Names inside translated sentences, isolated so a Latin name does not reorder a Persian sentence around it."""

from django import template

from accounts.calendars import isolate

register = template.Library()


@register.filter
def isolated(value) -> str:
    return isolate(str(value))
