"""The move endpoint: drags, card menus and dialogs, over htmx and as plain forms; refusals of every kind."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from batches import workflow
from batches.annotating import save_annotations
from batches.models import Annotation, Batch, BatchEvent, Image, Suggestion
from tests.batches.board_helpers import HTMX, batch_in, client_for, seen, shown_message
from tests.factories import annotate, make_batch

pytestmark = pytest.mark.django_db
Status = Batch.Status


def move_url(batch) -> str:
    return reverse("batch_move", args=[batch.project_id, batch.pk])


def dialog_url(batch, action: str) -> str:
    return reverse("batch_move_dialog", args=[batch.project_id, batch.pk, action])


def drag(client, batch, to: str, **extra):
    return client.post(move_url(batch), {**seen(batch), "to": to, **extra}, **HTMX)


def columns_in(response) -> list[str]:
    return re.findall(r'<section id="column-(\w+)"[^>]*hx-swap-oob="true"', response.content.decode())


def cards_in(response, status: str) -> list[int]:
    match = re.search(rf'<section id="column-{status}".*?</section>', response.content.decode(), re.S)
    return [int(pk) for pk in re.findall(r'data-batch-id="(\d+)"', match.group(0))] if match else []


def after_settle(response) -> dict:
    return json.loads(response.headers.get("HX-Trigger-After-Settle", "{}"))


def refreshed(batch) -> Batch:
    return Batch.objects.get(pk=batch.pk)


def nothing_changed(batch, events_before: int) -> bool:
    fresh = refreshed(batch)
    return (
        fresh.version == batch.version and fresh.status == batch.status and BatchEvent.objects.count() == events_before
    )


# --- assign ---------------------------------------------------------------------------------------


def test_dragging_to_annotating_opens_the_assign_dialog_and_changes_nothing_yet(project, manager, annotator):
    batch = make_batch(project, manager, images=500)
    events = BatchEvent.objects.count()

    response = drag(client_for(manager), batch, "annotating")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<div id="dialog-slot" hx-swap-oob="innerHTML">' in html and "<dialog" in html
    assert f"Assign “{batch.name}”" in html and 'value="' + str(annotator.pk) + '"' in html
    assert "All 500 images" in html
    assert nothing_changed(batch, events)


def test_assigning_all_images_to_one_annotator_moves_the_card_and_answers_with_both_columns(
    project, manager, annotator
):
    batch = make_batch(project, manager, images=12)

    response = client_for(manager).post(
        move_url(batch),
        {**seen(batch), "action": "assign", "dialog": "1", "assignees": [annotator.pk], "scope": "all"},
        **HTMX,
    )

    fresh = refreshed(batch)
    assert fresh.status == Status.ANNOTATING and fresh.assignee == annotator
    assert sorted(columns_in(response)) == ["annotating", "unassigned"]
    assert cards_in(response, "annotating") == [batch.pk]
    assert shown_message(response) == {"text": f"“{batch.name}”: 12 images to annotator.", "level": "success"}
    assert after_settle(response)["boardMoved"]["card"] == f"card-{batch.pk}"
    assert '<div id="dialog-slot" hx-swap-oob="innerHTML"></div>' in response.content.decode()


def test_assigning_part_leaves_the_rest_in_a_new_unassigned_batch(project, manager, annotator):
    batch = make_batch(project, manager, images=500)

    response = client_for(manager).post(
        move_url(batch),
        {
            **seen(batch),
            "action": "assign",
            "dialog": "1",
            "assignees": [annotator.pk],
            "scope": "part",
            "count": "120",
        },
        **HTMX,
    )

    rest = Batch.objects.get(split_from=batch)
    assert refreshed(batch).image_count == 120 and rest.image_count == 380 and rest.status == Status.UNASSIGNED
    assert cards_in(response, "unassigned") == [rest.pk]
    assert shown_message(response)["text"] == (
        f"“{batch.name}”: 120 images to annotator; the other 380 stay in Unassigned as “{rest.name}”."
    )


def test_assigning_to_several_annotators_splits_the_images_evenly(project, manager, annotator, annotator2):
    batch = make_batch(project, manager, images=11)

    response = client_for(manager).post(
        move_url(batch),
        {**seen(batch), "action": "assign", "dialog": "1", "assignees": [annotator.pk, annotator2.pk], "scope": "all"},
        **HTMX,
    )

    sizes = sorted(Batch.objects.filter(status=Status.ANNOTATING).values_list("image_count", flat=True))
    assert sizes == [5, 6]
    assert len(cards_in(response, "annotating")) == 2
    assert "split among annotator (6), annotator2 (5)" in shown_message(response)["text"]


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"scope": "all"}, "Choose at least one annotator."),
        ({"assignees": "ANNOTATOR", "scope": "part", "count": ""}, "Say how many of the 10 images to assign."),
        ({"assignees": "ANNOTATOR", "scope": "part", "count": "11"}, "has only 10 images."),
        ({"assignees": "ANNOTATOR", "scope": "part", "count": "0"}, "greater than or equal to 1"),
        ({"assignees": "999999", "scope": "all"}, "Select a valid choice"),
    ],
)
def test_a_wrong_assign_form_shows_the_dialog_again_with_the_reason(project, manager, annotator, fields, error):
    batch = make_batch(project, manager, images=10)
    events = BatchEvent.objects.count()
    if fields.get("assignees") == "ANNOTATOR":
        fields["assignees"] = annotator.pk

    response = client_for(manager).post(
        move_url(batch), {**seen(batch), "action": "assign", "dialog": "1", **fields}, **HTMX
    )

    html = response.content.decode()
    assert "<dialog" in html and error in html
    assert nothing_changed(batch, events)


def test_assigning_to_someone_without_the_annotator_role_is_refused(project, manager, reviewer, annotator):
    batch = make_batch(project, manager)
    events = BatchEvent.objects.count()

    response = client_for(manager).post(
        move_url(batch), {**seen(batch), "action": "assign", "dialog": "1", "assignees": [reviewer.pk]}, **HTMX
    )

    assert "Select a valid choice" in response.content.decode()
    assert nothing_changed(batch, events)


def test_a_plain_assign_form_redirects_to_the_board_with_a_message(client, project, manager, annotator):
    batch = make_batch(project, manager, images=4)
    client.force_login(manager)

    response = client.post(
        move_url(batch), {**seen(batch), "action": "assign", "dialog": "1", "assignees": [annotator.pk]}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("board", args=[project.pk])
    assert f"“{batch.name}”: 4 images to annotator." in response.content.decode()
    assert refreshed(batch).status == Status.ANNOTATING


def test_without_javascript_a_move_that_needs_input_leads_to_its_form_on_the_batch_page(client, project, manager):
    batch = make_batch(project, manager)
    client.force_login(manager)

    response = client.post(move_url(batch), {**seen(batch), "action": "assign"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("batch_detail", args=[project.pk, batch.pk]) + "?move=assign")
    page = client.get(response["Location"]).content.decode()
    assert 'id="move"' in page and f"Assign “{batch.name}”" in page and "<dialog" not in page


def test_without_javascript_the_board_menu_leads_to_the_form_and_back_to_the_board(client, project, manager, annotator):
    batch = make_batch(project, manager, images=3)
    client.force_login(manager)
    board = client.get(reverse("board", args=[project.pk])).content.decode()
    href = re.search(r'<a href="([^"]+move=assign[^"]+)"', board).group(1).replace("&amp;", "&")

    form_page = client.get(href).content.decode()
    assert f'<input type="hidden" name="next" value="{reverse("board", args=[project.pk])}">' in form_page
    response = client.post(
        move_url(batch),
        {
            **seen(batch),
            "action": "assign",
            "dialog": "1",
            "assignees": [annotator.pk],
            "next": reverse("board", args=[project.pk]),
        },
    )

    assert response["Location"] == reverse("board", args=[project.pk])


def test_a_plain_assign_form_with_mistakes_shows_them_on_the_batch_page(client, project, manager, annotator):
    batch = make_batch(project, manager)
    client.force_login(manager)

    response = client.post(move_url(batch), {**seen(batch), "action": "assign", "dialog": "1", "scope": "all"})

    assert response.status_code == 200
    assert "Choose at least one annotator." in response.content.decode()
    assert refreshed(batch).status == Status.UNASSIGNED


def test_the_assign_dialog_from_the_menu_opens_over_htmx(project, manager, annotator):
    batch = make_batch(project, manager, images=7)

    response = client_for(manager).get(dialog_url(batch, "assign"), seen(batch), **HTMX)

    html = response.content.decode()
    assert "<dialog" in html and "All 7 images" in html
    assert "Choose at least one annotator." in html
    # The sentence is the server's: the dialog asks for it again as the inputs change.
    assert f'hx-get="{reverse("batch_assign", args=[project.pk, batch.pk])}?preview=1"' in html


@pytest.mark.parametrize(
    ("fields", "sentence"),
    [
        ({}, "Choose at least one annotator."),
        ({"assignees": ["A"], "scope": "all"}, "7 images to annotator."),
        (
            {"assignees": ["A"], "scope": "part", "count": "3"},
            "3 images to annotator; the other 4 stay in Unassigned as a new batch.",
        ),
        ({"assignees": ["A", "B"], "scope": "all"}, "7 images split among annotator (4), annotator2 (3)."),
        ({"assignees": ["A"], "scope": "part", "count": "9"}, "Choose between 1 and 7 images."),
        ({"assignees": ["A"], "scope": "part", "count": "x"}, "Choose between 1 and 7 images."),
    ],
)
def test_the_assign_dialog_refreshes_its_sentence_from_the_server(
    project, manager, annotator, annotator2, fields, sentence
):
    batch = make_batch(project, manager, images=7)
    people = {"A": annotator.pk, "B": annotator2.pk}
    fields = {k: [people[v] for v in vs] if k == "assignees" else vs for k, vs in fields.items()}

    response = client_for(manager).get(
        reverse("batch_assign", args=[project.pk, batch.pk]), {**seen(batch), "preview": "1", **fields}, **HTMX
    )

    html = response.content.decode()
    assert html.startswith(f'<p class="consequence" id="assign-consequence-{batch.pk}"')
    assert f">{sentence}</p>" in html


def test_a_late_preview_of_a_move_already_made_says_nothing(project, manager, annotator):
    """The assign dialog asks for its sentence as its inputs change; a request still on its way when Assign went
    through found the batch changed and answered with a refusal toast over the assignment's own message."""
    batch = batch_in(Status.UNASSIGNED, project, manager=manager, images=7)
    as_seen = seen(batch)
    workflow.assign(actor=manager, batch=batch, assignees=[annotator])

    response = client_for(manager).get(
        reverse("batch_assign", args=[project.pk, batch.pk]),
        {**as_seen, "preview": "1", "assignees": [annotator.pk], "scope": "all"},
        **HTMX,
    )

    assert response.status_code == 204
    assert not response.content and "HX-Trigger" not in response.headers


# --- submit, approve, reject ----------------------------------------------------------------------


def test_the_assignee_submits_from_the_menu_and_the_card_goes_to_review(project, manager, annotator):
    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator)

    response = client_for(annotator).post(
        move_url(batch), {**seen(batch), "action": "submit", "confirmed": "yes"}, **HTMX
    )

    assert refreshed(batch).status == Status.REVIEW
    assert sorted(columns_in(response)) == ["annotating", "review"]
    assert shown_message(response)["text"] == f"“{batch.name}” submitted: it is in Review now."


def test_dragging_to_review_submits(project, manager, annotator):
    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator)

    drag(client_for(annotator), batch, "review", confirmed="yes")

    assert refreshed(batch).status == Status.REVIEW


def test_dragging_to_dataset_is_refused_while_the_project_reviews_every_batch(project, manager, annotator):
    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator)
    events = BatchEvent.objects.count()

    response = drag(client_for(manager), batch, "dataset")

    assert nothing_changed(batch, events)
    message = shown_message(response)
    assert message["level"] == "error" and "drag it to Review" in message["text"]
    assert sorted(columns_in(response)) == ["annotating", "dataset", "review", "unassigned"]


def test_without_review_a_submit_goes_straight_to_dataset_and_review_is_refused(project, manager, annotator):
    project.review_required = False
    project.save()
    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator)
    client = client_for(annotator)

    refused = drag(client, batch, "review")
    assert "needs no review" in shown_message(refused)["text"]
    drag(client, batch, "dataset", dialog="1", undone_ok="yes")

    assert refreshed(batch).status == Status.DATASET


def test_a_reviewer_approves_by_dragging_to_dataset(project, manager, annotator, reviewer):
    batch = batch_in(Status.REVIEW, project, manager=manager, annotator=annotator)

    response = drag(client_for(reviewer), batch, "dataset", confirmed="yes")

    assert refreshed(batch).status == Status.DATASET
    assert cards_in(response, "dataset") == [batch.pk]
    assert shown_message(response)["level"] == "success"


def test_dragging_back_to_annotating_opens_the_reject_dialog(project, manager, annotator, reviewer):
    batch = batch_in(Status.REVIEW, project, manager=manager, annotator=annotator)

    response = drag(client_for(reviewer), batch, "annotating")

    html = response.content.decode()
    assert "<dialog" in html and f"Reject “{batch.name}”" in html and 'name="comment"' in html
    assert refreshed(batch).status == Status.REVIEW


def test_a_rejection_needs_a_comment(project, manager, annotator, reviewer):
    batch = batch_in(Status.REVIEW, project, manager=manager, annotator=annotator)
    events = BatchEvent.objects.count()

    response = client_for(reviewer).post(
        move_url(batch), {**seen(batch), "action": "reject", "dialog": "1", "comment": "   "}, **HTMX
    )

    assert "Say what needs fixing" in response.content.decode()
    assert nothing_changed(batch, events)


def test_a_rejection_with_a_comment_puts_the_comment_on_the_card(project, manager, annotator, reviewer):
    batch = batch_in(Status.REVIEW, project, manager=manager, annotator=annotator)

    response = client_for(reviewer).post(
        move_url(batch), {**seen(batch), "action": "reject", "dialog": "1", "comment": "Fix the bikes"}, **HTMX
    )

    fresh = refreshed(batch)
    assert fresh.status == Status.ANNOTATING and fresh.review_comment == "Fix the bikes" and fresh.rejection_count == 1
    card = re.search(rf'<article id="card-{batch.pk}".*?</article>', response.content.decode(), re.S).group(0)
    assert "Fix the bikes" in card and "↺" in card
    assert shown_message(response)["text"] == f"“{batch.name}” went back to annotator with your comment."


# --- reset, delete, merge, reassign ---------------------------------------------------------------


def test_dragging_to_unassigned_asks_first_and_says_what_will_be_lost(project, manager, annotator, reviewer):
    batch = batch_in(Status.DATASET, project, manager=manager, annotator=annotator, reviewer=reviewer, images=6)
    label = project.label_classes.first()
    for image in Image.objects.filter(batch=batch)[:3]:
        annotate(image, label, author=annotator)
    events = BatchEvent.objects.count()

    response = drag(client_for(manager), batch, "unassigned")

    html = response.content.decode()
    assert "<dialog" in html and "Reset “" in html
    assert "<strong>3 annotations</strong> on its <strong>6 images</strong> are removed for good" in html
    assert nothing_changed(batch, events)


def test_resetting_a_batch_with_no_annotations_says_nothing_is_lost(project, manager, annotator):
    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=4)
    events = BatchEvent.objects.count()

    response = drag(client_for(manager), batch, "unassigned")

    html = response.content.decode()
    # It warned, in red, that "all 0 annotations" would be removed for good, behind "Reset and remove 0 annotations".
    assert "It has no annotations yet, so nothing is lost: its 4 images go back to Unassigned" in html
    assert "0 annotation" not in html and "consequence danger" not in html
    assert re.search(r'<button type="submit" class="btn btn-danger">Reset to Unassigned</button>', html)
    # A restore brings back the assignment; there is no box to bring back.
    assert "You can restore it until" in html and "with every box" not in html
    assert nothing_changed(batch, events)


@pytest.mark.parametrize("work", ["no objects", "suggestions", "review flag"])
def test_resetting_a_batch_with_work_but_no_boxes_warns_that_its_progress_goes(project, manager, annotator, work):
    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=3)
    image = Image.objects.filter(batch=batch).first()
    if work == "no objects":
        save_annotations(actor=annotator, image=image, boxes=[], no_objects=True)
    elif work == "suggestions":
        Suggestion.objects.create(image=image, label_class=project.label_classes.first(), x=1, y=1, w=5, h=5)
    else:
        Image.objects.filter(pk=image.pk).update(review_flag=True, review_note="The cyclist has no box")

    html = drag(client_for(manager), batch, "unassigned").content.decode()

    # The reset makes done images not done and drops suggestions and flags: that is not "nothing is lost".
    assert "nothing is lost" not in html
    assert "Its progress is removed for good" in html and "consequence danger" in html


def test_confirming_the_reset_removes_the_annotations_and_moves_the_card(project, manager, annotator):
    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=4)
    annotate(Image.objects.filter(batch=batch).first(), project.label_classes.first(), author=annotator)

    response = client_for(manager).post(
        move_url(batch), {**seen(batch), "to": "unassigned", "confirmed": "yes"}, **HTMX
    )

    fresh = refreshed(batch)
    assert fresh.status == Status.UNASSIGNED and fresh.assignee is None
    assert not Annotation.objects.filter(image__batch=batch).exists()
    assert sorted(columns_in(response)) == ["annotating", "unassigned"]
    assert shown_message(response)["text"] == f"“{batch.name}” is back in Unassigned; 1 annotation removed."


def test_delete_in_unassigned_says_the_images_are_gone_for_good_and_then_deletes_them(project, manager):
    batch = make_batch(project, manager, images=9)
    client = client_for(manager)

    dialog = client.get(dialog_url(batch, "delete"), seen(batch), **HTMX).content.decode()
    assert f"Delete “{batch.name}” for good?" in dialog and "<strong>9 images</strong>" in dialog
    assert "cannot be restored" in dialog

    response = client.post(move_url(batch), {**seen(batch), "action": "delete", "confirmed": "yes"}, **HTMX)

    assert not Batch.objects.filter(pk=batch.pk).exists() and not Image.objects.filter(batch_id=batch.pk).exists()
    assert columns_in(response) == ["unassigned"]
    assert shown_message(response)["text"] == f"“{batch.name}” and its 9 images were deleted for good."


def test_delete_twice_from_dataset_first_resets_then_deletes(project, manager, annotator, reviewer):
    batch = batch_in(Status.DATASET, project, manager=manager, annotator=annotator, reviewer=reviewer)
    client = client_for(manager)

    first = client.get(dialog_url(batch, "delete"), seen(batch), **HTMX).content.decode()
    assert "Reset “" in first  # the card's Delete outside Unassigned is the reset
    client.post(move_url(batch), {**seen(batch), "action": "reset", "confirmed": "yes"}, **HTMX)
    batch = refreshed(batch)
    assert batch.status == Status.UNASSIGNED
    client.post(move_url(batch), {**seen(batch), "action": "delete", "confirmed": "yes"}, **HTMX)

    assert not Batch.objects.filter(pk=batch.pk).exists()


def test_a_delete_confirmation_for_another_column_does_nothing(project, manager, annotator):
    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator)
    events = BatchEvent.objects.count()

    response = client_for(manager).post(
        move_url(batch), {**seen(batch), "action": "delete", "confirmed": "yes"}, **HTMX
    )

    assert nothing_changed(batch, events)
    assert shown_message(response)["level"] in ("error", "warning")


def test_merge_joins_another_unassigned_batch(project, manager):
    batch = make_batch(project, manager, images=3, name="Street-03")
    other = make_batch(project, manager, images=4, name="Street-04")
    client = client_for(manager)

    dialog = client.get(dialog_url(batch, "merge"), seen(batch), **HTMX).content.decode()
    assert f'value="{other.pk}:{other.version}"' in dialog and "Street-04 (4 images)" in dialog
    response = client.post(move_url(batch), merge_post(batch, other), **HTMX)

    assert refreshed(batch).image_count == 7 and not Batch.objects.filter(pk=other.pk).exists()
    assert cards_in(response, "unassigned") == [batch.pk]
    assert shown_message(response)["text"] == "“Street-04” merged into “Street-03”: 7 images."


def merge_post(batch, other, **extra) -> dict:
    """The merge dialog's post: the other batch as the dialog showed it, "pk:version"."""
    return {
        **seen(batch),
        "action": "merge",
        "dialog": "1",
        "other": f"{other.pk}:{other.version}",
        "name": "",
        **extra,
    }


def test_merging_a_batch_that_grew_since_the_dialog_showed_it_is_refused_as_stale(project, manager):
    target = make_batch(project, manager, images=3, name="Street-03")
    other = make_batch(project, manager, images=10, name="Street-04")
    third = make_batch(project, manager, images=10, name="Street-05")
    client = client_for(manager)
    client.get(dialog_url(target, "merge"), seen(target), **HTMX)
    # Meanwhile someone merges a third batch into the one this manager is about to merge in.
    workflow.merge(actor=manager, batches=[other, third])
    events = BatchEvent.objects.count()

    response = client.post(move_url(target), merge_post(target, other), **HTMX)

    assert nothing_changed(target, events)
    assert refreshed(other).image_count == 20
    assert shown_message(response)["level"] == "warning"
    assert "“Street-04” has changed since you loaded it" in shown_message(response)["text"]


def test_merging_without_the_version_of_the_other_batch_merges_nothing(project, manager):
    target = make_batch(project, manager, images=3, name="Street-03")
    other = make_batch(project, manager, images=4, name="Street-04")
    events = BatchEvent.objects.count()

    for value in (str(other.pk), f"{other.pk}:", f"{other.pk}:x", f"{other.pk}:٣"):
        response = client_for(manager).post(move_url(target), {**merge_post(target, other), "other": value}, **HTMX)

        assert nothing_changed(target, events) and Batch.objects.filter(pk=other.pk).exists()
        assert "That batch can no longer be merged." in response.content.decode()


def test_merge_says_so_when_there_is_nothing_to_merge_with(project, manager):
    batch = make_batch(project, manager)

    dialog = client_for(manager).get(dialog_url(batch, "merge"), seen(batch), **HTMX).content.decode()

    assert "no other batch in Unassigned" in dialog and 'type="submit"' not in dialog


def test_reassign_hands_the_batch_to_another_annotator(project, manager, annotator, annotator2):
    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator)
    client = client_for(manager)

    dialog = client.get(dialog_url(batch, "reassign"), seen(batch), **HTMX).content.decode()
    assert f'value="{annotator2.pk}"' in dialog and f'<option value="{annotator.pk}"' not in dialog
    response = client.post(
        move_url(batch), {**seen(batch), "action": "reassign", "dialog": "1", "assignee": annotator2.pk}, **HTMX
    )

    assert refreshed(batch).assignee == annotator2
    assert shown_message(response)["text"] == f"“{batch.name}” is now assigned to annotator2."


# --- reorder --------------------------------------------------------------------------------------


def test_dragging_within_a_column_places_the_card_between_its_new_neighbours(project, manager):
    first, second, third = (make_batch(project, manager) for _ in range(3))
    # Newest first: third, second, first. Move `first` between third and second.
    response = drag(client_for(manager), first, "unassigned", before=third.pk, after=second.pk)

    assert cards_in(response, "unassigned") == [third.pk, first.pk, second.pk]
    assert BatchEvent.objects.filter(batch=first, action=BatchEvent.Action.MOVED).count() == 1
    assert shown_message(response) is None


def test_an_annotator_may_not_reorder_unassigned_batches(project, manager, annotator):
    first, second = make_batch(project, manager), make_batch(project, manager)
    events = BatchEvent.objects.count()

    response = drag(client_for(annotator), first, "unassigned", before=second.pk)

    assert nothing_changed(first, events)
    assert shown_message(response)["level"] == "error"


# --- refusals -------------------------------------------------------------------------------------


def test_a_drag_no_move_allows_snaps_back_with_the_reason(project, manager):
    batch = make_batch(project, manager)
    events = BatchEvent.objects.count()

    response = drag(client_for(manager), batch, "review")

    assert nothing_changed(batch, events)
    assert sorted(columns_in(response)) == ["annotating", "dataset", "review", "unassigned"]
    assert cards_in(response, "unassigned") == [batch.pk]
    assert shown_message(response) == {
        "text": f"“{batch.name}” cannot move from Unassigned to Review: assign it first by dragging it to Annotating.",
        "level": "error",
    }


def test_an_annotator_dragging_review_to_dataset_is_refused(project, manager, annotator):
    batch = batch_in(Status.REVIEW, project, manager=manager, annotator=annotator)
    events = BatchEvent.objects.count()

    response = drag(client_for(annotator), batch, "dataset")

    assert nothing_changed(batch, events)
    assert cards_in(response, "review") == [batch.pk]
    assert shown_message(response) == {"text": "Only a reviewer of this project can approve a batch.", "level": "error"}


@pytest.mark.parametrize(
    ("status", "fields"),
    [
        (Status.UNASSIGNED, {"action": "assign"}),
        (Status.UNASSIGNED, {"action": "assign", "dialog": "1", "assignees": "ANNOTATOR"}),
        (Status.UNASSIGNED, {"action": "delete", "confirmed": "yes"}),
        (Status.UNASSIGNED, {"action": "merge", "dialog": "1"}),
        (Status.ANNOTATING, {"action": "reassign", "dialog": "1", "assignee": "ANNOTATOR"}),
        (Status.ANNOTATING, {"action": "reset", "confirmed": "yes"}),
        (Status.REVIEW, {"action": "approve"}),
        (Status.REVIEW, {"action": "reject", "dialog": "1", "comment": "no"}),
    ],
)
def test_the_server_refuses_moves_an_annotator_forges(project, manager, annotator, annotator2, status, fields):
    batch = batch_in(status, project, manager=manager, annotator=annotator2)
    events = BatchEvent.objects.count()
    fields = {k: (annotator.pk if v == "ANNOTATOR" else v) for k, v in fields.items()}

    response = client_for(annotator).post(move_url(batch), {**seen(batch), **fields}, **HTMX)

    assert response.status_code == 200
    assert nothing_changed(batch, events)
    assert shown_message(response)["level"] == "error"
    assert "<dialog" not in response.content.decode()


def test_an_annotator_may_not_submit_someone_elses_batch(project, manager, annotator, annotator2):
    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator2)
    events = BatchEvent.objects.count()

    response = client_for(annotator).post(
        move_url(batch), {**seen(batch), "action": "submit", "confirmed": "yes"}, **HTMX
    )

    assert nothing_changed(batch, events)
    assert "assignee or a manager" in shown_message(response)["text"]


def test_a_forged_dialog_request_gets_the_reason_instead_of_the_dialog(project, manager, annotator):
    batch = make_batch(project, manager)

    response = client_for(annotator).get(dialog_url(batch, "assign"), seen(batch), **HTMX)

    assert "<dialog" not in response.content.decode()
    assert shown_message(response) == {"text": "Only a manager of this project can assign a batch.", "level": "error"}


def test_a_stale_move_says_who_changed_the_batch_and_shows_the_board_as_it_is(project, manager, annotator, reviewer):
    batch = batch_in(Status.REVIEW, project, manager=manager, annotator=annotator)
    old = seen(batch)
    workflow.approve(actor=reviewer, batch=batch)
    events = BatchEvent.objects.count()

    response = client_for(manager).post(move_url(batch), {**old, "action": "reset", "confirmed": "yes"}, **HTMX)

    assert BatchEvent.objects.count() == events and refreshed(batch).status == Status.DATASET
    message = shown_message(response)
    assert message["level"] == "warning"
    assert "reviewer (approved, just now)" in message["text"] and "now in Dataset" in message["text"]
    assert cards_in(response, "dataset") == [batch.pk]


def test_a_stale_drag_of_a_batch_someone_deleted_says_so(project, manager):
    batch = make_batch(project, manager)
    old = seen(batch)
    workflow.delete_batch(actor=manager, batch=batch)

    response = client_for(manager).post(move_url(batch), {**old, "to": "annotating"}, **HTMX)

    assert response.status_code == 200
    assert "no longer on the board" in shown_message(response)["text"]


def test_a_stale_dialog_is_not_opened(project, manager, annotator):
    batch = make_batch(project, manager)
    old = seen(batch)
    workflow.assign(actor=manager, batch=batch, assignees=[annotator])

    response = client_for(manager).get(dialog_url(batch, "delete"), old, **HTMX)

    assert "<dialog" not in response.content.decode()
    assert shown_message(response)["level"] == "warning"


@pytest.mark.parametrize(
    "fields",
    [
        {"to": "annotating"},  # no version
        {"version": "x", "from": "unassigned", "to": "annotating"},
        {"version": "1", "from": "limbo", "to": "annotating"},
        {"version": "1", "from": "unassigned", "to": "limbo"},
        {"version": "1", "from": "unassigned", "action": "teleport"},
        {"version": "1", "from": "unassigned", "to": "unassigned", "before": "abc"},
    ],
)
def test_garbage_gets_a_clear_message_never_a_500(project, manager, fields):
    batch = make_batch(project, manager)

    response = client_for(manager).post(move_url(batch), fields, **HTMX)

    assert response.status_code == 200
    message = shown_message(response)
    assert message is None or message["text"]


def test_a_plain_refused_move_redirects_to_the_board_with_the_reason(client, project, manager):
    batch = make_batch(project, manager)
    client.force_login(manager)

    response = client.post(move_url(batch), {**seen(batch), "to": "dataset"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("board", args=[project.pk])
    assert "cannot move from Unassigned to Dataset" in response.content.decode()


def test_a_plain_move_from_the_batch_page_returns_there(client, project, manager, annotator):
    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator)
    client.force_login(manager)
    page = reverse("batch_detail", args=[project.pk, batch.pk])

    response = client.post(move_url(batch), {**seen(batch), "action": "submit", "confirmed": "yes", "next": page})

    assert response.status_code == 302 and response["Location"] == page


def test_an_unsafe_next_is_ignored(client, project, manager, annotator):
    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator)
    client.force_login(manager)

    response = client.post(
        move_url(batch), {**seen(batch), "action": "submit", "confirmed": "yes", "next": "https://evil.example/"}
    )

    assert response["Location"] == reverse("board", args=[project.pk])


def test_non_members_get_404_and_moves_need_post(client, project, manager, outsider):
    batch = make_batch(project, manager)

    assert client_for(outsider).post(move_url(batch), {**seen(batch), "to": "annotating"}, **HTMX).status_code == 404
    assert client_for(outsider).get(dialog_url(batch, "assign"), seen(batch), **HTMX).status_code == 404
    assert client_for(manager).get(move_url(batch)).status_code == 405


def test_a_current_page_gets_the_new_board_token_and_a_stale_one_does_not(project, manager, annotator):
    from batches.rules import Membership
    from batches.views.board import board_token

    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator)
    other = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator)
    client = client_for(manager)

    current = client.post(
        move_url(batch),
        {
            **seen(batch),
            "action": "submit",
            "confirmed": "yes",
            "token": board_token(Membership.read(manager, project)),
        },
        **HTMX,
    )
    assert f'value="{board_token(Membership.read(manager, project))}" hx-swap-oob="true"' in current.content.decode()

    stale = client.post(
        move_url(other), {**seen(other), "action": "submit", "confirmed": "yes", "token": "older"}, **HTMX
    )
    assert 'id="board-token"' not in stale.content.decode()


@pytest.mark.parametrize("images", [5, 300])
def test_an_approve_by_drag_costs_the_same_queries_whatever_the_batch_size(
    project, manager, annotator, reviewer, images, django_assert_num_queries
):
    batch = batch_in(Status.REVIEW, project, manager=manager, annotator=annotator, images=images)
    client = client_for(reviewer)

    # session, user, project, permissions (2), the batch as seen; in the move's transaction: savepoint,
    # the locked row, permissions afresh (2), the self-review check, the compare-and-set, clearing the
    # review flags, the event, release; then the answer: column totals, the two columns' cards, their thumbnails
    with django_assert_num_queries(16):
        response = drag(client, batch, "dataset", confirmed="yes")
    assert refreshed(batch).status == Status.DATASET
    assert response.status_code == 200


# --- reopen for fixes -----------------------------------------------------------------------------


def test_the_reopen_dialog_offers_the_annotators_with_the_last_one_chosen(
    project, manager, annotator, annotator2, reviewer
):
    batch = batch_in(Status.DATASET, project, manager=manager, annotator=annotator, reviewer=reviewer)

    response = client_for(manager).get(dialog_url(batch, "reopen"), seen(batch), **HTMX)

    html = response.content.decode()
    assert "<dialog" in html and f"Reopen “{batch.name}” for fixes" in html and 'name="comment"' in html
    assert re.search(rf'<option value="{annotator.pk}" selected>', html)
    assert f'<option value="{annotator2.pk}">' in html
    assert "all annotations stay" in html


def test_reopening_from_the_dataset_keeps_the_annotations_and_puts_the_batch_in_annotating(
    project, manager, annotator, annotator2, reviewer
):
    batch = batch_in(Status.DATASET, project, manager=manager, annotator=annotator, reviewer=reviewer)
    image = Image.objects.filter(batch=batch).first()
    box = annotate(image, project.label_classes.first(), author=annotator)
    data = {**seen(batch), "action": "reopen", "dialog": "1", "assignee": annotator2.pk, "comment": "Fix one bike"}

    response = client_for(manager).post(move_url(batch), data, **HTMX)

    fresh = refreshed(batch)
    assert (fresh.status, fresh.assignee, fresh.review_comment) == (Status.ANNOTATING, annotator2, "Fix one bike")
    assert Annotation.objects.filter(pk=box.pk).exists()
    assert cards_in(response, "annotating") == [batch.pk] and cards_in(response, "dataset") == []
    assert (
        shown_message(response)["text"]
        == f"“{batch.name}” is back in Annotating with annotator2; its annotations stay."
    )


def test_reopening_needs_a_comment(project, manager, annotator):
    batch = batch_in(Status.REVIEW, project, manager=manager, annotator=annotator)
    events = BatchEvent.objects.count()

    response = client_for(manager).post(
        move_url(batch), {**seen(batch), "action": "reopen", "dialog": "1", "assignee": annotator.pk}, **HTMX
    )

    assert "reopening needs a comment" in response.content.decode()
    assert nothing_changed(batch, events)


def test_a_reviewer_may_not_reopen_a_batch(project, manager, annotator, reviewer):
    batch = batch_in(Status.DATASET, project, manager=manager, annotator=annotator, reviewer=reviewer)
    events = BatchEvent.objects.count()

    response = client_for(reviewer).post(
        move_url(batch),
        {**seen(batch), "action": "reopen", "dialog": "1", "assignee": annotator.pk, "comment": "x"},
        **HTMX,
    )

    assert shown_message(response)["level"] == "error"
    assert nothing_changed(batch, events)
