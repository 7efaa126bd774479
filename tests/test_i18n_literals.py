"""No user-visible English outside translation calls: templates and the messages Python shows to people.

Two light scanners keep later work from adding untranslated text:

- templates: every text node and every attribute a person reads (title, alt, placeholder, aria-label, a button's
  value, and data-* attributes holding a sentence for JavaScript to show) must come from {% translate %},
  {% blocktranslate %} or a {{ variable }}; what is left after removing those must hold no letters.
- Python: the first argument of messages.*(), ValidationError(), WorkflowError(), add_error() and
  PermissionDenied() must not be a bare string literal, an f-string or a literal being formatted.

Nothing is exempted silently: the allow-lists below are the whole of it, each entry with its reason.
"""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings

BASE = Path(settings.BASE_DIR)
TEMPLATES = sorted(p for p in (BASE / "templates").rglob("*.html"))
PYTHON = sorted(
    p
    for package in ("accounts", "batches", "binaboard")
    for p in (BASE / package).rglob("*.py")
    if "migrations" not in p.parts
)

# Text a person reads that is the same in every language (product name, file formats, units of the wire).
ALLOWED_TEXT = {
    "BinaBoard",  # the product's name
    "COCO",  # export formats, named as their tools name them
    "YOLO",
    "Pascal VOC",
    "JSON",
    "ZIP",
    "English",  # the language switcher names each language in itself
    "فارسی",
}

# Attributes whose value a person reads (or a screen reader says).
READ_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description", "aria-roledescription", "label"}
BUTTON_INPUT_TYPES = {"submit", "button", "reset"}
# A data-* attribute holds a sentence for JavaScript to show when it has two words in a row.
SENTENCE = re.compile(r"[^\W\d_]{2,}\s+[^\W\d_]{2,}")
LETTER = re.compile(r"[^\W\d_]")

# Django template syntax, replaced by a neutral mark before the HTML is read.
# A block named like `bodyclass` or `main_class` holds CSS class names, not text.
CLASS_BLOCK = re.compile(r"({%\s*block\s+\w*class\w*\s*%}).*?({%\s*endblock\b.*?%})", re.S)
COMMENT_BLOCK = re.compile(r"{%\s*comment\b.*?%}.*?{%\s*endcomment\s*%}", re.S)
BLOCKTRANSLATE = re.compile(r"{%\s*blocktrans(?:late)?\b.*?%}.*?{%\s*endblocktrans(?:late)?\s*%}", re.S)
VERBATIM_SCRIPT = re.compile(r"<(script|style|kbd)\b[^>]*>.*?</\1\s*>", re.S | re.I)
TAG_OR_VARIABLE = re.compile(r"{%.*?%}|{{.*?}}|{#.*?#}", re.S)
MARK = "\u2063"  # invisible separator: no letter, no quote


def template_source_without_django(source: str) -> str:
    source = COMMENT_BLOCK.sub(MARK, source)
    source = CLASS_BLOCK.sub(MARK, source)
    source = BLOCKTRANSLATE.sub(MARK, source)
    source = TAG_OR_VARIABLE.sub(MARK, source)
    # Scripts are vendored or read data attributes; styles hold no text; <kbd> names a key as printed on it.
    return VERBATIM_SCRIPT.sub(MARK, source)


def is_allowed(text: str) -> bool:
    text = " ".join(text.replace(MARK, " ").split())
    for word in sorted(ALLOWED_TEXT, key=len, reverse=True):
        text = text.replace(word, " ")
    return not LETTER.search(text)


class LiteralFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []

    def note(self, text: str):
        if not is_allowed(text):
            self.found.append((self.getpos()[0], " ".join(text.replace(MARK, " ").split())))

    def handle_data(self, data):
        self.note(data)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if value is None:
                continue
            if (
                name in READ_ATTRIBUTES
                or (name == "value" and tag == "input" and attributes.get("type") in BUTTON_INPUT_TYPES)
                or (name.startswith("data-") and SENTENCE.search(value.replace(MARK, " ")))
            ):
                self.note(value)

    handle_startendtag = handle_starttag


def literals_in_template(source: str) -> list[tuple[int, str]]:
    finder = LiteralFinder()
    finder.feed(template_source_without_django(source))
    finder.close()
    return finder.found


# Files that other helpers of this session wrap on their own branches (OWNERS.md); each is expected to fail here
# until their branch is merged, and passes (XPASS) after. Remove an entry once its owner's work is in main.
WRAPPED_BY_OTHERS = {}


def owned_elsewhere(paths):
    for path in paths:
        name = str(path.relative_to(BASE))
        owner = WRAPPED_BY_OTHERS.get(name)
        marks = [pytest.mark.xfail(reason=f"wrapped by {owner} on its branch", strict=False)] if owner else []
        yield pytest.param(path, id=name, marks=marks)


@pytest.mark.parametrize("path", owned_elsewhere(TEMPLATES))
def test_templates_have_no_text_outside_translate_tags(path):
    assert literals_in_template(path.read_text()) == []


def test_the_template_scanner_finds_a_planted_literal():
    source = (
        "{% load i18n %}<p>{% translate 'Board' %}</p>"
        '<button title="Move the batch" aria-label="{% translate "Move" %}">Move</button>'
        '<input type="submit" value="Save"><span data-empty="Nothing here yet">{{ batch.name }}</span>'
        "{% blocktranslate count counter=n %}one image{% plural %}{{ counter }} images{% endblocktranslate %}"
        "<!-- a comment --> {# note #} &larr; 3 · 12% <code>BinaBoard</code>"
    )
    assert [text for _, text in literals_in_template(source)] == [
        "Move the batch",
        "Move",
        "Save",
        "Nothing here yet",
    ]


# -- Python ---------------------------------------------------------------------------------------------------

MESSAGE_CALLS = {"ValidationError", "WorkflowError", "PermissionDenied", "MembershipError", "RoleError", "ExportError"}
MESSAGES_FUNCTIONS = {"debug", "info", "success", "warning", "error"}


def is_literal_text(node: ast.AST) -> bool:
    """A string a person would read that no gettext call produced."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(LETTER.search(node.value))
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(part, ast.Constant) and LETTER.search(part.value) for part in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return is_literal_text(node.left) or (isinstance(node.op, ast.Add) and is_literal_text(node.right))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return is_literal_text(node.func.value)
    return False


def call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        owner = func.value.id if isinstance(func.value, ast.Name) else ""
        return f"{owner}.{func.attr}"
    return ""


def message_argument(node: ast.Call) -> ast.AST | None:
    name = call_name(node)
    short = name.rsplit(".", 1)[-1]
    if short in MESSAGE_CALLS:
        return node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "message"), None)
    if name.startswith("messages.") and short in MESSAGES_FUNCTIONS:
        return (
            node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "message"), None)
        )
    if short == "add_error":
        return node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "error"), None)
    return None


def literal_messages(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            argument = message_argument(node)
            if argument is not None and is_literal_text(argument):
                found.append((node.lineno, ast.unparse(argument)[:80]))
    return found


@pytest.mark.parametrize("path", owned_elsewhere(PYTHON))
def test_python_messages_are_translatable(path):
    assert literal_messages(path.read_text()) == []


def test_the_python_scanner_finds_planted_literals():
    source = """
from django.utils.translation import gettext as _
raise WorkflowError("Choose at least one image.", kind="invalid")
raise WorkflowError(_("Choose at least one image."), kind="invalid")
messages.success(request, f"Moved {name}.")
messages.success(request, _("Moved %(name)s.") % {"name": name})
raise ValidationError("Too long: %s" % n)
form.add_error("count", "Give a number.")
form.add_error(None, _("Give a number."))
raise PermissionDenied
"""
    assert [line for line, _ in literal_messages(source)] == [3, 5, 7, 8]


# makemessages finds only the names it knows (gettext, gettext_lazy, ngettext, pgettext, ..., and `_`): a string
# wrapped in an alias such as `_lazy` is translated by nobody.
EXTRACTED_NAMES = {
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}


def unextracted_aliases(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            for alias in node.names:
                if alias.name in EXTRACTED_NAMES and alias.asname not in (None, "_"):
                    found.append(f"{alias.name} as {alias.asname}")
    return found


@pytest.mark.parametrize("path", owned_elsewhere(PYTHON))
def test_translation_functions_keep_names_makemessages_knows(path):
    assert unextracted_aliases(path.read_text()) == []


def test_the_alias_check_finds_an_alias_makemessages_would_miss():
    source = "from django.utils.translation import gettext as _, gettext_lazy as _lazy, ngettext\n"
    assert unextracted_aliases(source) == ["gettext_lazy as _lazy"]
