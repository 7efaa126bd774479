"""Reading ids, numbers, text and JSON from user input: one place, so no input ends in a 500.

Ids: anything that is not a plain in-range number is None. `str.isdigit()` accepts "²" and "٣",
which `int()` then refuses, and a 30-digit id overflows the database's 64-bit integers: both used
to end in a 500.

Text: PostgreSQL refuses a NUL character in any text (a 500 from the search box, a note or a name),
bidi overrides make a name read differently from what it is, and invisible characters make look-alikes
("car" and "car" + U+200B are two class names that read the same on the board and in exports). The
policy is one for all text: invisible control characters, bidi overrides/isolates and invisible
formatting characters (zero-width space, word joiner, invisible operators, BOM, Mongolian vowel
separator, soft hyphen) are removed (tab and newline are kept in multi-line text, single-line text gets
a space for them), the ends are trimmed, and the length is capped. The zero-width non-joiner and joiner
stay inside words (Persian writes «می‌خواهم» with a ZWNJ), but go where they join nothing: at either end
and next to a space; a run of them is one. Forms get the same through `CleanCharField`; a form still
refuses text that is too long.

Numbers a person types (a count, a percentage, a seed): Persian (۰–۹) and Arabic-Indic (٠–٩) digits
read like Latin ones, since a Persian keyboard types them; `parse_number` and `NumberField` turn them
into Latin digits first and then validate the number like any other. Ids stay strict (machines write them).

JSON: a body is parsed only when it is small enough and not nested too deeply; Python's parser
recurses once per bracket and a body of 10,000 "[" ends in a RecursionError.
"""

from __future__ import annotations

import json
import re

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.calendars import localise_digits

MAX_ID = 2**63 - 1
# Longer than any text a person types into one field here; a domain limit below it still refuses
# (with its own message) what is too long for that field.
MAX_TEXT = 20_000
MAX_JSON_BYTES = 1_000_000
MAX_JSON_DEPTH = 20

# Bidi embeddings, overrides and isolates (LRE..RLO, LRI..PDI). The marks LRM/RLM and the
# zero-width (non-)joiners stay: Persian text needs them.
_BIDI = "\u202a-\u202e\u2066-\u2069"
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
# Invisible formatting characters that Persian does not need: ZWSP, word joiner, invisible operators,
# BOM (zero-width no-break space), Mongolian vowel separator, soft hyphen.
_FORMATTING = "\u200b\u2060-\u2064\ufeff\u180e\u00ad"
_INVISIBLE = re.compile(f"[{_CONTROLS}{_BIDI}{_FORMATTING}]")
_JOINERS = "\u200c\u200d"  # ZWNJ, ZWJ
_JOINER_RUN = re.compile(f"[{_JOINERS}]{{2,}}")
_JOINER_BY_SPACE = re.compile(f"[{_JOINERS}]+(?=\\s)|(?<=\\s)[{_JOINERS}]+")
_JOINERS_AND_SPACES_AT_ENDS = re.compile(f"^[\\s{_JOINERS}]+|[\\s{_JOINERS}]+$")
_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029]")
_SINGLE_LINE_SPACES = re.compile(r"[\t\n]")
# A JSON string (skipped whole: brackets inside it do not nest) or a bracket.
_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


# Persian and Arabic-Indic digits to Latin ones; any other non-ASCII digit stays and is refused.
_LOCAL_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "0123456789" * 2)


def latin_digits(text: str) -> str:
    """The text with Persian and Arabic-Indic digits written as Latin digits."""
    return text.translate(_LOCAL_DIGITS)


def parse_number(raw) -> int | None:
    """A non-negative whole number a person typed, in Latin or Persian digits, else None."""
    if isinstance(raw, str):
        raw = latin_digits(raw)
    return parse_id(raw)


def parse_id(raw) -> int | None:
    """A non-negative database id or offset from a query string or form, else None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    else:
        text = str(raw if raw is not None else "").strip()
        if not (text.isascii() and text.isdigit()):
            return None
        value = int(text)
    return value if 0 <= value <= MAX_ID else None


def clean_text(raw, *, max_length: int | None, multiline: bool = False) -> str:
    """Text a person typed, without invisible control, bidi or formatting characters, trimmed, at most max_length long.

    Anything that is not a string (None, a number or list from JSON) is the empty text.
    """
    if not isinstance(raw, str):
        return ""
    text = _LINE_BREAKS.sub("\n", raw)
    text = _INVISIBLE.sub("", text)
    if not multiline:
        text = _SINGLE_LINE_SPACES.sub(" ", text)
    text = _JOINER_RUN.sub(lambda run: run.group()[0], text)
    text = _JOINER_BY_SPACE.sub("", text)
    text = _trim(text)
    return text if max_length is None else _trim(text[:max_length])


def _trim(text: str) -> str:
    """Without spaces, or joiners that join nothing, at either end."""
    return _JOINERS_AND_SPACES_AT_ENDS.sub("", text)


class CleanCharField(forms.CharField):
    """A CharField whose text goes through clean_text (multi-line with a Textarea); max_length still refuses."""

    def to_python(self, value):
        if value not in self.empty_values:
            value = clean_text(str(value), max_length=None, multiline=isinstance(self.widget, forms.Textarea))
        return super().to_python(value)


class NumberInput(forms.TextInput):
    """A text box for a whole number: `type="number"` would refuse the Persian digits people type."""

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "numeric", "autocomplete": "off", **(attrs or {})})


class NumberField(forms.IntegerField):
    """An IntegerField that reads Persian and Arabic-Indic digits; only digits (and a leading minus) pass."""

    widget = NumberInput
    default_error_messages = {"invalid": gettext_lazy("Enter a whole number.")}

    def to_python(self, value):
        if isinstance(value, str):
            value = latin_digits(value.strip())
            if value and not re.fullmatch(r"-?[0-9]+", value):
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)

    def widget_attrs(self, widget):
        # min/max stay as data for the page; the text box itself takes any digits.
        return {}

    def run_validators(self, value):
        # Django's "greater than or equal to 0" writes its limit in Latin digits: the reader's digits instead.
        try:
            super().run_validators(value)
        except forms.ValidationError as error:
            for each in error.error_list:
                if each.params:
                    each.params = {key: localise_digits(str(v)) for key, v in each.params.items()}
            raise


class JsonBodyError(ValueError):
    """A request body that is not JSON this app takes; the message says why, for a 400 answer."""


def parse_json_body(body: bytes, *, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH):
    """The JSON value of a request body, refused (JsonBodyError) when too big, too deep or not JSON."""
    if len(body) > max_bytes:
        raise JsonBodyError(_("The request is too large (over %(size)s bytes).") % {"size": max_bytes})
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise JsonBodyError(_("The request is not valid JSON (it is not UTF-8 text).")) from None
    if _nests_deeper(text, max_depth):
        raise JsonBodyError(_("The request nests more than %(depth)s levels deep.") % {"depth": max_depth})
    try:
        return json.loads(text)
    except ValueError:
        raise JsonBodyError(_("The request is not valid JSON.")) from None


def _nests_deeper(text: str, max_depth: int) -> bool:
    """Whether brackets outside strings nest deeper than max_depth, found before the recursive parser runs; it
    stops at the first bracket too deep (a hostile body of 10,000 "[" is refused after max_depth of them)."""
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        bracket = match.group()
        if bracket in "[{":
            depth += 1
            if depth > max_depth:
                return True
        elif bracket in "]}":
            depth -= 1
    return False
