"""`{% load dates %}`: `{{ value|day }}`, `{{ value|day_month }}` and `{{ value|when }}` in the person's calendar,
`{{ number|digits }}` with the digits of the active language, `{% sep %}` between the parts of a line and
`{{ name|bdi }}` for a name inside a sentence."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
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


@register.filter
def bdi(value) -> SafeString:
    """A name typed by a person, isolated from the sentence around it (`<bdi>`): in a Persian line a Latin name
    would otherwise take the digits and punctuation beside it into its own left-to-right run ("به دست manager در ۱۶
    آذر" read in the wrong order). For text only: an attribute (title, aria-label) takes the name as it is."""
    return format_html("<bdi>{}</bdi>", value)
