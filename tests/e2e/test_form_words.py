"""The browser's own form checks speak the page's language, not the browser's (app.js, #form-words).

A Persian page in an English Chromium said "Please fill out this field." for a required comment a dialog
left empty, "Please select a file." and the like.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.e2e.board_helpers import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The kinds of field the app's forms check in the browser: a required comment (reject, reopen), the
# "put undone images into the Dataset" tick, a file, a number with a range (assign "first N").
FIELDS = """
<textarea id="comment" required></textarea>
<input id="tick" type="checkbox" required>
<input id="archive" type="file" required>
<input id="n" type="number" min="1" max="3" value="9">
"""


def _refused(page, selector: str) -> str:
    """Send the field's form as a person would, and read what the browser then says about the field."""
    return page.locator(selector).evaluate("f => { f.form.requestSubmit(); return f.validationMessage; }")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "fa",
            {
                "#comment": "این خانه را پر کنید.",
                "#tick": "برای ادامه، این گزینه را تیک بزنید.",
                "#archive": "یک فایل انتخاب کنید.",
                "#n": "عدد ۳ یا کمتر وارد کنید.",
            },
        ),
        (
            "en",
            {
                "#comment": "Fill in this field.",
                "#tick": "Tick this box to go on.",
                "#archive": "Choose a file.",
                "#n": "Enter 3 or less.",
            },
        ),
    ],
)
def test_the_browsers_form_checks_speak_the_pages_language_and_clear_when_the_field_changes(
    board_page, live_server, project, manager, language, expected
):
    page = board_page
    manager.language = language
    manager.save(update_fields=["language"])
    login(page, live_server, manager)
    page.goto(live_server.url + reverse("label_import", args=[project.pk]))
    page.evaluate(
        """(fields) => {
            const form = document.createElement('form');
            form.innerHTML = fields;
            document.getElementById('main').append(form);
        }""",
        FIELDS,
    )

    for selector, words in expected.items():
        assert _refused(page, selector) == words
        page.locator(selector).evaluate("f => f.removeAttribute('required')") if selector != "#n" else None

    page.fill("#n", "2")
    assert page.locator("#n").evaluate("f => f.validity.valid && f.validationMessage === ''")
    page.fill("#comment", "")
    page.locator("#comment").evaluate("f => f.setAttribute('required', '')")
    assert _refused(page, "#comment") == expected["#comment"]
    page.fill("#comment", "Tighten the boxes")  # typing clears the page's words: the field is valid again
    assert page.locator("#comment").evaluate("f => f.validity.valid && f.validationMessage === ''")
