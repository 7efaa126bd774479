"""History as data: a BatchEvent keeps the batches a move involved and its figures as fields; the sentence
people read is rendered from them, and "who removed this batch" is found by id, never by matching text."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.roles import grant_role
from batches import workflow
from batches.models import BatchEvent
from batches.workflow import WorkflowError
from tests.batches.board_helpers import client_for
from tests.factories import make_batch, make_user

pytestmark = pytest.mark.django_db


def test_a_merge_records_the_batches_it_took_in_by_id(project, manager):
    target = make_batch(project, manager, images=2, name="Target")
    absorbed = make_batch(project, manager, images=3, name="Absorbed")

    workflow.merge(actor=manager, batches=[target, absorbed])

    event = BatchEvent.objects.get(action=BatchEvent.Action.MERGED)
    assert event.related == [{"id": absorbed.pk, "name": "Absorbed", "images": 3}]
    assert event.batch_ref == target.pk
    assert event.summary == "merged in “Absorbed” (3)"


def test_an_assignment_records_its_shares_and_the_batch_left_in_unassigned(project, manager, annotator):
    batch = make_batch(project, manager, images=10, name="Morning")

    result = workflow.assign(actor=manager, batch=batch, assignees=[annotator], count=4)

    event = BatchEvent.objects.get(action=BatchEvent.Action.ASSIGNED)
    assert event.details == {"shares": [{"assignee": "annotator", "images": 4}]}
    assert event.related == [{"id": result.remainder.pk, "name": "Morning · part 2/2", "images": 6, "rest": True}]


def test_who_merged_a_batch_is_found_by_its_id_even_when_another_batch_had_its_name(project, manager, annotator):
    olga, piet = make_user("olga"), make_user("piet")
    grant_role(project, olga, "manager")
    grant_role(project, piet, "manager")
    target = make_batch(project, manager, images=1, name="Target")
    absorbed = make_batch(project, manager, images=1, name="Twin")
    workflow.merge(actor=olga, batches=[target, absorbed])
    # Later another batch with the same name is deleted by someone else.
    workflow.delete_batch(actor=piet, batch=make_batch(project, manager, images=1, name="Twin"))

    with pytest.raises(WorkflowError) as error:
        workflow.assign(actor=manager, batch=absorbed, assignees=[annotator])

    assert "olga (merged, just now)" in error.value.message


def test_who_deleted_a_batch_is_found_by_its_id_even_when_a_merge_named_it(project, manager, annotator):
    olga, piet = make_user("olga"), make_user("piet")
    grant_role(project, olga, "manager")
    grant_role(project, piet, "manager")
    gone = make_batch(project, manager, images=1, name="Gone")
    workflow.delete_batch(actor=olga, batch=gone)
    # Later a batch that happens to have the same name is merged away by someone else.
    workflow.merge(
        actor=piet,
        batches=[
            make_batch(project, manager, images=1, name="Keep"),
            make_batch(project, manager, images=1, name="Gone"),
        ],
    )

    with pytest.raises(WorkflowError) as error:
        workflow.assign(actor=manager, batch=gone, assignees=[annotator])

    assert "olga (deleted, just now)" in error.value.message


def test_the_sentence_is_rendered_from_the_fields_in_the_reader_s_language(project, manager):
    event = BatchEvent(project=project, batch_name="B", action=BatchEvent.Action.RESET, details={"annotations": 1})

    assert event.summary == "removed 1 annotation"
    with translation.override("en"):
        event.details = {"annotations": 5}
        assert event.summary == "removed 5 annotations"


def test_an_event_written_before_events_kept_their_figures_shows_its_old_sentence(project):
    event = BatchEvent(project=project, batch_name="B", action=BatchEvent.Action.RESET, note="removed 7 annotations")

    assert event.summary == "removed 7 annotations"


def test_the_batch_page_shows_the_history_sentences(project, manager):
    target = make_batch(project, manager, images=2, name="Target")
    workflow.merge(actor=manager, batches=[target, make_batch(project, manager, images=5, name="Other")])

    html = client_for(manager).get(reverse("batch_detail", args=[project.pk, target.pk])).content.decode()

    assert "merged in “Other” (5)" in html
