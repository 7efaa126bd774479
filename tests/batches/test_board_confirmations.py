"""No irreversible surprise from one click on the board: Submit asks when images are undone, with review
off an explicit choice is needed to put them into the Dataset, Approve asks when the reviewer opened
none or few images; moves that can be taken back offer Undo, refused once someone changed the batch."""

from __future__ import annotations

import pytest
from django.urls import reverse

from batches import workflow
from batches.models import Batch, BatchEvent
from tests.batches.board_helpers import HTMX, batch_in, client_for, seen, shown_message, undo_offered
from tests.factories import make_batch

pytestmark = pytest.mark.django_db
Status = Batch.Status


def url(name: str, batch: Batch) -> str:
    return reverse(f"batch_{name}", args=[batch.project_id, batch.pk])


def test_submit_with_undone_images_asks_first_and_changes_nothing(project, manager, annotator):
    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=4)

    response = client_for(annotator).post(url("submit", batch), seen(batch), **HTMX)

    html = response.content.decode()
    assert "<dialog" in html and "Submit “" in html and "with 4 images not done?" in html
    assert Batch.objects.get(pk=batch.pk).status == Status.ANNOTATING


def test_dragging_a_batch_with_undone_images_to_review_asks_too(project, manager, annotator):
    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=4)

    response = client_for(annotator).post(
        reverse("batch_move", args=[project.pk, batch.pk]), {**seen(batch), "to": "review"}, **HTMX
    )

    assert "with 4 images not done?" in response.content.decode()
    assert Batch.objects.get(pk=batch.pk).status == Status.ANNOTATING


def test_without_review_undone_images_reach_the_dataset_only_by_an_explicit_choice(project, manager, annotator):
    project.review_required = False
    project.save()
    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=4)
    client = client_for(annotator)

    without_choice = client.post(url("submit", batch), {**seen(batch), "dialog": "1"}, **HTMX)
    assert "Tick the box to submit undone images to the Dataset" in without_choice.content.decode()
    assert Batch.objects.get(pk=batch.pk).status == Status.ANNOTATING

    client.post(url("submit", batch), {**seen(batch), "dialog": "1", "undone_ok": "yes"}, **HTMX)
    assert Batch.objects.get(pk=batch.pk).status == Status.DATASET


def test_without_javascript_the_submit_question_is_on_the_batch_page(project, manager, annotator):
    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=4)
    client = client_for(annotator)

    response = client.post(url("submit", batch), seen(batch), follow=True)

    assert "with 4 images not done?" in response.content.decode()
    assert Batch.objects.get(pk=batch.pk).status == Status.ANNOTATING


def test_approve_asks_when_the_reviewer_opened_none_of_the_images(project, manager, annotator, reviewer):
    batch = batch_in(Status.REVIEW, project, manager=manager, annotator=annotator, images=6)

    response = client_for(reviewer).post(url("approve", batch), seen(batch), **HTMX)

    assert "Approve 6 images you have not opened?" in response.content.decode()
    assert Batch.objects.get(pk=batch.pk).status == Status.REVIEW


def test_approve_counts_the_images_opened_in_the_review_workspace(project, manager, annotator, reviewer):
    batch = batch_in(Status.REVIEW, project, manager=manager, annotator=annotator, images=3)
    client = client_for(reviewer)
    images = list(batch.images.order_by("pk"))
    client.get(reverse("review", args=[project.pk, batch.pk]), {"image": images[0].pk})

    asked = client.post(url("approve", batch), seen(batch), **HTMX)
    assert "Approve 2 images you have not opened?" in asked.content.decode()

    for image in images[1:]:
        client.get(reverse("review", args=[project.pk, batch.pk]), {"image": image.pk})
    client.post(url("approve", batch), seen(batch), **HTMX)
    assert Batch.objects.get(pk=batch.pk).status == Status.DATASET


def test_a_submit_offers_undo_and_undo_takes_it_back(project, manager, annotator):
    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=4)
    client = client_for(annotator)

    response = client.post(url("submit", batch), {**seen(batch), "confirmed": "yes"}, **HTMX)
    offer = undo_offered(response)
    assert offer["url"] == url("undo", batch) and offer["from"] == Status.REVIEW

    undone = client.post(offer["url"], {"version": offer["version"], "from": offer["from"]}, **HTMX)

    assert Batch.objects.get(pk=batch.pk).status == Status.ANNOTATING
    assert shown_message(undone)["text"].startswith("Undone:")
    assert BatchEvent.objects.filter(batch=batch).first().action == BatchEvent.Action.UNDONE


def test_undo_is_refused_once_someone_else_moved_the_batch(project, manager, annotator, reviewer):
    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=4)
    client = client_for(annotator)
    offer = undo_offered(client.post(url("submit", batch), {**seen(batch), "confirmed": "yes"}, **HTMX))
    workflow.reject(actor=reviewer, batch=Batch.objects.get(pk=batch.pk), comment="Redo the bikes")

    refused = client.post(offer["url"], {"version": offer["version"], "from": offer["from"]}, **HTMX)

    assert "has changed since you loaded it" in shown_message(refused)["text"]
    assert Batch.objects.get(pk=batch.pk).review_comment == "Redo the bikes"


def test_undo_of_an_assignment_puts_the_batch_back_in_unassigned(project, manager, annotator):
    batch = make_batch(project, manager, images=3)
    client = client_for(manager)
    response = client.post(
        url("assign", batch), {**seen(batch), "dialog": "1", "assignees": [annotator.pk], "scope": "all"}, **HTMX
    )
    offer = undo_offered(response)

    client.post(offer["url"], {"version": offer["version"], "from": offer["from"]}, **HTMX)

    fresh = Batch.objects.get(pk=batch.pk)
    assert (fresh.status, fresh.assignee) == (Status.UNASSIGNED, None)


def test_a_split_assignment_offers_no_undo(project, manager, annotator):
    batch = make_batch(project, manager, images=6)
    response = client_for(manager).post(
        url("assign", batch),
        {**seen(batch), "dialog": "1", "assignees": [annotator.pk], "scope": "part", "count": "2"},
        **HTMX,
    )

    assert undo_offered(response) is None


def test_only_who_made_the_move_can_undo_it(project, manager, annotator):
    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=4)
    fresh = workflow.submit(actor=annotator, batch=batch)

    refused = client_for(manager).post(url("undo", fresh), seen(fresh), **HTMX)

    assert "its last move was not yours to take back" in shown_message(refused)["text"]
    assert Batch.objects.get(pk=batch.pk).status == Status.REVIEW


def test_an_approve_and_a_reject_can_be_taken_back(project, manager, annotator, reviewer):
    batch = batch_in(Status.REVIEW, project, manager=manager, annotator=annotator, images=2)
    approved = workflow.approve(actor=reviewer, batch=batch)
    back = workflow.undo(actor=reviewer, batch=approved)
    assert back.status == Status.REVIEW

    rejected = workflow.reject(actor=reviewer, batch=back, comment="Loose boxes")
    again = workflow.undo(actor=reviewer, batch=rejected)
    assert (again.status, again.rejection_count, again.review_comment) == (Status.REVIEW, 0, "")
