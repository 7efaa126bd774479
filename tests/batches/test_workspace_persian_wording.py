"""Persian wording on the batch page and the annotate workspace that a QA pass found read wrong."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from batches import workflow
from tests.batches.board_helpers import client_for
from tests.factories import make_batch
from tests.test_i18n_pages import visible_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def annotating(project, manager, annotator):
    batch = make_batch(project, manager, images=2)
    workflow.assign(actor=manager, batch=batch, assignees=[annotator])
    batch.refresh_from_db()
    return batch


def persian(user):
    user.language = "fa"
    user.save(update_fields=["language"])
    return client_for(user)


def test_the_batch_page_names_the_column_without_saying_in_twice(annotating, annotator):
    text = visible_text(
        persian(annotator).get(reverse("batch_detail", args=[annotating.project_id, annotating.pk])).content.decode()
    )

    assert "در حال برچسب‌گذاری" in text
    assert "در در " not in text


def test_the_keyboard_help_separates_keys_with_the_persian_comma_and_keeps_shift_apart_from_numbers(
    annotating, annotator
):
    html = persian(annotator).get(reverse("annotate", args=[annotating.project_id, annotating.pk])).content.decode()
    help_list = html[html.index('<dl class="keys">') : html.index("</dl>")]

    assert "<kbd>B</kbd>، " in help_list
    assert "</kbd>, " not in help_list
    # "Shift: ۱۰" runs left to right inside the Persian line and shows as "۱۰ :Shift".
    assert not re.search(r"Shift:\s*[۰-۹]", help_list)
