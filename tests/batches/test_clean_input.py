"""Each input that used to end in a 500 (on PostgreSQL, or with any database) now gets an answer.

The text cases are the PostgreSQL ones (it refuses a NUL in text); on SQLite they check that what is
stored is the cleaned text. tests/test_hostile_urls.py walks every URL; these pin each fix on its own.
"""

import json

import pytest
from django.test import Client
from django.urls import reverse

from batches import annotating, workflow
from batches.models import Batch, Image, Project
from batches.params import CleanCharField, JsonBodyError, clean_text, parse_json_body
from tests.batches import ingest_samples as samples
from tests.batches.board_helpers import client_for
from tests.batches.test_upload_view import upload_files
from tests.factories import batch_in

NUL_AND_BIDI = "Street\x00\u202e-07\u2066\x1b"


# --- the helpers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "multiline", "expected"),
    [
        ("a\x00b", False, "ab"),
        ("\u202eevil\u202c \u2066x\u2069", False, "evil x"),
        ("tab\tand\nline", False, "tab and line"),
        ("tab\tand\r\nline\x7f\x85", True, "tab\tand\nline"),
        ("  padded  ", False, "padded"),
        ("\u0641\u0627\u200c\u200f\u0633", False, "\u0641\u0627\u200c\u200f\u0633"),  # Persian ZWNJ and RLM stay
        (None, False, ""),
        (["a list"], False, ""),
        (17, False, ""),
    ],
)
def test_clean_text_removes_invisible_controls_and_bidi_overrides(raw, multiline, expected):
    assert clean_text(raw, max_length=100, multiline=multiline) == expected


def test_clean_text_caps_the_length():
    assert clean_text("x" * 10_000, max_length=200) == "x" * 200


def test_a_clean_char_field_cleans_and_still_refuses_text_too_long():
    field = CleanCharField(max_length=5)
    assert field.clean("\u202eab\x00c") == "abc"
    with pytest.raises(Exception, match="at most 5"):
        field.clean("abcdefg")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[" * 10_000 + b"]" * 10_000, "nests more than"),
        (b'{"boxes": ' + b"[" * 30 + b"]" * 30 + b"}", "nests more than"),
        (b"\xff\xfe", "not UTF-8"),
        (b"{nope", "not valid JSON"),
        (b"x" * 2_000_000, "too large"),
    ],
)
def test_json_bodies_too_deep_too_big_or_malformed_are_refused_before_parsing(body, message):
    with pytest.raises(JsonBodyError, match=message):
        parse_json_body(body)


def test_brackets_inside_strings_do_not_count_as_nesting():
    assert parse_json_body(b'{"note": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\"["}') == {"note": "[" * 40 + '"['}


# --- the views -----------------------------------------------------------------------------------


@pytest.fixture
def annotating_batch(project, manager, annotator):
    return batch_in(Batch.Status.ANNOTATING, project, manager=manager, annotator=annotator, images=2, name="Street-07")


@pytest.fixture
def review_batch(project, manager, annotator, reviewer):
    batch = batch_in(Batch.Status.ANNOTATING, project, manager=manager, annotator=annotator, images=2)
    return workflow.submit(actor=annotator, batch=Batch.objects.get(pk=batch.pk))


def test_a_board_search_with_invisible_characters_finds_the_batch_on_all_three_endpoints(
    project, annotator, annotating_batch
):
    client = client_for(annotator)
    board = client.get(reverse("board", args=[project.pk]), {"q": NUL_AND_BIDI})
    column_url = reverse("board_column", args=[project.pk, "annotating"])
    column = client.get(column_url, {"q": NUL_AND_BIDI, "after": f"-1.0_{annotating_batch.pk}"})
    poll = client.get(reverse("board_version", args=[project.pk]), {"q": NUL_AND_BIDI, "token": ""})
    assert (board.status_code, column.status_code, poll.status_code) == (200, 200, 200)
    assert "Street-07" in board.content.decode()


def test_a_deeply_nested_annotation_body_is_a_400_with_a_message(annotating_batch, annotator):
    image = annotating_batch.images.first()
    url = reverse("annotate_save", args=[annotating_batch.project_id, annotating_batch.pk, image.pk])
    body = json.dumps({"boxes": []})[:-1] + ', "x": ' + "[" * 10_000 + "]" * 10_000 + "}"
    response = client_for(annotator).post(url, body, content_type="application/json")
    assert response.status_code == 400
    assert "nests more than" in response.json()["error"]
    assert "Nothing was saved" in response.json()["error"]


def test_a_flag_note_with_invisible_characters_is_stored_clean(review_batch, reviewer):
    image = review_batch.images.order_by("pk").first()
    url = reverse("review_flag", args=[review_batch.project_id, review_batch.pk, image.pk])
    response = client_for(reviewer).post(url, {"flagged": "1", "note": "blurry\x00\u202e car\r\nleft"})
    assert response.status_code == 302
    assert Image.objects.get(pk=image.pk).review_note == "blurry car\nleft"


@pytest.mark.parametrize("flagged", ["\u0663", "yes", ""])
def test_a_flag_answer_that_is_neither_flag_nor_unflag_is_refused_and_keeps_the_flag(review_batch, reviewer, flagged):
    image = review_batch.images.order_by("pk").first()
    annotating.flag_image(actor=reviewer, image=image, flagged=True, note="blurry")
    url = reverse("review_flag", args=[review_batch.project_id, review_batch.pk, image.pk])
    response = client_for(reviewer).post(url, {"flagged": flagged}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Flag the image or remove its flag." in response.headers["HX-Trigger"]
    assert Image.objects.filter(pk=image.pk, review_flag=True, review_note="blurry").exists()


def test_a_reject_comment_with_invisible_characters_is_stored_clean(review_batch, reviewer):
    url = reverse("review_reject", args=[review_batch.project_id, review_batch.pk])
    data = {"version": review_batch.version, "comment": "\u202eBoxes\x00 missing"}
    client_for(reviewer).post(url, data)
    assert Batch.objects.get(pk=review_batch.pk).review_comment == "Boxes missing"


def test_an_upload_name_and_folder_with_invisible_characters_are_stored_clean(project, manager):
    url = reverse("upload", args=[project.pk])
    files = upload_files(("street_1.jpg", samples.jpeg()))
    client_for(manager).post(url, {"files": files, "name": NUL_AND_BIDI, "folder": "F\x00older"})
    assert Batch.objects.get(project=project).name == "Street-07"
    files = upload_files(("street_2.jpg", samples.jpeg(seed=3)))
    client_for(manager).post(url, {"files": files, "name": "", "folder": "F\x00older\u202e"})
    assert Batch.objects.filter(project=project, name="Folder").exists()


def test_a_project_name_from_the_form_loses_its_bidi_override(superuser):
    client_for(superuser).post(reverse("project_create"), {"name": "\u202eCity\x00 scenes", "description": "a\x00b"})
    assert Project.objects.filter(name="City scenes", description="ab").exists()


@pytest.mark.parametrize("huge", ["9" * 30, str(2**63)])
def test_ids_past_the_database_integers_are_a_404(annotating_batch, annotator, huge):
    client = client_for(annotator)
    pk = annotating_batch.pk
    assert client.get(f"/projects/{huge}/batches/{pk}/annotate/").status_code == 404
    assert client.get(f"/projects/{annotating_batch.project_id}/batches/{huge}/").status_code == 404
    assert client.get(f"/images/{huge}/file").status_code == 404


# --- the admin -----------------------------------------------------------------------------------


def test_an_admin_action_with_a_superscript_version_is_refused_as_stale(superuser, review_batch):
    data = {
        "action": "approve_batches",
        "_selected_action": [review_batch.pk],
        "index": 0,
        f"version_{review_batch.pk}": "\u00b2",
    }
    response = client_for(superuser).post(reverse("admin:batches_batch_changelist"), data, follow=True)
    assert response.status_code == 200
    assert Batch.objects.get(pk=review_batch.pk).status == Batch.Status.REVIEW


@pytest.mark.parametrize("page", ["change", "delete", "history"])
def test_an_empty_to_field_in_the_admin_is_a_400(superuser, review_batch, page):
    url = reverse(f"admin:batches_batch_{page}", args=[review_batch.pk])
    response = client_for(superuser).get(url, {"_to_field": ""})
    assert response.status_code == 400


@pytest.mark.parametrize("bad", ["%00", "%D9%A3", "x"])
def test_the_object_permission_pages_answer_404_to_ids_that_are_not_numbers(superuser, project, manager, bad):
    client = Client()
    client.force_login(superuser)
    base = f"/admin/accounts/project/{project.pk}/permissions/"
    assert client.get(f"/admin/accounts/project/{bad}/permissions/").status_code == 404
    assert client.get(f"{base}user-manage/{bad}/").status_code == 404
    assert client.get(f"{base}group-manage/{bad}/").status_code == 404
    assert client.get(f"{base}user-manage/{manager.pk}/").status_code == 200
