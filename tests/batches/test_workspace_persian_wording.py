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


@pytest.fixture
def returned_with_a_flag(annotating, annotator, reviewer):
    submitted = workflow.submit(actor=annotator, batch=annotating)
    image = submitted.images.order_by("pk").first()
    image.review_flag, image.review_note = True, "The bus has no box."
    image.save(update_fields=["review_flag", "review_note"])
    return workflow.reject(actor=reviewer, batch=submitted, comment="Box every bus.")


def test_what_the_reviewer_typed_keeps_its_own_direction_on_a_persian_page(returned_with_a_flag, annotator):
    batch = returned_with_a_flag
    html = persian(annotator).get(reverse("annotate", args=[batch.project_id, batch.pk])).content.decode()

    # An English note in a right-to-left paragraph shows its full stop at the wrong end: ".The bus has no box".
    assert '<p id="flag-note-text" dir="auto">The bus has no box.</p>' in html
    assert "<bdi>The bus has no box.</bdi>" in html
    # The separator after the quoted comment is "، " with no space before it.
    assert '</q><span class="muted">، ' in html


def test_the_review_page_lets_the_flag_notes_take_their_own_direction(annotating, annotator, reviewer):
    submitted = workflow.submit(actor=annotator, batch=annotating)
    image = submitted.images.order_by("pk").first()
    image.review_flag, image.review_note = True, "The bus has no box."
    image.save(update_fields=["review_flag", "review_note"])

    html = persian(reviewer).get(reverse("review", args=[submitted.project_id, submitted.pk])).content.decode()

    # Not the empty boxes: dir="auto" on an empty textarea turns its Persian hint left to right.
    assert not re.search(r'<textarea[^>]* dir="auto"', html)
    assert ": <bdi>The bus has no box.</bdi>" in html
