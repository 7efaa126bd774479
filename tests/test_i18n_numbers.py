"""Numbers people type: Persian (and Arabic-Indic) digits read like Latin ones, and are validated like them."""

from __future__ import annotations

import pytest
from django import forms
from django.urls import reverse

from batches.models import Batch
from binaboard.params import NumberField, latin_digits, parse_number
from tests.batches.board_helpers import HTMX, client_for, seen, shown_message
from tests.factories import make_batch

Status = Batch.Status


@pytest.mark.parametrize(
    ("raw", "number"),
    [("۳", 3), ("۱۲۰", 120), ("٣", 3), ("12", 12), (" ۴۲ ", 42), ("1۲", 12), ("", None), ("²", None), ("-۳", None)],
)
def test_parse_number_reads_persian_digits_and_nothing_else(raw, number):
    assert parse_number(raw) == number


def test_latin_digits_leaves_everything_but_digits_alone():
    assert latin_digits("دستهٔ ۱۲ · part ٣/۴") == "دستهٔ 12 · part 3/4"


@pytest.mark.parametrize(
    ("text", "persian"),
    [
        ("1.5 MB", "۱٫۵ MB"),
        ("10,000 images", "۱۰٬۰۰۰ images"),
        ("1,234,567", "۱٬۲۳۴٬۵۶۷"),
        ("10, 20", "۱۰, ۲۰"),  # a list, not a number
        ("12,34", "۱۲,۳۴"),  # not a group of three
        ("1405/9/16 06:33", "۱۴۰۵/۹/۱۶ ۰۶:۳۳"),
    ],
)
def test_persian_numbers_take_the_persian_decimal_and_thousands_separators(text, persian):
    from django.utils import translation

    from accounts.calendars import localise_digits

    with translation.override("fa"):
        assert localise_digits(text) == persian
    with translation.override("en"):
        assert localise_digits(text) == text


@pytest.mark.parametrize(("raw", "number"), [("۷۰", 70), ("70", 70), ("٠", 0)])
def test_a_number_field_takes_persian_digits(raw, number):
    assert NumberField(min_value=0, max_value=100).clean(raw) == number


@pytest.mark.parametrize("raw", ["۷.۵", "7e2", "۱۰۱", "seven", "𝟕"])
def test_a_number_field_refuses_what_is_not_a_whole_number_in_range(raw):
    with pytest.raises(forms.ValidationError):
        NumberField(min_value=0, max_value=100).clean(raw)


@pytest.mark.parametrize(("raw", "limit"), [("-۲۰", "۰"), ("۱۰۱", "۱۰۰")])
def test_a_number_fields_range_error_names_its_limit_in_persian_digits(raw, limit):
    """Django's own message ("… greater than or equal to 0") would keep the limit in Latin digits."""
    from django.utils import translation

    with translation.override("fa"), pytest.raises(forms.ValidationError) as refused:
        NumberField(min_value=0, max_value=100).clean(raw)
    [message] = refused.value.messages
    assert limit in message and not any(digit in message for digit in "0123456789"), message


@pytest.mark.django_db
def test_assigning_part_with_persian_digits_assigns_that_many(project, manager, annotator):
    manager.language = "fa"
    manager.save(update_fields=["language"])
    batch = make_batch(project, manager, images=10)

    response = client_for(manager).post(
        reverse("batch_move", args=[project.pk, batch.pk]),
        {**seen(batch), "action": "assign", "dialog": "1", "assignees": [annotator.pk], "scope": "part", "count": "۳"},
        **HTMX,
    )

    rest = Batch.objects.get(split_from=batch)
    assert Batch.objects.get(pk=batch.pk).image_count == 3 and rest.image_count == 7
    assert Batch.objects.get(pk=batch.pk).status == Status.ANNOTATING
    text = shown_message(response)["text"]
    assert "تصویر" in text and "واگذارنشده" in text


@pytest.mark.django_db
def test_a_persian_count_beyond_the_batch_is_refused_like_any_other(project, manager, annotator):
    batch = make_batch(project, manager, images=10)

    response = client_for(manager).post(
        reverse("batch_move", args=[project.pk, batch.pk]),
        {**seen(batch), "action": "assign", "dialog": "1", "assignees": [annotator.pk], "scope": "part", "count": "۱۱"},
        **HTMX,
    )

    assert "has only 10 images." in response.content.decode()
    assert Batch.objects.get(pk=batch.pk).status == Status.UNASSIGNED


@pytest.mark.django_db
def test_the_assign_preview_reads_persian_digits(project, manager, annotator):
    batch = make_batch(project, manager, images=7)

    response = client_for(manager).get(
        reverse("batch_assign", args=[project.pk, batch.pk]),
        {**seen(batch), "preview": "1", "assignees": [annotator.pk], "scope": "part", "count": "۳"},
        **HTMX,
    )

    assert "3 images to annotator; the other 4 stay in Unassigned as a new batch." in response.content.decode()
