"""Bulk moves from the board's selection: one dialog with the summed consequences, one result report.

GET asks (the dialog), POST applies the move batch by batch (batches/bulk.py). The selection is sent as
`batch=id:version:column` per selected card, so each batch is checked against what the person saw.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods
from django_htmx.http import trigger_client_event

from accounts.calendars import localise_digits

from .. import bulk, workflow
from ..access import get_project_for
from ..errors import WorkflowError
from ..params import clean_text, parse_id
from .answers import board_url
from .board import BoardFilter, board_state, build_columns
from .moves import annotators_of


def _dialog(request, membership, action: str, selection: bulk.Selection, error: str = "", chosen=()):
    refused = bulk.refusals(membership, action, selection.batches)
    skipped = {batch.pk for batch, _reason in refused}
    batches = [batch for batch in selection.batches if batch.pk not in skipped]
    context = {
        "project": membership.project,
        "membership": membership,
        "action": action,
        "label": bulk.BULK_LABELS[action],
        "selection": selection,
        "refused": refused,
        "skipped": len(refused) + len(selection.gone),
        "applies": batches,
        "images": sum(batch.image_count for batch in batches),
        "annotations": bulk.annotation_count(batches) if action in ("reset", "delete") else 0,
        "loses": action == "reset" and workflow.reset_loses_work(batches),
        "annotators": list(annotators_of(membership.project)) if action == "assign" else [],
        "chosen": [str(pk) for pk in chosen],
        "error": error,
        "modal": bool(request.htmx),
    }
    if request.htmx:
        return render(request, "batches/_bulk.html#dialog_oob", context)
    return render(request, "batches/_bulk.html", context)


def _summary(report: bulk.BulkReport) -> str:
    done, not_done = len(report.done), len(report.not_done)
    text = ngettext("%(done)d batch moved", "%(done)d batches moved", done) % {"done": done}
    if not_done:
        text += "; " + ngettext("%(n)d not moved", "%(n)d not moved", not_done) % {"n": not_done}
    return localise_digits(text + ".")


def _answer(request, membership, report: bulk.BulkReport):
    if not request.htmx:
        messages.add_message(request, messages.WARNING if report.not_done else messages.SUCCESS, _summary(report))
        for outcome in report.not_done:
            messages.warning(request, f"“{outcome.name}”: {outcome.message}")
        return redirect(board_url(membership.project, request))
    board_filter = BoardFilter.from_data(request.POST)
    state = board_state(membership, board_filter)
    context = {
        "project": membership.project,
        "membership": membership,
        "filter": board_filter,
        "columns": build_columns(membership, board_filter, state=state),
        "oob": True,
        "token": state.token,
        "report": report,
        "summary": _summary(report),
    }
    response = render(request, "batches/_bulk.html#answer", context)
    level = "warning" if report.not_done else "success"
    trigger_client_event(response, "showMessage", {"text": _summary(report), "level": level})
    trigger_client_event(response, "bulkDone", {"done": len(report.done)}, after="settle")
    return response


def _refusal(request, membership, error: WorkflowError):
    if not request.htmx:
        messages.error(request, error.message)
        return redirect(board_url(membership.project, request))
    response = render(request, "batches/_bulk.html#nothing")
    trigger_client_event(response, "showMessage", {"text": error.message, "level": "error"})
    return response


@require_http_methods(["GET", "POST"])
@login_required
def bulk_move(request, project_pk: int, action: str):
    """One move for every selected batch: its dialog (GET), then batch by batch with one report (POST)."""
    membership = get_project_for(request.user, project_pk)
    if action not in bulk.BULK_ACTIONS:
        raise Http404(_("No such move."))
    data = request.POST if request.method == "POST" else request.GET
    try:
        selection = bulk.read_selection(membership, bulk.parse_picks(data.getlist("batch")))
    except WorkflowError as error:
        return _refusal(request, membership, error)
    if request.method == "GET" or data.get("confirmed") != "yes":
        return _dialog(request, membership, action, selection)
    inputs = {}
    if action == "assign":
        ids = [parse_id(raw) for raw in data.getlist("assignees")]
        people = list(annotators_of(membership.project).filter(pk__in=[pk for pk in ids if pk is not None]))
        if not people or None in ids or len(people) != len(set(ids)):
            error = _("Choose at least one annotator of this project.")
            return _dialog(request, membership, action, selection, error=error, chosen=[p for p in ids if p])
        inputs["assignees"] = people
    elif action == "merge":
        inputs["name"] = clean_text(data.get("name"), max_length=200)
    report = bulk.apply_bulk(request.user, membership, action, selection, **inputs)
    return _answer(request, membership, report)
