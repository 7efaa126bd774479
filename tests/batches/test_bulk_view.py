"""Bulk moves of a board selection: one dialog with the summed consequences, then batch by batch through
the rule book and the workflow, with one report naming what was refused or stale and why."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from batches import workflow
from batches.annotating import save_annotations
from batches.models import Batch, BatchEvent, Image
from tests.batches.board_helpers import HTMX, batch_in, client_for, shown_message
from tests.factories import make_batch

pytestmark = pytest.mark.django_db
Status = Batch.Status


def url(project, action: str) -> str:
    return reverse("bulk_move", args=[project.pk, action])


def picks(*batches: Batch) -> list[str]:
    return [f"{b.pk}:{b.version}:{b.status}" for b in batches]


def apply(user, project, action: str, batches, **extra):
    return client_for(user).post(url(project, action), {"batch": picks(*batches), "confirmed": "yes", **extra}, **HTMX)


def test_the_delete_dialog_states_the_summed_consequences(project, manager):
    batches = [make_batch(project, manager, images=n) for n in (3, 4, 5)]

    response = client_for(manager).get(url(project, "delete"), {"batch": picks(*batches)}, **HTMX)

    html = response.content.decode()
    assert "Delete 3 batches for good?" in html
    assert "Delete 3 batches: 12 images and their files, for good." in html
    assert Batch.objects.filter(project=project).count() == 3


def test_a_bulk_delete_removes_every_selected_batch_with_one_event_each(project, manager):
    batches = [make_batch(project, manager, images=2) for _ in range(4)]

    response = apply(manager, project, "delete", batches)

    assert not Batch.objects.filter(project=project).exists()
    assert BatchEvent.objects.filter(action=BatchEvent.Action.DELETED).count() == 4
    assert shown_message(response) == {"text": "4 batches moved.", "level": "success"}
    assert "data-bulk-report" in response.content.decode()


def test_a_partly_refused_bulk_move_reports_each_refusal_and_does_the_rest(project, manager, annotator):
    fresh = make_batch(project, manager, name="fresh")
    assigned = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, name="busy")
    stale = make_batch(project, manager, name="renamed meanwhile")
    seen_stale = picks(stale)[0]
    workflow.merge(actor=manager, batches=[stale, make_batch(project, manager, name="other")])

    response = client_for(manager).post(
        url(project, "delete"),
        {"batch": [*picks(fresh, assigned), seen_stale], "confirmed": "yes"},
        **HTMX,
    )

    html = response.content.decode()
    assert not Batch.objects.filter(pk=fresh.pk).exists()
    assert Batch.objects.get(pk=assigned.pk).status == Status.ANNOTATING
    assert Batch.objects.filter(pk=stale.pk).exists()
    assert "“busy”: Delete for good is only possible from Unassigned; “busy” is in Annotating." in html
    assert "“renamed meanwhile”: “renamed meanwhile” has changed since you loaded it" in html
    assert shown_message(response) == {"text": "1 batch moved; 2 not moved.", "level": "warning"}


def test_a_bulk_assign_deals_whole_batches_out_to_several_annotators(project, manager, annotator, annotator2):
    batches = [make_batch(project, manager, images=3, name=f"b{i}") for i in range(3)]

    apply(manager, project, "assign", batches, assignees=[annotator.pk, annotator2.pk])

    owners = {b.name: b.assignee.username for b in Batch.objects.filter(project=project)}
    assert owners == {"b0": annotator.username, "b1": annotator2.username, "b2": annotator.username}
    assert Batch.objects.filter(project=project).count() == 3


def test_a_bulk_assign_without_an_annotator_asks_again(project, manager):
    batch = make_batch(project, manager)

    response = apply(manager, project, "assign", [batch], assignees=["x"])

    assert "Choose at least one annotator of this project." in response.content.decode()
    assert Batch.objects.get(pk=batch.pk).status == Status.UNASSIGNED


def test_a_bulk_merge_joins_the_selection_into_the_first_batch(project, manager):
    first, second, third = (make_batch(project, manager, images=2, name=n) for n in ("a", "b", "c"))

    apply(manager, project, "merge", [first, second, third])

    merged = Batch.objects.get(project=project)
    assert merged.pk == first.pk and merged.image_count == 6


def test_a_bulk_reset_clears_batches_from_several_columns(project, manager, annotator, reviewer):
    batches = [
        batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator),
        batch_in(Status.REVIEW, project, manager=manager, annotator=annotator),
    ]

    apply(manager, project, "reset", batches)

    assert set(Batch.objects.values_list("status", flat=True)) == {Status.UNASSIGNED}


def test_an_annotator_is_refused_every_bulk_move(project, manager, annotator):
    batch = make_batch(project, manager)

    response = apply(annotator, project, "delete", [batch])

    assert "Only a manager of this project can delete a batch." in response.content.decode()
    assert Batch.objects.filter(pk=batch.pk).exists()


def test_a_non_member_gets_404(project, manager, outsider):
    batch = make_batch(project, manager)

    assert apply(outsider, project, "delete", [batch]).status_code == 404
    assert Batch.objects.filter(pk=batch.pk).exists()


@pytest.mark.parametrize(
    "value", ["", "1", "1:2", "x:1:unassigned", "1:1:nowhere", "99999999999999999999:1:unassigned"]
)
def test_a_malformed_selection_is_refused_without_a_server_error(project, manager, value):
    response = client_for(manager).post(url(project, "delete"), {"batch": [value], "confirmed": "yes"}, **HTMX)

    assert response.status_code == 200
    assert shown_message(response)["level"] == "error"


def test_an_unknown_bulk_move_is_404(project, manager):
    batch = make_batch(project, manager)

    assert client_for(manager).get(url(project, "approve"), {"batch": picks(batch)}).status_code == 404


def test_without_javascript_a_bulk_move_redirects_to_the_board_with_its_report(project, manager, annotator):
    fresh = make_batch(project, manager)
    busy = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, name="busy")

    response = client_for(manager).post(url(project, "delete"), {"batch": picks(fresh, busy), "confirmed": "yes"})

    assert response.status_code == 302 and response["Location"] == reverse("board", args=[project.pk])
    assert not Batch.objects.filter(pk=fresh.pk).exists()


def _queries_for(client, project, action, batches, **extra) -> int:
    data = {"batch": picks(*batches), "confirmed": "yes", **extra}
    with CaptureQueriesContext(connection) as queries:
        client.post(url(project, action), data, **HTMX)
    return len(queries)


def _workflow_queries(action, project, manager, annotator) -> int:
    """What one batch's own guarded move costs in the workflow, outside any bulk."""
    batch = make_batch(project, manager)
    with CaptureQueriesContext(connection) as queries:
        if action == "delete":
            workflow.delete_batch(actor=manager, batch=batch)
        else:
            workflow.assign(actor=manager, batch=batch, assignees=[annotator])
    return len(queries)


@pytest.mark.parametrize("action", ["delete", "assign"])
def test_a_bulk_move_costs_constant_reads_plus_each_batchs_own_guarded_move(project, manager, annotator, action):
    """Reading the selection and answering cost the same for 2 or 8 batches; each batch adds exactly
    what its one workflow move costs (lock, version check, one guarded update, its event), nothing more."""
    client = client_for(manager)
    extra = {"assignees": [annotator.pk]} if action == "assign" else {}
    costs = {
        n: _queries_for(client, project, action, [make_batch(project, manager) for _ in range(n)], **extra)
        for n in (2, 8)
    }
    one_move = _workflow_queries(action, project, manager, annotator)

    assert costs[8] - costs[2] == 6 * one_move


def test_the_report_quotes_batch_names_the_persian_way_on_a_persian_page(project, manager, annotator):
    manager.language = "fa"
    manager.save(update_fields=["language"])
    batches = [make_batch(project, manager, images=2, name=f"Street-{i}") for i in (1, 2)]

    html = apply(manager, project, "assign", batches, assignees=[annotator.pk]).content.decode()

    # English quotation marks were glued around each name in the template, untranslatable.
    # Each name is isolated (FSI … PDI), so a Latin name does not reorder the Persian sentence around it.
    assert "«\u2068Street-1\u2069»: " in html and "«\u2068Street-2\u2069»: " in html
    assert "“Street-1”" not in html


def test_the_bulk_reset_of_batches_without_annotations_says_nothing_is_lost(project, manager, annotator):
    batches = [batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=2) for _ in range(2)]

    html = client_for(manager).get(url(project, "reset"), {"batch": picks(*batches)}, **HTMX).content.decode()

    # It read "0 annotations on 4 images are removed for good", in red.
    assert "Nothing was annotated yet, so nothing is lost: 4 images go back to Unassigned" in html
    assert "0 annotations" not in html and "consequence danger" not in html


def test_the_bulk_reset_of_batches_done_without_boxes_warns_that_their_progress_goes(project, manager, annotator):
    batches = [batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=2) for _ in range(2)]
    for image in Image.objects.filter(batch=batches[1]):
        save_annotations(actor=annotator, image=image, boxes=[], no_objects=True)

    html = client_for(manager).get(url(project, "reset"), {"batch": picks(*batches)}, **HTMX).content.decode()

    # Two images marked "no objects" have no box, and the reset makes them not done again: work is lost.
    assert "nothing is lost" not in html
    assert "Their progress is removed for good" in html and "consequence danger" in html
