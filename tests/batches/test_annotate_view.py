"""The annotate workspace: the page, its image JSON, the save endpoint, the strip and submitting."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from batches import annotating, workflow
from batches.models import Annotation, Batch, Image
from tests.factories import image_rows, make_batch, make_project

Status = Batch.Status


@pytest.fixture
def batch(project, manager, annotator):
    made = make_batch(project, manager, images=3, name="Street-01")
    return workflow.assign(actor=manager, batch=made, assignees=[annotator]).assigned[0]


@pytest.fixture
def car(project):
    return project.label_classes.get(name="car")


def images_of(batch) -> list[Image]:
    return list(Image.objects.filter(batch=batch).order_by("id"))


def page_url(batch, image=None) -> str:
    url = reverse("annotate", args=[batch.project_id, batch.pk])
    return f"{url}?image={image.pk}" if image else url


def save_url(batch, image) -> str:
    return reverse("annotate_save", args=[batch.project_id, batch.pk, image.pk])


def post_json(client, url, payload):
    body = payload if isinstance(payload, str | bytes) else json.dumps(payload)
    return client.post(url, body, content_type="application/json")


def box(label, x=10, y=20, w=100, h=50) -> dict:
    return {"label_class": label.pk, "x": x, "y": y, "w": w, "h": h}


def snapshot(batch) -> tuple:
    return (
        list(Annotation.objects.order_by("id").values_list("id", "image_id", "x", "y", "w", "h")),
        list(Image.objects.filter(batch=batch).order_by("id").values_list("state", flat=True)),
        Batch.objects.values_list("done_count", "status", "version").get(pk=batch.pk),
    )


def big_batch(project, manager, annotator, n: int) -> Batch:
    made = workflow.create_batch(actor=manager, project=project, name=f"Big {n}", images=image_rows(n))
    return workflow.assign(actor=manager, batch=made, assignees=[annotator]).assigned[0]


# --- the page ------------------------------------------------------------------------------------------


def test_the_assignee_gets_the_workspace_with_the_first_image_and_the_classes(client, batch, annotator):
    client.force_login(annotator)

    response = client.get(page_url(batch))

    assert response.status_code == 200
    first = images_of(batch)[0]
    html = response.content.decode()
    assert f'src="{reverse("image_file", args=[first.pk])}"' in html
    assert 'id="annotate-config"' in html
    config = response.context["config"]
    assert config["image"]["id"] == first.pk
    assert [c["name"] for c in config["classes"]] == ["car", "person"]
    assert config["progress"] == {"done": 0, "total": 3}
    assert "0</strong> / 3 done" in html


def test_a_manager_gets_the_workspace_of_a_batch_assigned_to_someone_else(client, batch, manager):
    client.force_login(manager)

    assert client.get(page_url(batch)).status_code == 200


@pytest.mark.parametrize("who", ["annotator2", "reviewer"])
def test_other_members_are_forbidden(request, client, batch, who):
    client.force_login(request.getfixturevalue(who))

    assert client.get(page_url(batch)).status_code == 403


def test_a_non_member_learns_nothing(client, batch, outsider):
    client.force_login(outsider)

    assert client.get(page_url(batch)).status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(client, batch):
    response = client.get(page_url(batch))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_batch_no_longer_in_annotating_says_where_it_is(client, batch, annotator, manager):
    workflow.submit(actor=manager, batch=batch)
    client.force_login(annotator)

    response = client.get(page_url(batch))

    assert response.status_code == 200
    assert "is in Review" in response.content.decode()
    assert "annotate-config" not in response.content.decode()


def test_it_opens_at_the_image_asked_for(client, batch, annotator):
    third = images_of(batch)[2]
    client.force_login(annotator)

    response = client.get(page_url(batch, third))

    assert response.context["config"]["image"]["id"] == third.pk
    assert response.context["config"]["image"]["position"] == 3


def test_after_a_rejection_it_shows_the_comment_and_opens_at_the_flagged_image(
    client, batch, annotator, manager, reviewer
):
    first, second, third = images_of(batch)
    batch = workflow.submit(actor=manager, batch=batch)
    annotating.flag_image(actor=reviewer, image=third, flagged=True, note="The bus is a car, not a person.")
    workflow.reject(actor=reviewer, batch=batch, comment="Check the buses.")
    client.force_login(annotator)

    response = client.get(page_url(batch))

    html = response.content.decode()
    assert "Check the buses." in html
    assert "1 flagged image listed first" in html
    assert response.context["config"]["image"]["id"] == third.pk
    assert response.context["config"]["image"]["note"] == "The bus is a car, not a person."
    assert [item.pk for item in response.context["items"]] == [third.pk, first.pk, second.pk]


@pytest.mark.parametrize("size", [20, 2000])
def test_the_page_costs_the_same_queries_for_20_images_and_for_2000(
    client, project, manager, annotator, django_assert_num_queries, size
):
    batch = big_batch(project, manager, annotator, size)
    client.force_login(annotator)
    # session, user, batch+project+assignee, permissions (user, group), start image (first in
    # order, first not done), its boxes, previous, next, position, label classes, strip page
    with django_assert_num_queries(13):  # and the image's suggestions (rework #19)
        response = client.get(page_url(batch))

    assert response.status_code == 200
    assert len(response.context["items"]) == min(size, 50)  # never the whole batch at once


# --- one image's data ------------------------------------------------------------------------------------


def test_the_image_json_has_its_boxes_size_and_neighbours(client, batch, annotator, car):
    first, second, third = images_of(batch)
    annotating.save_annotations(actor=annotator, image=second, boxes=[box(car)])
    client.force_login(annotator)

    response = client.get(reverse("annotate_image", args=[batch.project_id, batch.pk, second.pk]))

    data = response.json()["image"]
    assert (data["id"], data["width"], data["height"], data["state"]) == (second.pk, 640, 480, "annotated")
    assert data["boxes"] == [{"label_class": car.pk, "x": 10.0, "y": 20.0, "w": 100.0, "h": 50.0}]
    assert (data["prev"]["id"], data["next"]["id"], data["position"], data["total"]) == (first.pk, third.pk, 2, 3)
    assert data["next"]["file_url"] == reverse("image_file", args=[third.pk])
    # With the batch's version, a workspace whose save was refused copies its edits onto the batch as it is now.
    assert response.json()["batch_version"] == Batch.objects.get(pk=batch.pk).version


def test_the_image_json_of_another_batch_s_image_is_not_found(client, batch, annotator, project, manager):
    stranger = Image.objects.get(batch=make_batch(project, manager, images=1))
    client.force_login(annotator)

    response = client.get(reverse("annotate_image", args=[batch.project_id, batch.pk, stranger.pk]))

    assert response.status_code == 404
    assert "not in “Street-01”" in response.json()["error"]
    annotator.language = "fa"  # a Latin name inside a Persian sentence keeps its place: isolated
    annotator.save(update_fields=["language"])
    response = client.get(reverse("annotate_image", args=[batch.project_id, batch.pk, stranger.pk]))
    assert "\u2068Street-01\u2069" in response.json()["error"]


# --- saving ----------------------------------------------------------------------------------------------


def test_a_save_stores_the_box_list_and_answers_with_what_it_stored_and_the_progress(client, batch, annotator, car):
    first = images_of(batch)[0]
    client.force_login(annotator)

    response = post_json(client, save_url(batch, first), {"boxes": [box(car, x=1.5)]})

    assert response.status_code == 200
    assert response.json() == {
        "image": {
            "id": first.pk,
            "state": "annotated",
            "boxes": [{"label_class": car.pk, "x": 1.5, "y": 20.0, "w": 100.0, "h": 50.0}],
        },
        "progress": {"done": 1, "total": 3},
    }
    assert Annotation.objects.get(image=first).author == annotator


def test_no_objects_is_saved_through_the_same_endpoint(client, batch, annotator):
    first = images_of(batch)[0]
    client.force_login(annotator)

    response = post_json(client, save_url(batch, first), {"boxes": [], "no_objects": True})

    assert response.json()["image"]["state"] == "no_objects"
    assert response.json()["progress"] == {"done": 1, "total": 3}


REFUSALS = {
    "a negative number": ({"boxes": [{"label_class": None, "x": -5, "y": 1, "w": 10, "h": 10}]}, 400, "Box 1"),
    "NaN": ('{"boxes": [{"label_class": CAR, "x": NaN, "y": 1, "w": 10, "h": 10}]}', 400, "finite"),
    "infinity": ('{"boxes": [{"label_class": CAR, "x": 1, "y": 1, "w": Infinity, "h": 10}]}', 400, "finite"),
    "a huge number": ('{"boxes": [{"label_class": CAR, "x": 1, "y": 1, "w": 1e400, "h": 10}]}', 400, "finite"),
    "a box outside the image": ({"boxes": [{"label_class": None, "x": 630, "y": 1, "w": 20, "h": 10}]}, 400, "outside"),
    "malformed JSON": ('{"boxes": [', 400, "not valid JSON"),
    "not JSON at all": ("boxes=1", 400, "not valid JSON"),
    "no box list": ({"rects": []}, 400, "“boxes” list"),
    "a list instead of an object": ([], 400, "“boxes” list"),
    "no_objects that is not a boolean": ({"boxes": [], "no_objects": "yes"}, 400, "true or false"),
    "a thousand boxes": ({"boxes": [{"label_class": None, "x": 1, "y": 1, "w": 2, "h": 2}] * 1000}, 400, "500"),
}


@pytest.mark.parametrize("payload, status, message", REFUSALS.values(), ids=REFUSALS.keys())
def test_bad_input_is_refused_with_a_message_and_saves_nothing(client, batch, annotator, car, payload, status, message):
    first = images_of(batch)[0]
    annotating.save_annotations(actor=annotator, image=first, boxes=[box(car)])
    before = snapshot(batch)
    if isinstance(payload, str):
        payload = payload.replace("CAR", str(car.pk))
    else:
        payload = json.loads(json.dumps(payload).replace("null", str(car.pk)))
    client.force_login(annotator)

    response = post_json(client, save_url(batch, first), payload)

    assert response.status_code == status
    assert message in response.json()["error"]
    assert snapshot(batch) == before


def test_a_class_of_another_project_is_refused(client, batch, annotator):
    foreign = make_project("Elsewhere").label_classes.get(name="car")
    before = snapshot(batch)
    client.force_login(annotator)

    response = post_json(client, save_url(batch, images_of(batch)[0]), {"boxes": [box(foreign)]})

    assert response.status_code == 400
    assert "not one of this project's classes" in response.json()["error"]
    assert snapshot(batch) == before


def test_an_image_of_another_batch_is_refused(client, batch, annotator, project, manager, car):
    other = workflow.assign(actor=manager, batch=make_batch(project, manager, images=1), assignees=[annotator])
    stranger = Image.objects.get(batch=other.assigned[0])
    before = snapshot(batch)
    client.force_login(annotator)

    response = post_json(client, save_url(batch, stranger), {"boxes": [box(car)]})

    assert response.status_code == 404
    assert "not in “Street-01”" in response.json()["error"]
    annotator.language = "fa"  # a Latin name inside a Persian sentence keeps its place: isolated
    annotator.save(update_fields=["language"])
    response = client.get(reverse("annotate_image", args=[batch.project_id, batch.pk, stranger.pk]))
    assert "\u2068Street-01\u2069" in response.json()["error"]
    assert snapshot(batch) == before
    assert not Annotation.objects.filter(image=stranger).exists()


def test_a_non_member_is_told_nothing_and_nothing_is_saved(client, batch, outsider, car):
    before = snapshot(batch)
    client.force_login(outsider)

    response = post_json(client, save_url(batch, images_of(batch)[0]), {"boxes": [box(car)]})

    assert response.status_code == 404
    assert response.json()["kind"] == "not_found"
    assert snapshot(batch) == before


def test_an_annotator_who_is_not_the_assignee_is_refused(client, batch, annotator2, car):
    before = snapshot(batch)
    client.force_login(annotator2)

    response = post_json(client, save_url(batch, images_of(batch)[0]), {"boxes": [box(car)]})

    assert response.status_code == 403
    assert "assignee or a manager" in response.json()["error"]
    assert snapshot(batch) == before


@pytest.mark.parametrize("move", ["reset", "reassign"])
def test_a_save_from_a_workspace_opened_before_a_reset_or_reassign_says_who_did_what(
    client, batch, annotator, annotator2, manager, car, move
):
    seen = batch.version
    if move == "reset":
        workflow.delete_batch(actor=manager, batch=batch)
        column, holder = "Unassigned", "nobody"
    else:
        workflow.reassign(actor=manager, batch=batch, assignee=annotator2)
        column, holder = "Annotating", "annotator2"
    before = snapshot(batch)
    client.force_login(annotator)

    response = post_json(client, f"{save_url(batch, images_of(batch)[0])}?version={seen}", {"boxes": [box(car)]})

    assert response.status_code == 409
    assert response.json()["kind"] == "stale"
    action = "reset to Unassigned" if move == "reset" else "reassigned"
    assert re.fullmatch(
        rf"manager {action} “Street-01” 0\xa0minutes ago: it is in {column} now, assigned to {holder}, "
        r"so this change was not saved\.",
        response.json()["error"],
    )
    assert snapshot(batch) == before


def test_a_save_after_the_batch_was_submitted_is_refused_with_a_clear_message(client, batch, annotator, manager, car):
    workflow.submit(actor=manager, batch=batch)
    before = snapshot(batch)
    client.force_login(annotator)

    response = post_json(client, save_url(batch, images_of(batch)[0]), {"boxes": [box(car)]})

    assert response.status_code == 409
    assert response.json() == {
        "error": "“Street-01” is in Review now, no longer in Annotating, so this change was not saved.",
        "kind": "refused",
    }
    assert snapshot(batch) == before


def test_a_save_after_the_batch_was_deleted_is_refused(client, batch, annotator, manager, car):
    image = images_of(batch)[0]
    workflow.delete_batch(actor=manager, batch=batch)
    workflow.delete_batch(actor=manager, batch=Batch.objects.get(pk=batch.pk))
    client.force_login(annotator)

    response = post_json(client, save_url(batch, image), {"boxes": [box(car)]})

    assert response.status_code == 404
    assert not Annotation.objects.exists()


def test_a_signed_out_save_answers_json_not_a_login_page(client, batch, car):
    response = post_json(client, save_url(batch, images_of(batch)[0]), {"boxes": [box(car)]})

    assert response.status_code == 401
    assert "Sign in again" in response.json()["error"]


def test_a_save_without_the_csrf_token_is_refused(batch, annotator, car):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(annotator)

    response = post_json(client, save_url(batch, images_of(batch)[0]), {"boxes": [box(car)]})

    assert response.status_code == 403
    assert not Annotation.objects.exists()


def test_a_get_on_the_save_endpoint_is_not_allowed(client, batch, annotator):
    client.force_login(annotator)

    assert client.get(save_url(batch, images_of(batch)[0])).status_code == 405


@pytest.mark.parametrize("size, boxes", [(10, 1), (10, 500), (2000, 1), (2000, 500)])
def test_the_save_endpoint_costs_the_same_queries_whatever_the_boxes_or_the_batch_size(
    client, project, manager, annotator, django_assert_num_queries, size, boxes
):
    batch = big_batch(project, manager, annotator, size)
    image = Image.objects.filter(batch=batch).order_by("id").first()
    car = project.label_classes.get(name="car")
    payload = {"boxes": [box(car, w=1, h=1)] * boxes}
    client.force_login(annotator)
    # session, user, batch+project+assignee, permissions (user, group), the image; then in one
    # transaction (a savepoint in tests): lock image+batch, check classes, delete old boxes, insert
    # new ones, set the image's state, note the batch's activity (at most every 30 s), bump the done count
    with django_assert_num_queries(14):
        response = post_json(client, save_url(batch, image), payload)

    assert response.status_code == 200
    assert len(response.json()["image"]["boxes"]) == boxes


# --- the strip ----------------------------------------------------------------------------------------------


def test_the_strip_comes_a_page_at_a_time_with_a_link_to_the_next(client, project, manager, annotator):
    batch = big_batch(project, manager, annotator, 120)
    ids = list(Image.objects.filter(batch=batch).order_by("id").values_list("pk", flat=True))
    client.force_login(annotator)
    url = reverse("annotate_strip", args=[project.pk, batch.pk])

    response = client.get(url, {"offset": 50})

    assert [item.pk for item in response.context["items"]] == ids[50:100]
    html = response.content.decode()
    assert "offset=100" in html
    assert "Show earlier images" in html
    last = client.get(url, {"offset": 100})
    assert [item.pk for item in last.context["items"]] == ids[100:]
    assert "More images" not in last.content.decode()


def test_an_earlier_strip_page_stops_where_the_shown_one_starts(client, project, manager, annotator):
    batch = big_batch(project, manager, annotator, 120)
    ids = list(Image.objects.filter(batch=batch).order_by("id").values_list("pk", flat=True))
    client.force_login(annotator)

    response = client.get(reverse("annotate_strip", args=[project.pk, batch.pk]), {"offset": 20, "end": 50})

    assert [item.pk for item in response.context["items"]] == ids[20:50]
    assert "More images" not in response.content.decode()
    assert "offset=0&amp;end=20" in response.content.decode()


def test_the_page_shows_the_strip_page_that_holds_the_current_image(client, project, manager, annotator):
    batch = big_batch(project, manager, annotator, 120)
    ids = list(Image.objects.filter(batch=batch).order_by("id").values_list("pk", flat=True))
    client.force_login(annotator)

    response = client.get(f"{reverse('annotate', args=[project.pk, batch.pk])}?image={ids[75]}")

    assert [item.pk for item in response.context["items"]] == ids[50:100]


def test_the_strip_is_forbidden_to_other_members(client, batch, reviewer):
    client.force_login(reviewer)

    assert client.get(reverse("annotate_strip", args=[batch.project_id, batch.pk])).status_code == 403


# --- submitting ---------------------------------------------------------------------------------------------


def submit(client, batch, **extra):
    return client.post(
        reverse("annotate_submit", args=[batch.project_id, batch.pk]), {"version": batch.version, **extra}
    )


def test_submitting_a_finished_batch_sends_it_to_review(client, batch, annotator, car):
    for image in images_of(batch):
        annotating.save_annotations(actor=annotator, image=image, boxes=[box(car)])
    client.force_login(annotator)

    response = submit(client, batch)

    assert response.status_code == 302
    assert response["Location"] == reverse("board", args=[batch.project_id])
    assert Batch.objects.get(pk=batch.pk).status == Status.REVIEW


def test_submitting_with_images_not_done_asks_first_and_says_how_many(client, batch, annotator, car):
    annotating.save_annotations(actor=annotator, image=images_of(batch)[0], boxes=[box(car)])
    client.force_login(annotator)

    response = submit(client, batch)

    assert response.status_code == 200
    assert "with 2 images not done?" in response.content.decode()
    assert Batch.objects.get(pk=batch.pk).status == Status.ANNOTATING

    confirmed = submit(client, batch, confirm="1")
    assert confirmed.status_code == 302
    assert Batch.objects.get(pk=batch.pk).status == Status.REVIEW


def test_a_stale_submit_says_who_changed_the_batch(client, batch, annotator, manager, annotator2):
    seen = Batch.objects.get(pk=batch.pk)
    workflow.reassign(actor=manager, batch=batch, assignee=annotator2)
    client.force_login(manager)

    response = submit(client, seen, confirm="1")

    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("has changed since you loaded it" in m for m in messages)
    assert Batch.objects.get(pk=batch.pk).status == Status.ANNOTATING


def test_another_annotator_may_not_submit(client, batch, annotator2):
    client.force_login(annotator2)

    assert submit(client, batch, confirm="1").status_code == 403
    assert Batch.objects.get(pk=batch.pk).status == Status.ANNOTATING


def test_a_save_notes_the_batch_activity_at_most_every_30_seconds(client, batch, annotator, car):
    from datetime import timedelta

    from django.utils import timezone

    client.force_login(annotator)
    image = images_of(batch)[0]
    assert Batch.objects.get(pk=batch.pk).last_active_at is None

    post_json(client, save_url(batch, image), {"boxes": [box(car)]})
    first = Batch.objects.get(pk=batch.pk).last_active_at
    post_json(client, save_url(batch, image), {"boxes": [box(car, x=11)]})
    assert first is not None and Batch.objects.get(pk=batch.pk).last_active_at == first

    Batch.objects.filter(pk=batch.pk).update(last_active_at=timezone.now() - timedelta(seconds=31))
    post_json(client, save_url(batch, image), {"boxes": [box(car, x=12)]})
    assert Batch.objects.get(pk=batch.pk).last_active_at > first
