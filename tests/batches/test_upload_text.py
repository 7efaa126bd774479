"""The words upload.js shows come from the server, translated: every key in Persian, both plural forms."""

from __future__ import annotations

import html
import json
import re

import pytest
from django.urls import reverse
from django.utils import translation

from batches.templatetags.upload_text import texts
from tests.batches.board_helpers import client_for

pytestmark = pytest.mark.django_db

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def test_every_word_of_the_upload_script_is_translated_to_persian_with_the_same_placeholders():
    english = texts()
    with translation.override("fa"):
        persian = texts()
    assert english.keys() == persian.keys()
    for key, text in english.items():
        if isinstance(text, dict):
            for form in ("one", "other"):
                assert persian[key][form] != text[form], key
                assert set(PLACEHOLDER.findall(persian[key][form])) == set(PLACEHOLDER.findall(text[form])), key
        elif isinstance(text, str):
            assert persian[key] != text, key
            assert set(PLACEHOLDER.findall(persian[key])) == set(PLACEHOLDER.findall(text)), key
    assert english["chosen"]["one"] != english["chosen"]["other"]


def test_the_upload_page_hands_the_words_to_the_script(project, manager):
    page = client_for(manager).get(reverse("upload", args=[project.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    found = re.findall(r'<script src="[^"]*upload[^"]*\.js" [^>]*data-text="([^"]*)"', page)
    assert found
    assert json.loads(html.unescape(found[0]))["chooseFirst"] == "Choose some images, a folder or a .zip archive first."
