"""Restore a reset and take back images not started (issue #19): the workflow, the rule book and the views."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import grant_role
from batches import workflow
from batches.annotating import save_annotations
from batches.errors import WorkflowError
from batches.models import Annotation, Batch, BatchEvent, Image, ResetSnapshot
from batches.rules import MOVES, Membership, moves_for
from batches.tasks import purge_reset_snapshots
from tests.batches.board_helpers import HTMX, client_for, seen, shown_message
from tests.batches.workflow_helpers import annotate_some, batch_in, database_state, fresh
from tests.factories import make_batch, make_user

pytestmark = pytest.mark.django_db
Status = Batch.Status


def _reset_after_review(project, manager, annotator, reviewer) -> tuple[Batch, list]:
    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=6)
    annotate_some(batch, annotator, 4)
    blank = Image.objects.filter(batch=batch, state=Image.State.NEW).order_by("pk").first()
    Image.objects.filter(pk=blank.pk).update(state=Image.State.NO_OBJECTS)
    Batch.objects.filter(pk=batch.pk).update(done_count=5)
    batch = workflow.submit(actor=annotator, batch=fresh(batch))
    flagged = Image.objects.filter(batch=batch).order_by("pk").first()
    Image.objects.filter(pk=flagged.pk).update(review_flag=True, review_note="box too loose")
    batch = workflow.reject(actor=reviewer, batch=fresh(batch), comment="Tighten the first box")
    before = {
        "boxes": sorted(Annotation.objects.filter(image__batch=batch).values_list("image_id", "x", "y", "w", "h")),
        "images": sorted(Image.objects.filter(batch=batch).values_list("pk", "state", "review_flag", "review_note")),
    }
    workflow.delete_batch(actor=manager, batch=fresh(batch))
    return fresh(batch), before


# --- restore ------------------------------------------------------------------------------------------


def test_a_reset_keeps_a_snapshot_and_restore_puts_everything_back(project, manager, annotator, reviewer):
    batch, before = _reset_after_review(project, manager, annotator, reviewer)
    assert batch.status == Status.UNASSIGNED and not Annotation.objects.filter(image__batch=batch).exists()
    assert batch.restorable()
    snapshot = ResetSnapshot.objects.get(batch=batch)
    assert snapshot.expires_at - snapshot.created_at == dt.timedelta(days=14)

    restored = workflow.restore(actor=manager, batch=batch)

    restored = fresh(restored)
    assert (restored.status, restored.assignee, restored.done_count) == (Status.ANNOTATING, annotator, 5)
    assert (restored.review_comment, restored.rejection_count) == ("Tighten the first box", 1)
    assert (
        sorted(Annotation.objects.filter(image__batch=batch).values_list("image_id", "x", "y", "w", "h"))
        == before["boxes"]
    )
    assert (
        sorted(Image.objects.filter(batch=batch).values_list("pk", "state", "review_flag", "review_note"))
        == before["images"]
    )
    event = BatchEvent.objects.filter(batch=batch).first()
    assert (event.action, event.from_status, event.to_status) == ("restored", Status.UNASSIGNED, Status.ANNOTATING)
    assert event.details["annotations"] == 4
    assert not ResetSnapshot.objects.filter(batch=batch).exists() and not restored.restorable()


def test_restore_returns_a_dataset_batch_to_the_dataset(project, manager, annotator, reviewer):
    batch = batch_in(Status.DATASET, project, manager=manager, annotator=annotator, reviewer=reviewer, images=3)
    workflow.delete_batch(actor=manager, batch=batch)

    restored = workflow.restore(actor=manager, batch=fresh(batch))

    assert (restored.status, restored.assignee) == (Status.DATASET, annotator)


def test_restore_brings_back_a_relabelled_batchs_suggestions_and_boxes_of_an_author_removed_since(
    project, manager, annotator, annotator2, reviewer
):
    """A reset of a relabelled batch removed its suggestions (to accept, and the previous version the review
    compares with) and Restore did not bring them back; one whose author was deleted since must not fail it."""
    from batches.models import Suggestion

    batch = batch_in(Status.DATASET, project, manager=manager, annotator=annotator, reviewer=reviewer, images=4)
    annotate_some(batch, annotator, 3)
    batch = workflow.relabel(actor=manager, batch=fresh(batch), assignee=annotator2, comment="New class rules")
    image = Image.objects.filter(batch=batch).order_by("pk").first()
    label = project.label_classes.first()
    save_annotations(actor=annotator2, image=image, boxes=[{"label_class": label.pk, "x": 2, "y": 2, "w": 8, "h": 8}])
    suggestions = sorted(
        Suggestion.objects.filter(image__batch=batch).values_list(
            "image_id", "x", "y", "w", "h", "author_id", "previous"
        )
    )
    assert suggestions and any(not row[-1] for row in suggestions) and any(row[-1] for row in suggestions)
    workflow.delete_batch(actor=manager, batch=fresh(batch))
    assert not Suggestion.objects.filter(image__batch=batch).exists()
    gone = annotator.pk
    annotator.delete()  # the author of the boxes the suggestions come from

    restored = workflow.restore(actor=manager, batch=fresh(batch))

    assert restored.status == Status.ANNOTATING
    assert sorted(
        Suggestion.objects.filter(image__batch=batch).values_list(
            "image_id", "x", "y", "w", "h", "author_id", "previous"
        )
    ) == sorted((*row[:5], None if row[5] == gone else row[5], row[6]) for row in suggestions)
    assert list(Annotation.objects.filter(image__batch=batch).values_list("image_id", "author_id")) == [
        (image.pk, annotator2.pk)
    ]


@pytest.mark.parametrize("change", ["reorder", "assign", "merge", "upload_into"])
def test_restore_is_refused_after_any_change_and_changes_nothing(project, manager, annotator, reviewer, change):
    batch, _ = _reset_after_review(project, manager, annotator, reviewer)
    if change == "reorder":
        other = make_batch(project, manager, images=1)
        workflow.reorder(actor=manager, batch=batch, after=other)
    elif change == "assign":
        assigned = workflow.assign(actor=manager, batch=batch, assignees=[annotator]).assigned[0]
        workflow.undo(actor=manager, batch=assigned)  # back in Unassigned, but changed since the reset
    elif change == "merge":
        workflow.merge(actor=manager, batches=[batch, make_batch(project, manager, images=1)])
    else:
        Batch.objects.filter(pk=batch.pk).update(version=batch.version + 1)
    batch = fresh(batch)
    state = database_state()

    assert not batch.restorable()
    assert MOVES["restore"] not in moves_for(Membership.read(manager, project), batch)
    with pytest.raises(WorkflowError) as refused:
        workflow.restore(actor=manager, batch=batch)

    assert refused.value.kind == WorkflowError.FORBIDDEN
    assert database_state() == state


def test_restore_is_refused_once_the_retention_is_over_and_the_purge_removes_the_snapshot(
    project, manager, annotator, reviewer
):
    batch, _ = _reset_after_review(project, manager, annotator, reviewer)
    kept, _ = _reset_after_review(project, manager, annotator, reviewer)
    late = timezone.now() - dt.timedelta(seconds=1)
    ResetSnapshot.objects.filter(batch=batch).update(expires_at=late)
    Batch.objects.filter(pk=batch.pk).update(restore_until=late)

    with pytest.raises(WorkflowError):
        workflow.restore(actor=manager, batch=fresh(batch))
    assert purge_reset_snapshots.call() == 1

    assert list(ResetSnapshot.objects.values_list("batch_id", flat=True)) == [kept.pk]


def test_the_retention_is_the_operators_setting(project, manager, annotator, reviewer, settings):
    settings.RESET_SNAPSHOT_DAYS = 3
    batch, _ = _reset_after_review(project, manager, annotator, reviewer)

    snapshot = ResetSnapshot.objects.get(batch=batch)
    assert snapshot.expires_at - snapshot.created_at < dt.timedelta(days=3, seconds=5)
    assert batch.restore_until == snapshot.expires_at


@pytest.mark.parametrize("roles", [("manager",), ("reviewer",), ("annotator",), ("reviewer", "annotator")])
def test_only_a_manager_may_restore_and_every_path_agrees(project, manager, annotator, reviewer, roles):
    batch, _ = _reset_after_review(project, manager, annotator, reviewer)
    project.annotator_visibility = "board"
    project.save()
    person = make_user("person")
    for role in roles:
        grant_role(project, person, role)
    client = client_for(person)
    allowed = "manager" in roles

    assert (MOVES["restore"].refusal(Membership.read(person, project), batch) is None) == allowed
    board = client.get(reverse("board", args=[project.pk]), {"assignee": ""}).content.decode()
    assert ('data-move="restore"' in board) == allowed
    dialog = client.get(reverse("batch_move_dialog", args=[project.pk, batch.pk, "restore"]), seen(batch), **HTMX)
    assert ("<dialog" in dialog.content.decode()) == allowed
    response = client.post(
        reverse("batch_restore", args=[project.pk, batch.pk]), {**seen(batch), "dialog": "1"}, **HTMX
    )
    assert (fresh(batch).status == Status.ANNOTATING) == allowed
    assert response.status_code == 200


def test_the_reset_dialog_says_until_when_it_can_be_restored_and_delete_says_it_cannot(
    project, manager, annotator, settings
):
    settings.RESET_SNAPSHOT_DAYS = 14
    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=2)
    client = client_for(manager)
    until = timezone.localtime(timezone.now() + dt.timedelta(days=14))

    reset = client.get(reverse("batch_move_dialog", args=[project.pk, batch.pk, "reset"]), seen(batch), **HTMX)
    assert f"until {until.day} {until:%b}" in reset.content.decode()

    workflow.delete_batch(actor=manager, batch=batch)
    batch = fresh(batch)
    restore = client.get(reverse("batch_move_dialog", args=[project.pk, batch.pk, "restore"]), seen(batch), **HTMX)
    assert "Restore “" in restore.content.decode() and "back to Annotating" in restore.content.decode()
    delete = client.get(reverse("batch_move_dialog", args=[project.pk, batch.pk, "delete"]), seen(batch), **HTMX)
    assert "cannot be restored" in delete.content.decode()


def test_restoring_from_the_dialog_brings_the_boxes_back(project, manager, annotator, reviewer):
    batch, before = _reset_after_review(project, manager, annotator, reviewer)

    response = client_for(manager).post(
        reverse("batch_restore", args=[project.pk, batch.pk]), {**seen(batch), "dialog": "1"}, **HTMX
    )

    assert "is restored" in shown_message(response)["text"]
    assert Annotation.objects.filter(image__batch=batch).count() == len(before["boxes"])


# --- take back ----------------------------------------------------------------------------------------


def _half_done(project, manager, annotator) -> Batch:
    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=8)
    annotate_some(batch, annotator, 3)
    flagged = Image.objects.filter(batch=batch, state=Image.State.NEW).order_by("pk").first()
    Image.objects.filter(pk=flagged.pk).update(review_flag=True, review_note="look again")
    return fresh(batch)


def test_take_back_moves_only_untouched_images_into_a_new_unassigned_batch(project, manager, annotator):
    batch = _half_done(project, manager, annotator)
    touched = set(
        Image.objects.filter(batch=batch).exclude(state=Image.State.NEW, review_flag=False).values_list("pk", flat=True)
    )

    rest = workflow.take_back(actor=manager, batch=batch, scope="untouched", expected=4)

    rest, batch = fresh(rest), fresh(batch)
    assert (rest.status, rest.assignee, rest.image_count, rest.split_from_id) == (Status.UNASSIGNED, None, 4, batch.pk)
    assert (batch.status, batch.assignee, batch.image_count, batch.done_count) == (Status.ANNOTATING, annotator, 4, 3)
    assert set(Image.objects.filter(batch=batch).values_list("pk", flat=True)) == touched
    assert not Annotation.objects.filter(image__batch=rest).exists()
    event = BatchEvent.objects.filter(batch=batch).first()
    assert (event.action, event.image_count, event.related[0]["id"]) == ("taken_back", 4, rest.pk)


def test_take_back_of_every_image_not_done_takes_the_flagged_one_too(project, manager, annotator):
    batch = _half_done(project, manager, annotator)

    rest = workflow.take_back(actor=manager, batch=batch, scope="not_done", expected=5)

    assert fresh(rest).image_count == 5 and fresh(batch).image_count == 3


def test_take_back_is_refused_when_the_annotator_saved_meanwhile_and_moves_nothing(project, manager, annotator):
    batch = _half_done(project, manager, annotator)
    image = Image.objects.filter(batch=batch, state=Image.State.NEW, review_flag=False).first()
    label = project.label_classes.first()
    save_annotations(actor=annotator, image=image, boxes=[{"label_class": label.pk, "x": 1, "y": 1, "w": 5, "h": 5}])
    state = database_state()

    with pytest.raises(WorkflowError) as refused:
        workflow.take_back(actor=manager, batch=fresh(batch), scope="untouched", expected=4)

    assert refused.value.kind == WorkflowError.STALE
    assert database_state() == state


def test_take_back_is_refused_after_a_move_of_the_batch(project, manager, annotator, annotator2):
    batch = _half_done(project, manager, annotator)
    workflow.reassign(actor=manager, batch=batch, assignee=annotator2)
    state = database_state()

    with pytest.raises(WorkflowError) as refused:
        workflow.take_back(actor=manager, batch=batch, scope="untouched", expected=4)

    assert refused.value.kind == WorkflowError.STALE
    assert database_state() == state


def test_take_back_of_a_batch_nobody_started_is_refused(project, manager, annotator):
    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=3)

    with pytest.raises(WorkflowError) as refused:
        workflow.take_back(actor=manager, batch=batch, scope="untouched", expected=3)

    assert refused.value.kind == WorkflowError.REFUSED and fresh(batch).image_count == 3


def test_only_a_manager_may_take_back(project, manager, annotator):
    batch = _half_done(project, manager, annotator)

    with pytest.raises(WorkflowError) as refused:
        workflow.take_back(actor=annotator, batch=batch, scope="untouched", expected=4)

    assert refused.value.kind == WorkflowError.FORBIDDEN


def test_the_take_back_dialog_states_the_counts_and_its_form_moves_them(project, manager, annotator):
    batch = _half_done(project, manager, annotator)
    client = client_for(manager)

    dialog = client.get(reverse("batch_move_dialog", args=[project.pk, batch.pk, "takeback"]), seen(batch), **HTMX)
    html = dialog.content.decode()
    assert "The 4 images nobody has started" in html and "Every image not done (5)" in html
    assert "4 of 8 images are done or started and stay with" in html

    response = client.post(
        reverse("batch_takeback", args=[project.pk, batch.pk]),
        {**seen(batch), "dialog": "1", "scope": "untouched", "expected_untouched": "4", "expected_not_done": "5"},
        **HTMX,
    )
    assert "4 images of" in shown_message(response)["text"]
    assert fresh(batch).image_count == 4


@pytest.mark.parametrize("expected", ["", "x", "-1", "99999999999999999999"])
def test_a_take_back_with_a_strange_count_is_refused_cleanly(project, manager, annotator, expected):
    batch = _half_done(project, manager, annotator)

    response = client_for(manager).post(
        reverse("batch_takeback", args=[project.pk, batch.pk]),
        {**seen(batch), "dialog": "1", "scope": "untouched", "expected_untouched": expected},
        **HTMX,
    )

    assert response.status_code == 200 and shown_message(response)["level"] in ("warning", "error")
    assert fresh(batch).image_count == 8


# --- relabel ------------------------------------------------------------------------------------------


def test_relabel_keeps_the_previous_boxes_as_suggestions_and_the_export_has_the_current_version_only(
    project, manager, annotator, annotator2, reviewer
):
    from batches.models import Suggestion
    from tests.batches.export_helpers import export_zip

    batch = batch_in(Status.DATASET, project, manager=manager, annotator=annotator, reviewer=reviewer, images=4)
    annotate_some(batch, annotator, 3)
    before = sorted(Annotation.objects.filter(image__batch=batch).values_list("image_id", "x", "y", "w", "h"))
    Image.objects.filter(batch=batch).update(review_flag=True)

    relabelled = workflow.relabel(actor=manager, batch=batch, assignee=annotator2, comment="New class rules")

    relabelled = fresh(relabelled)
    assert (relabelled.status, relabelled.assignee, relabelled.done_count) == (Status.ANNOTATING, annotator2, 0)
    assert relabelled.review_comment == "New class rules"
    assert not Annotation.objects.filter(image__batch=batch).exists()
    assert len(before) == 3
    open_ones = Suggestion.objects.filter(image__batch=batch, previous=False)
    assert sorted(open_ones.values_list("image_id", "x", "y", "w", "h")) == before
    assert not Image.objects.filter(batch=batch).exclude(state=Image.State.NEW, review_flag=False).exists()
    event = BatchEvent.objects.filter(batch=batch).first()
    assert (event.action, event.from_status, event.details["suggestions"]) == (
        "relabelled",
        Status.DATASET,
        len(before),
    )
    # Back in the Dataset with one box accepted: the export has that box only, never a suggestion.
    image = Image.objects.filter(batch=batch).order_by("pk").first()
    label = project.label_classes.first()
    box = {"label_class": label.pk, "x": 2, "y": 2, "w": 8, "h": 8}
    left = [dict(box, x=3)]
    save_annotations(actor=annotator2, image=image, boxes=[box], suggestions=left)
    assert Suggestion.objects.filter(image=image, previous=False).count() == 1
    for other in Image.objects.filter(batch=batch).exclude(pk=image.pk):
        save_annotations(actor=annotator2, image=other, boxes=[], no_objects=True, suggestions=[])
    workflow.approve(actor=reviewer, batch=workflow.submit(actor=annotator2, batch=fresh(batch)))
    archive = export_zip(project, format="coco")
    coco = next(name for name in archive.namelist() if name.endswith(".json"))
    import json

    assert len(json.loads(archive.read(coco))["annotations"]) == 1


def test_relabel_is_a_managers_move_from_review_or_dataset_only(project, manager, annotator, reviewer):
    working = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator)
    waiting = batch_in(Status.REVIEW, project, manager=manager, annotator=annotator)
    state = database_state()

    with pytest.raises(WorkflowError) as wrong_column:
        workflow.relabel(actor=manager, batch=working, assignee=annotator)
    with pytest.raises(WorkflowError) as not_manager:
        workflow.relabel(actor=reviewer, batch=waiting, assignee=annotator)

    assert (wrong_column.value.kind, not_manager.value.kind) == (WorkflowError.REFUSED, WorkflowError.FORBIDDEN)
    assert database_state() == state


def test_relabel_from_the_dialog_and_the_annotate_page_shows_the_suggestions(project, manager, annotator, reviewer):
    batch = batch_in(Status.DATASET, project, manager=manager, annotator=annotator, reviewer=reviewer, images=2)
    annotate_some(batch, annotator, 2)
    client = client_for(manager)

    dialog = client.get(reverse("batch_move_dialog", args=[project.pk, batch.pk, "relabel"]), seen(batch), **HTMX)
    assert "Its 2 boxes are shown as suggestions" in dialog.content.decode()
    response = client.post(
        reverse("batch_relabel", args=[project.pk, batch.pk]),
        {**seen(batch), "dialog": "1", "assignee": str(annotator.pk), "comment": ""},
        **HTMX,
    )
    assert "suggestions now" in shown_message(response)["text"]

    image = Image.objects.filter(batch=batch).order_by("pk").first()
    data = client_for(annotator).get(reverse("annotate_image", args=[project.pk, batch.pk, image.pk])).json()
    assert len(data["image"]["suggestions"]) == 1 and data["image"]["boxes"] == []


def test_the_review_of_a_relabelled_batch_shows_added_removed_and_moved_boxes(project, manager, annotator, reviewer):
    from batches.relabel_diff import compare

    batch = batch_in(Status.DATASET, project, manager=manager, annotator=annotator, reviewer=reviewer, images=1)
    image = Image.objects.get(batch=batch)
    label = project.label_classes.first()
    for box in [(1, 1, 10, 10), (100, 100, 20, 20), (300, 200, 40, 40)]:
        annotate_tuple = {"label_class": label.pk, "x": box[0], "y": box[1], "w": box[2], "h": box[3]}
        Annotation.objects.create(
            image=image, label_class=label, author=annotator, **{k: annotate_tuple[k] for k in "xywh"}
        )
    workflow.relabel(actor=manager, batch=batch, assignee=annotator)
    kept = {"label_class": label.pk, "x": 1, "y": 1, "w": 10, "h": 10}
    moved = {"label_class": label.pk, "x": 104, "y": 100, "w": 20, "h": 20}
    added = {"label_class": label.pk, "x": 500, "y": 300, "w": 30, "h": 30}
    save_annotations(actor=annotator, image=image, boxes=[kept, moved, added], suggestions=[])
    workflow.submit(actor=annotator, batch=fresh(batch))

    html = client_for(reviewer).get(reverse("review", args=[project.pk, batch.pk])).content.decode()

    assert "1 added" in html and "1 removed" in html and "1 moved" in html
    assert html.count('class="vbox diff diff-removed" x="300.0"') == 1
    assert html.count('class="vbox diff diff-moved" x="100.0"') == 1
    assert html.count('class="vbox diff diff-added" x="500.0"') == 1
    assert not compare([], []).any


def test_a_relabelled_batch_can_be_reset_and_deleted_for_good(project, manager, annotator, reviewer):
    from batches.models import Suggestion

    batch = batch_in(Status.DATASET, project, manager=manager, annotator=annotator, reviewer=reviewer, images=2)
    annotate_some(batch, annotator, 2)
    workflow.relabel(actor=manager, batch=batch, assignee=annotator)

    workflow.delete_batch(actor=manager, batch=fresh(batch))
    assert not Suggestion.objects.exists()
    workflow.delete_batch(actor=manager, batch=fresh(batch))

    assert not Batch.objects.filter(pk=batch.pk).exists() and not Image.objects.exists()
