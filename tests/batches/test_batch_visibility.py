"""Least privilege: with "only the batches assigned to them", an annotator sees their own batches and a
reviewer Review, Dataset and their own, everywhere a batch shows (board, pages, files); managers see all."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from accounts.roles import grant_role
from batches import workflow
from batches.models import Batch, Project
from batches.rules import Membership
from batches.views.board import board_token, encode_cursor
from tests.batches.board_helpers import HTMX, client_for, seen, shown_message
from tests.factories import batch_in, make_project, stored_image_rows

Status = Batch.Status


@pytest.fixture
def private(project):
    """The shared project, switched to what new projects get: annotators see what is theirs."""
    project.annotator_visibility = Project.AnnotatorVisibility.ASSIGNED
    project.save(update_fields=["annotator_visibility"])
    return project


@pytest.fixture
def board(private, manager, annotator, annotator2, reviewer):
    """One batch in each place: the annotator's own, another annotator's, Unassigned, Review, Dataset."""

    def put(status, who=None, name=""):
        return batch_in(status, private, manager=manager, annotator=who, reviewer=reviewer, name=name, images=2)

    return {
        "mine": put(Status.ANNOTATING, annotator, "Mine-1"),
        "theirs": put(Status.ANNOTATING, annotator2, "Theirs-2"),
        "unassigned": put(Status.UNASSIGNED, name="Nobody-3"),
        "in_review": put(Status.REVIEW, annotator2, "Waiting-4"),
        "done": put(Status.DATASET, annotator2, "Approved-5"),
    }


def with_files(project, manager, annotator) -> Batch:
    batch = workflow.create_batch(actor=manager, project=project, name="Files", images=stored_image_rows(project, 1))
    return workflow.assign(actor=manager, batch=batch, assignees=[annotator]).assigned[0]


def counts(html: str) -> dict[str, str]:
    return dict(re.findall(r'id="column-(\w+)".*?data-count="batches">(\d+)<', html, re.S))


def board_url(project) -> str:
    return reverse("board", args=[project.pk])


def test_new_projects_show_annotators_only_their_own_batches_and_factory_projects_the_board(db):
    assert Project().annotator_visibility == Project.AnnotatorVisibility.ASSIGNED
    assert make_project().annotator_visibility == Project.AnnotatorVisibility.BOARD


def test_the_annotator_s_board_shows_and_counts_only_their_own_batches(board, private, annotator):
    html = client_for(annotator).get(board_url(private)).content.decode()

    assert "Mine-1" in html
    for name in ("Theirs-2", "Nobody-3", "Waiting-4", "Approved-5"):
        assert name not in html
    assert counts(html) == {"unassigned": "0", "annotating": "1", "review": "0", "dataset": "0"}


def test_the_reviewer_s_board_shows_review_dataset_and_what_they_annotate(board, private, manager, reviewer):
    grant_role(private, reviewer, "annotator")
    own = batch_in(Status.ANNOTATING, private, manager=manager, annotator=reviewer, name="Reviewer-6")

    html = client_for(reviewer).get(board_url(private)).content.decode()

    for name in ("Waiting-4", "Approved-5", own.name):
        assert name in html
    assert "Theirs-2" not in html and "Nobody-3" not in html
    assert counts(html) == {"unassigned": "0", "annotating": "1", "review": "1", "dataset": "1"}


def test_the_manager_sees_every_batch(board, private, manager):
    html = client_for(manager).get(board_url(private)).content.decode()

    assert counts(html) == {"unassigned": "1", "annotating": "2", "review": "1", "dataset": "1"}


def test_load_more_brings_no_batch_the_annotator_may_not_see(board, private, annotator):
    first = Batch.objects.filter(project=private).order_by("position", "-id").first()
    before_all = encode_cursor(Batch(position=first.position - 1, pk=2**31 - 2))
    url = reverse("board_column", args=[private.pk, Status.ANNOTATING])

    html = client_for(annotator).get(url, {"after": before_all}, **HTMX).content.decode()

    assert "Mine-1" in html and "Theirs-2" not in html


def test_the_live_check_ignores_and_never_sends_batches_the_annotator_may_not_see(
    board, private, annotator, annotator2
):
    token = board_token(Membership.read(annotator, private))
    workflow.submit(actor=annotator2, batch=Batch.objects.get(pk=board["theirs"].pk))

    assert board_token(Membership.read(annotator, private)) == token
    response = client_for(annotator).get(reverse("board_version", args=[private.pk]), {"token": "old"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Mine-1" in html and "Theirs-2" not in html and "Waiting-4" not in html


@pytest.mark.parametrize("key", ["theirs", "unassigned", "in_review", "done"])
def test_another_s_batch_page_is_not_found_for_the_annotator(board, private, annotator, key):
    batch = board[key]

    assert client_for(annotator).get(reverse("batch_detail", args=[private.pk, batch.pk])).status_code == 404


def test_the_annotator_s_own_batch_page_opens(board, private, annotator):
    batch = board["mine"]

    assert client_for(annotator).get(reverse("batch_detail", args=[private.pk, batch.pk])).status_code == 200


@pytest.mark.parametrize("name", ["annotate", "annotate_strip", "review"])
def test_another_s_workspace_is_not_found_for_the_annotator(board, private, annotator, name):
    batch = board["theirs"] if name != "review" else board["in_review"]

    assert client_for(annotator).get(reverse(name, args=[private.pk, batch.pk])).status_code == 404


def test_the_reviewer_opens_review_but_not_another_s_annotating_batch(board, private, reviewer):
    client = client_for(reviewer)

    assert client.get(reverse("review", args=[private.pk, board["in_review"].pk])).status_code == 200
    assert client.get(reverse("batch_detail", args=[private.pk, board["done"].pk])).status_code == 200
    assert client.get(reverse("batch_detail", args=[private.pk, board["theirs"].pk])).status_code == 404


@pytest.mark.parametrize("name", ["image_file", "image_thumbnail"])
def test_image_files_of_another_s_batch_are_not_found_but_their_own_are_served(
    private, manager, annotator, annotator2, name
):
    theirs = with_files(private, manager, annotator2).images.get()
    mine = with_files(private, manager, annotator).images.get()
    client = client_for(annotator)

    assert client.get(reverse(name, args=[theirs.pk])).status_code == 404
    assert client.get(reverse(name, args=[mine.pk])).status_code == 200
    assert client_for(manager).get(reverse(name, args=[theirs.pk])).status_code == 200


def test_a_move_on_a_hidden_batch_answers_like_a_deleted_batch_without_its_name(board, private, annotator):
    batch = board["theirs"]
    url = reverse("batch_move", args=[private.pk, batch.pk])

    response = client_for(annotator).post(url, {**seen(batch), "action": "submit"}, **HTMX)

    message = shown_message(response)["text"]
    assert "no longer on the board" in message and "Theirs-2" not in message
    assert "Theirs-2" not in response.content.decode()
    assert Batch.objects.get(pk=batch.pk).status == Status.ANNOTATING


def test_with_the_whole_board_setting_annotators_see_every_batch(board, private, annotator):
    private.annotator_visibility = Project.AnnotatorVisibility.BOARD
    private.save(update_fields=["annotator_visibility"])
    client = client_for(annotator)

    html = client.get(board_url(private), {"assignee": ""}).content.decode()  # Everyone, not their own

    assert counts(html) == {"unassigned": "1", "annotating": "2", "review": "1", "dataset": "1"}
    assert client.get(reverse("batch_detail", args=[private.pk, board["theirs"].pk])).status_code == 200


def test_the_batch_page_names_no_batch_it_was_split_from_or_into_that_the_annotator_may_not_see(
    private, manager, annotator, annotator2
):
    whole = batch_in(Status.UNASSIGNED, private, manager=manager, images=4, name="Whole-7")
    parts = workflow.assign(actor=manager, batch=whole, assignees=[annotator, annotator2]).assigned
    names = {part.assignee_id: part.name for part in parts}
    mine = next(part for part in parts if part.assignee_id == annotator.pk)
    related = [b for b in Batch.objects.filter(project=private) if b.pk != mine.pk]
    assert related, "the assignment split the batch"

    html = client_for(annotator).get(reverse("batch_detail", args=[private.pk, mine.pk])).content.decode()
    manager_html = client_for(manager).get(reverse("batch_detail", args=[private.pk, mine.pk])).content.decode()

    assert names[annotator2.pk] != mine.name
    for other in related:
        assert other.name not in html
    assert any(other.name in manager_html for other in related)


@pytest.mark.django_db(transaction=True)
def test_projects_made_before_the_setting_existed_keep_the_whole_board():
    before = [("batches", "0003_self_review_help_text")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    OldProject = executor.loader.project_state(before).apps.get_model("batches", "Project")
    old = OldProject.objects.create(name="Made last year")

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # back to today's schema, for the tests that follow

    assert Project.objects.get(pk=old.pk).annotator_visibility == Project.AnnotatorVisibility.BOARD
    assert Project.objects.create(name="Made today").annotator_visibility == Project.AnnotatorVisibility.ASSIGNED
