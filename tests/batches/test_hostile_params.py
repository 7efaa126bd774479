"""Numbers from the query string, forms and JSON that are not plain in-range numbers get an answer, never a 500.

"²".isdigit() is True but int("²") fails, and a 30-digit id overflows the database's integers: each
case below used to end in a server error.
"""

import json

import pytest
from django.urls import reverse

from batches import workflow
from batches.models import Batch, Image
from batches.params import MAX_ID, parse_id
from tests.batches.board_helpers import client_for, seen
from tests.factories import make_batch

HUGE = "9" * 30
SUPERSCRIPT_TWO = "\u00b2"


@pytest.fixture
def assigned(project, manager, annotator):
    made = make_batch(project, manager, images=3, name="Street-01")
    return workflow.assign(actor=manager, batch=made, assignees=[annotator]).assigned[0]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", 12),
        (" 7 ", 7),
        (SUPERSCRIPT_TWO, None),
        ("٣", None),
        (HUGE, None),
        ("-1", None),
        ("", None),
        (None, None),
        (True, None),
        (5, 5),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
    ],
)
def test_parse_id_takes_only_plain_numbers_in_range(raw, expected):
    assert parse_id(raw) == expected


@pytest.mark.parametrize("value", [SUPERSCRIPT_TWO, HUGE])
def test_the_board_filter_ignores_an_assignee_that_is_not_a_plain_id(project, annotator, value):
    response = client_for(annotator).get(reverse("board", args=[project.pk]), {"assignee": value})
    assert response.status_code == 200


@pytest.mark.parametrize("value", [f"unassigned:{SUPERSCRIPT_TWO}", f"review:{HUGE}", "nan_1", "inf_" + HUGE])
def test_the_version_check_and_load_more_ignore_malformed_numbers(project, annotator, value):
    client = client_for(annotator)
    assert client.get(reverse("board_version", args=[project.pk]), {"shown": value}).status_code < 500
    column = reverse("board_column", args=[project.pk, "unassigned"])
    assert client.get(column, {"after": value}).status_code < 500


@pytest.mark.parametrize("version", [SUPERSCRIPT_TWO, HUGE])
def test_a_move_with_a_malformed_version_is_refused_and_changes_nothing(assigned, manager, version):
    client = client_for(manager)
    url = reverse("batch_move", args=[assigned.project_id, assigned.pk])
    response = client.post(url, {"version": version, "from": assigned.status, "action": "submit"})
    assert response.status_code < 500
    assert Batch.objects.get(pk=assigned.pk).status == Batch.Status.ANNOTATING


@pytest.mark.parametrize("neighbour", [SUPERSCRIPT_TWO, HUGE])
def test_a_reorder_with_a_malformed_neighbour_is_not_a_server_error(assigned, manager, neighbour):
    url = reverse("batch_move", args=[assigned.project_id, assigned.pk])
    data = {**seen(assigned), "to": assigned.status, "before": neighbour, "after": neighbour}
    assert client_for(manager).post(url, data).status_code < 500


@pytest.mark.parametrize("value", [SUPERSCRIPT_TWO, HUGE])
def test_the_image_strip_ignores_malformed_offsets_and_current_images(assigned, annotator, value):
    client = client_for(annotator)
    url = reverse("annotate_strip", args=[assigned.project_id, assigned.pk])
    assert client.get(url, {"offset": value, "current": value}).status_code == 200
    page = reverse("annotate", args=[assigned.project_id, assigned.pk])
    assert client.get(page, {"offset": value, "image": value}).status_code == 200


def test_a_submit_that_does_not_say_which_version_it_saw_changes_nothing(assigned, annotator):
    Batch.objects.filter(pk=assigned.pk).update(version=assigned.version + 5)
    url = reverse("annotate_submit", args=[assigned.project_id, assigned.pk])
    client_for(annotator).post(url, {"confirm": "1"})
    assert Batch.objects.get(pk=assigned.pk).status == Batch.Status.ANNOTATING


@pytest.mark.parametrize(
    "box",
    [
        {"label_class": int(HUGE), "x": 1, "y": 1, "w": 5, "h": 5},
        {"label_class": "LABEL", "x": int("1" + "0" * 400), "y": 1, "w": 5, "h": 5},
    ],
)
def test_an_annotation_save_with_numbers_too_big_is_a_clear_400(assigned, annotator, project, box):
    image = Image.objects.filter(batch=assigned).first()
    if box["label_class"] == "LABEL":
        box = {**box, "label_class": project.label_classes.first().pk}
    url = reverse("annotate_save", args=[assigned.project_id, assigned.pk, image.pk])
    response = client_for(annotator).post(url, json.dumps({"boxes": [box]}), content_type="application/json")
    assert response.status_code == 400
    assert response.json()
    assert not image.annotations.exists()


def test_an_export_form_with_malformed_batch_ids_is_not_a_server_error(project, manager):
    response = client_for(manager).post(
        reverse("export", args=[project.pk]), {"format": "coco", "batches": [SUPERSCRIPT_TWO, HUGE]}
    )
    assert response.status_code < 500
