"""My work: a person's batches across projects — to annotate, returned with the reviewer's comment, to
review (Approve shown disabled with its reason on their own batch) — and the top bar's count."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import grant_role
from batches import workflow
from batches.models import Batch
from tests.batches.board_helpers import batch_in, client_for
from tests.factories import make_batch, make_project

pytestmark = pytest.mark.django_db
Status = Batch.Status


def test_my_work_lists_an_annotators_batches_across_projects(project, manager, annotator, reviewer):
    other = make_project("Harbour")
    grant_role(other, manager, "manager")
    grant_role(other, annotator, "annotator")
    mine = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, name="Mine")
    elsewhere = batch_in(Status.ANNOTATING, other, manager=manager, annotator=annotator, name="Harbour-1")
    returned = batch_in(Status.REVIEW, project, manager=manager, annotator=annotator, name="Back")
    workflow.reject(actor=reviewer, batch=returned, comment="Boxes too loose")
    make_batch(project, manager, name="Not mine")

    html = client_for(annotator).get(reverse("my_work")).content.decode()

    annotate = html.split('data-my-work="annotate"')[1].split("</ul>")[0]
    assert mine.name in annotate and elsewhere.name in annotate and "Back" not in annotate
    back = html.split('data-my-work="returned"')[1].split("</ul>")[0]
    assert "Back" in back and "Boxes too loose" in back
    assert "Not mine" not in html


def test_a_reviewer_sees_batches_to_review_and_approve_disabled_on_their_own(project, manager, annotator, reviewer):
    grant_role(project, annotator, "reviewer")
    theirs = batch_in(Status.REVIEW, project, manager=manager, annotator=annotator, name="Own work")

    html = client_for(annotator).get(reverse("my_work")).content.decode()

    review = html.split('data-my-work="review"')[1].split("</ul>")[0]
    assert theirs.name in review
    assert "disabled" in review and "someone else must approve it" in review


def test_the_top_bar_count_is_the_number_of_batches_waiting(project, manager, annotator):
    batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator)
    batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator)

    html = client_for(annotator).get(reverse("my_work_count")).content.decode()

    assert "data-my-work-count" in html and " 2<" in html


def test_past_the_listed_batches_the_counts_and_the_badge_still_tell_the_whole_number(
    project, manager, annotator, reviewer, monkeypatch
):
    monkeypatch.setattr("batches.my_work.SHOWN", 2)
    for i in range(3):
        batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, name=f"Plain {i}")
    returned = batch_in(Status.REVIEW, project, manager=manager, annotator=annotator, name="Back")
    workflow.reject(actor=reviewer, batch=returned, comment="Boxes too loose")
    client = client_for(annotator)

    html = client.get(reverse("my_work")).content.decode()

    # The batch that came back from review is listed although three others come before it on the board.
    assert "Back" in html.split('data-my-work="returned"')[1].split("</ul>")[0]
    assert html.split('data-my-work="annotate"')[1].split("</ul>")[0].count("<li>") == 1
    assert 'To annotate <span class="muted">(3)</span>' in html
    assert "The first 1 of 3 are listed here" in html
    assert html.count("data-my-work-more") == 1  # not under the returned list, which is whole
    badge = client.get(reverse("my_work_count")).content.decode()
    assert " 4<" in badge


def test_the_badge_costs_the_same_queries_whatever_the_number_of_batches(
    project, manager, annotator, django_assert_num_queries
):
    client = client_for(annotator)
    batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("my_work_count"))
    for _ in range(5):
        batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator)
    with django_assert_num_queries(len(one.captured_queries)):
        html = client.get(reverse("my_work_count")).content.decode()
    assert " 6<" in html


def test_my_work_costs_the_same_queries_for_one_project_or_five(
    project, manager, annotator, django_assert_max_num_queries
):
    for i in range(5):
        other = make_project(f"P{i}")
        grant_role(other, manager, "manager")
        grant_role(other, annotator, "annotator")
        batch_in(Status.ANNOTATING, other, manager=manager, annotator=annotator)
    client = client_for(annotator)

    with django_assert_max_num_queries(8):
        client.get(reverse("my_work"))


def test_someone_who_only_annotates_lands_on_my_work(project, manager, annotator):
    client = client_for(annotator)

    assert client.get(reverse("project_list"))["Location"] == reverse("my_work")
    assert client.get(reverse("project_list"), {"all": "1"}).status_code == 200
    assert client_for(manager).get(reverse("project_list")).status_code == 200


def test_an_annotators_board_starts_on_assigned_to_me_and_remembers_the_choice(project, manager, annotator):
    mine = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, name="Mine")
    make_batch(project, manager, name="Someone elses")
    client = client_for(annotator)
    board = reverse("board", args=[project.pk])

    first = client.get(board).content.decode()
    assert mine.name in first and "Someone elses" not in first

    client.get(board, {"assignee": ""})
    assert "Someone elses" in client.get(board).content.decode()
    manager_view = client_for(manager).get(board).content.decode()
    assert "Someone elses" in manager_view
