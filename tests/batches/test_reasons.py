"""Reasons stored in English by workers are shown in the reader's language (batches/reasons.py)."""

import pytest
from django.utils import translation

from batches.ingest.check import ACCEPTED_TEXT, what_it_is
from batches.reasons import ACCEPTED, translated


def test_a_refusal_written_by_a_worker_reads_in_persian():
    with translation.override("fa"):
        assert translated(what_it_is(b"<svg xmlns='x'>")).startswith("نقاشی‌های SVG پذیرفته نمی‌شوند")
        assert translated("file too large: over 9.8 KB") == "پرونده بیش از حد بزرگ است: بیش از ۹٫۸ کیلوبایت"


def test_names_inside_a_reason_are_kept_as_they_were_typed():
    with translation.override("fa"):
        assert translated("duplicate of img_01.jpg in batch B 2") == "تکراریِ img_01.jpg در دستهٔ B 2"


def test_several_notes_are_translated_one_by_one():
    with translation.override("fa"):
        assert translated("turned upright (EXIF orientation 6); first frame only") == (
            "راست شد (جهت EXIF برابر ۶)؛ فقط قاب نخست"
        )


@pytest.mark.parametrize("text", ["something a person typed", "", None])
def test_text_that_is_no_known_reason_is_shown_as_it_is(text):
    with translation.override("fa"):
        assert translated(text) == (text or "")


def test_english_readers_see_the_stored_english():
    with translation.override("en"):
        assert translated("first frame only") == "first frame only"


def test_the_accepted_formats_in_the_sentences_match_the_checker():
    assert ACCEPTED == ACCEPTED_TEXT


@pytest.mark.django_db
def test_the_upload_page_script_reads_the_refusals_in_the_persons_language(client, project, manager):
    from django.urls import reverse

    from batches.models import UploadFile, UploadSession

    manager.language = "fa"
    manager.save(update_fields=["language"])
    session = UploadSession.objects.create(
        project=project, created_by=manager, name="Night", status=UploadSession.Status.DONE, expected=1, failed=1
    )
    UploadFile.objects.create(
        session=session,
        project=project,
        original_name="drawing.svg",
        state=UploadFile.State.FAILED,
        reason="SVG drawings are not accepted (they can carry scripts); export it as PNG",
    )
    client.force_login(manager)
    answer = client.get(reverse("upload_session_status", args=[project.pk, session.pk])).json()
    assert answer["refused"] == [
        {
            "name": "drawing.svg",
            "reason": "نقاشی‌های SVG پذیرفته نمی‌شوند (ممکن است اسکریپت داشته باشند)؛ آن را به PNG برگردانید",
        }
    ]
