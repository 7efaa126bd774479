"""The review workspace: boxes drawn read-only, next/previous, flags with notes, approve and reject."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from batches import annotating, workflow
from batches.models import Batch, Image
from tests.factories import image_rows, make_batch

Status = Batch.Status


@pytest.fixture
def batch(project, manager, annotator):
    """Three images, two boxes on the first and "no objects" on the rest, submitted to Review."""
    made = make_batch(project, manager, images=3, name="Street-02")
    batch = workflow.assign(actor=manager, batch=made, assignees=[annotator]).assigned[0]
    car, person = project.label_classes.get(name="car"), project.label_classes.get(name="person")
    first, *rest = images_of(batch)
    boxes = [
        {"label_class": car.pk, "x": 10, "y": 0, "w": 100, "h": 50},
        {"label_class": person.pk, "x": 200, "y": 100, "w": 40, "h": 90},
    ]
    annotating.save_annotations(actor=annotator, image=first, boxes=boxes)
    for image in rest:
        annotating.save_annotations(actor=annotator, image=image, boxes=[], no_objects=True)
    return workflow.submit(actor=annotator, batch=Batch.objects.get(pk=batch.pk))


def images_of(batch) -> list[Image]:
    return list(Image.objects.filter(batch=batch).order_by("id"))


def review_url(batch, image=None) -> str:
    url = reverse("review", args=[batch.project_id, batch.pk])
    return f"{url}?image={image.pk}" if image else url


def flag_url(batch, image) -> str:
    return reverse("review_flag", args=[batch.project_id, batch.pk, image.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


# --- the page ----------------------------------------------------------------------------------------------


def test_a_reviewer_sees_the_image_with_its_boxes_drawn_and_the_decision_forms(client, batch, reviewer):
    client.force_login(reviewer)

    response = client.get(review_url(batch))

    assert response.status_code == 200
    html = response.content.decode()
    first, second, _ = images_of(batch)
    assert f'src="{reverse("image_file", args=[first.pk])}"' in html
    assert 'viewBox="0 0 640 480"' in html
    assert len(re.findall(r'<rect class="vbox"', html)) == 2
    assert ">car</text>" in html and ">person</text>" in html
    assert reverse("review_approve", args=[batch.project_id, batch.pk]) in html
    assert reverse("review_reject", args=[batch.project_id, batch.pk]) in html
    assert f"?image={second.pk}" in html  # next
    assert f'<link rel="prefetch" href="{reverse("image_file", args=[second.pk])}">' in html


def test_next_and_previous_walk_the_images_in_order(client, batch, reviewer):
    first, second, third = images_of(batch)
    client.force_login(reviewer)

    response = client.get(review_url(batch, second))

    assert (response.context["previous"].pk, response.context["following"].pk) == (first.pk, third.pk)
    assert response.context["position"] == 2
    last = client.get(review_url(batch, third))
    assert last.context["following"] is None


def test_next_from_the_page_gets_only_the_images_parts_to_swap_in(client, batch, reviewer):
    _first, second, third = images_of(batch)
    client.force_login(reviewer)

    response = client.get(review_url(batch, second), headers={"HX-Request": "true"})

    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    for part in ('id="stage-canvas"', 'id="image-nav"', 'id="flag-panel"'):
        assert part in html
    assert f'data-here="{review_url(batch, second)}"' in html
    assert f'data-file="{reverse("image_file", args=[third.pk])}"' in html  # preloaded
    assert "HX-Request" in response["Vary"]
    assert second.pk in client.session["opened_for_review"][str(batch.pk)]  # counts as opened


@pytest.mark.parametrize("who", ["annotator", "manager", "annotator2"])
def test_other_members_see_the_review_read_only(request, client, batch, who):
    client.force_login(request.getfixturevalue(who))

    response = client.get(review_url(batch))

    assert response.status_code == 200
    html = response.content.decode()
    assert "only a reviewer can flag images, approve or reject" in html
    assert reverse("review_approve", args=[batch.project_id, batch.pk]) not in html
    assert "review_flag" not in html and "Flag image" not in html


def test_a_non_member_learns_nothing(client, batch, outsider):
    client.force_login(outsider)

    assert client.get(review_url(batch)).status_code == 404


def test_a_batch_not_in_review_says_where_it_is(client, project, manager, annotator, reviewer):
    batch = workflow.assign(actor=manager, batch=make_batch(project, manager, images=1), assignees=[annotator])
    client.force_login(reviewer)

    response = client.get(review_url(batch.assigned[0]))

    assert response.status_code == 200
    assert "is in Annotating" in response.content.decode()
    assert "Approve" not in response.content.decode()


@pytest.mark.parametrize("size", [20, 2000])
def test_the_page_costs_the_same_queries_for_20_images_and_for_2000(
    client, project, manager, annotator, reviewer, django_assert_num_queries, size
):
    made = workflow.create_batch(actor=manager, project=project, name="Big", images=image_rows(size))
    batch = workflow.assign(actor=manager, batch=made, assignees=[annotator]).assigned[0]
    batch = workflow.submit(actor=manager, batch=batch)
    client.force_login(reviewer)
    # session, user, batch+project+assignee, permissions (user, group), start image (first in
    # order), previous, next, boxes with classes, position, strip page, flagged images; the session
    # saved, three statements (it remembers the opened image for the board's Approve question)
    with django_assert_num_queries(15):  # and the previous version of a relabelled batch (rework #19)
        response = client.get(review_url(batch))

    assert response.status_code == 200
    assert len(response.context["items"]) == min(size, 50)


def test_the_review_strip_loads_a_page_at_a_time(client, project, manager, annotator, reviewer):
    made = workflow.create_batch(actor=manager, project=project, name="Big", images=image_rows(70))
    batch = workflow.submit(
        actor=manager, batch=workflow.assign(actor=manager, batch=made, assignees=[annotator]).assigned[0]
    )
    client.force_login(reviewer)

    response = client.get(reverse("review_strip", args=[project.pk, batch.pk]), {"offset": 50})

    assert len(response.context["items"]) == 20
    assert reverse("review", args=[project.pk, batch.pk]) in response.content.decode()


# --- flags ---------------------------------------------------------------------------------------------------


def test_a_reviewer_flags_an_image_with_a_note_through_htmx(client, batch, reviewer):
    second = images_of(batch)[1]
    client.force_login(reviewer)

    response = client.post(
        flag_url(batch, second), {"flagged": "1", "note": "A van is missing."}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    second.refresh_from_db()
    assert (second.review_flag, second.review_note) == (True, "A van is missing.")
    html = response.content.decode()
    assert 'id="flag-panel"' in html and "Remove flag" in html
    assert f'id="strip-item-{second.pk}"' in html and 'hx-swap-oob="true"' in html
    assert "⚑ 1 flagged" in html
    assert "Flagged" in response["HX-Trigger"]


def test_a_reviewer_removes_a_flag_without_javascript(client, batch, reviewer):
    second = images_of(batch)[1]
    annotating.flag_image(actor=reviewer, image=second, flagged=True, note="x")
    client.force_login(reviewer)

    response = client.post(flag_url(batch, second), {"flagged": "0", "note": "x"})

    assert response.status_code == 302
    assert response["Location"] == review_url(batch, second)
    second.refresh_from_db()
    assert (second.review_flag, second.review_note) == (False, "")


@pytest.mark.parametrize("who", ["annotator", "manager"])
def test_members_who_are_not_reviewers_may_not_flag(request, client, batch, who):
    client.force_login(request.getfixturevalue(who))

    response = client.post(flag_url(batch, images_of(batch)[0]), {"flagged": "1", "note": "x"})

    assert response.status_code == 403
    assert not Image.objects.filter(review_flag=True).exists()


def test_a_non_member_may_not_flag(client, batch, outsider):
    client.force_login(outsider)

    assert client.post(flag_url(batch, images_of(batch)[0]), {"flagged": "1"}).status_code == 404
    assert not Image.objects.filter(review_flag=True).exists()


def test_flagging_after_the_batch_left_review_is_refused_with_a_message(client, batch, reviewer):
    image = images_of(batch)[0]
    workflow.reject(actor=reviewer, batch=batch, comment="Redo it.")
    client.force_login(reviewer)

    response = client.post(flag_url(batch, image), {"flagged": "1", "note": "x"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "cannot be flagged" in response["HX-Trigger"]
    assert not Image.objects.filter(review_flag=True).exists()


def test_an_over_long_note_is_refused_with_a_message(client, batch, reviewer):
    client.force_login(reviewer)

    response = client.post(flag_url(batch, images_of(batch)[0]), {"flagged": "1", "note": "x" * 1001})

    assert "under 1000 characters" in messages_of(response)[0]
    assert not Image.objects.filter(review_flag=True).exists()


# --- approve and reject --------------------------------------------------------------------------------------


def approve(client, batch, **extra):
    return client.post(
        reverse("review_approve", args=[batch.project_id, batch.pk]), {"version": batch.version, **extra}
    )


def reject(client, batch, comment):
    return client.post(
        reverse("review_reject", args=[batch.project_id, batch.pk]), {"version": batch.version, "comment": comment}
    )


def test_approving_sends_the_batch_to_the_dataset(client, batch, reviewer):
    client.force_login(reviewer)

    response = approve(client, batch)

    assert response.status_code == 302
    assert response["Location"] == reverse("board", args=[batch.project_id])
    assert Batch.objects.get(pk=batch.pk).status == Status.DATASET


def test_approving_with_flagged_images_asks_first_then_clears_the_flags(client, batch, reviewer):
    annotating.flag_image(actor=reviewer, image=images_of(batch)[0], flagged=True, note="hmm")
    client.force_login(reviewer)

    response = approve(client, batch)

    assert response.status_code == 200
    assert "with 1 flagged image?" in response.content.decode()
    assert Batch.objects.get(pk=batch.pk).status == Status.REVIEW

    approve(client, batch, confirm="1")
    assert Batch.objects.get(pk=batch.pk).status == Status.DATASET
    assert not Image.objects.filter(review_flag=True).exists()


def test_a_reviewer_who_annotated_the_batch_may_not_approve_it(client, batch, annotator):
    from accounts.roles import grant_role

    grant_role(batch.project, annotator, "reviewer")
    client.force_login(annotator)

    response = approve(client, batch)

    assert response["Location"] == review_url(batch)
    assert "someone else must approve it" in messages_of(response)[0]
    assert Batch.objects.get(pk=batch.pk).status == Status.REVIEW


def test_rejecting_with_a_comment_sends_the_batch_back_to_its_annotator(client, batch, reviewer, annotator):
    annotating.flag_image(actor=reviewer, image=images_of(batch)[1], flagged=True, note="A van is missing.")
    client.force_login(reviewer)

    response = reject(client, batch, "  Two vans are missing.  ")

    assert response.status_code == 302
    fresh = Batch.objects.get(pk=batch.pk)
    assert (fresh.status, fresh.assignee, fresh.review_comment, fresh.rejection_count) == (
        Status.ANNOTATING,
        annotator,
        "Two vans are missing.",
        1,
    )
    assert Image.objects.filter(batch=batch, review_flag=True).count() == 1  # the annotator sees it first


def test_rejecting_without_a_comment_is_refused_with_a_message(client, batch, reviewer):
    client.force_login(reviewer)

    response = reject(client, batch, "   ")

    assert response["Location"] == review_url(batch)
    assert "needs a comment" in messages_of(response)[0]
    assert Batch.objects.get(pk=batch.pk).status == Status.REVIEW


def test_a_stale_approval_is_refused_and_says_so(client, batch, reviewer, manager):
    seen = Batch.objects.get(pk=batch.pk)
    workflow.reject(actor=reviewer, batch=batch, comment="again")
    client.force_login(reviewer)

    response = approve(client, seen)

    assert "has changed since you loaded it" in messages_of(response)[0]
    assert Batch.objects.get(pk=batch.pk).status == Status.ANNOTATING


@pytest.mark.parametrize("who", ["annotator", "manager"])
def test_members_who_are_not_reviewers_may_not_approve_or_reject(request, client, batch, who):
    client.force_login(request.getfixturevalue(who))

    assert approve(client, batch).status_code == 403
    assert reject(client, batch, "no").status_code == 403
    assert Batch.objects.get(pk=batch.pk).status == Status.REVIEW
