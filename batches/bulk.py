"""Bulk moves: one move applied to many selected batches, batch by batch, through the rule book and workflow.

Nothing here decides who may do what: each batch asks the rule book (`Move.refusal`) and then goes
through its one workflow function, which locks it and checks the version the person saw (the same
compare-and-set as a single move). A refusal or a stale batch is recorded with its reason and the
others go on; the result is one report. Reading the selection costs one query whatever its size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.calendars import isolate, localise_digits

from . import workflow
from .errors import WorkflowError
from .models import Annotation, Batch
from .notifications import coalesced
from .params import parse_id
from .rules import MOVES, Membership, visible_batches

Status = Batch.Status
MAX_SELECTION = 1000
# The moves a selection can make at once, in the bulk bar's order (a row of the rule book each).
BULK_ACTIONS = ("assign", "merge", "reset", "delete")
BULK_LABELS = {
    "assign": gettext_lazy("Assign"),
    "merge": gettext_lazy("Merge"),
    "reset": gettext_lazy("Reset to Unassigned"),
    "delete": gettext_lazy("Delete for good"),
}


@dataclass(frozen=True)
class Pick:
    """One selected batch as the person saw it: its id, version and column."""

    pk: int
    version: int
    status: str


@dataclass
class Outcome:
    name: str
    kind: str  # "done", or a WorkflowError kind (refused, stale, forbidden, invalid)
    message: str


@dataclass
class Selection:
    """The selected batches this person sees (as they saw them), and those that are gone."""

    batches: list[Batch]
    gone: list[Pick] = field(default_factory=list)

    @property
    def images(self) -> int:
        return sum(batch.image_count for batch in self.batches)


@dataclass
class BulkReport:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def done(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.kind == "done"]

    @property
    def not_done(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.kind != "done"]


def parse_picks(values: Sequence[str]) -> list[Pick]:
    """ "id:version:column" per selected batch; anything else is refused as a whole."""
    picks: dict[int, Pick] = {}
    for raw in values:
        parts = str(raw).split(":")
        if len(parts) != 3 or parse_id(parts[0]) is None or parse_id(parts[1]) is None or parts[2] not in Status.values:
            raise WorkflowError(
                _("The selection is not valid; reload the board and select again."), kind=WorkflowError.INVALID
            )
        pick = Pick(parse_id(parts[0]), parse_id(parts[1]), parts[2])
        picks[pick.pk] = pick
    if not picks:
        raise WorkflowError(_("Select at least one batch."), kind=WorkflowError.INVALID)
    if len(picks) > MAX_SELECTION:
        raise WorkflowError(
            localise_digits(_("Select at most %(max)d batches at once.") % {"max": MAX_SELECTION}),
            kind=WorkflowError.INVALID,
        )
    return list(picks.values())


def read_selection(membership: Membership, picks: Sequence[Pick]) -> Selection:
    """The selected batches in one query, each carrying the version and column the person saw."""
    stored = {
        batch.pk: batch
        for batch in visible_batches(membership).filter(pk__in=[p.pk for p in picks]).select_related("assignee")
    }
    batches, gone = [], []
    for pick in picks:
        batch = stored.get(pick.pk)
        if batch is None:
            gone.append(pick)
            continue
        batch.project = membership.project
        # The workflow compares these with the stored row: a batch changed since is refused as stale.
        batch.seen_version, batch.seen_status = pick.version, pick.status
        batches.append(batch)
    return Selection(batches, gone)


def is_current(batch: Batch) -> bool:
    return batch.seen_version == batch.version and batch.seen_status == batch.status


def as_seen(batch: Batch) -> Batch:
    """The batch with the version and column the person saw, for the workflow's compare-and-set."""
    batch.version, batch.status = batch.seen_version, batch.seen_status
    return batch


def common_actions(membership: Membership, batches: Sequence[Batch]) -> list[str]:
    """The bulk moves every one of these batches allows this person now (the rule book decides)."""
    return [
        action
        for action in BULK_ACTIONS
        if batches and all(MOVES[action].refusal(membership, batch) is None for batch in batches)
    ]


def refusals(membership: Membership, action: str, batches: Sequence[Batch]) -> list[tuple[Batch, str]]:
    """The selected batches this move would skip, with the reason (the dialog lists them before applying)."""
    found = []
    for batch in batches:
        try:
            _check(membership, action, batch)
        except WorkflowError as error:
            found.append((batch, error.message))
    return found


def annotation_count(batches: Sequence[Batch]) -> int:
    return Annotation.objects.filter(image__batch__in=[b.pk for b in batches]).aggregate(n=Count("id"))["n"]


def _check(membership: Membership, action: str, batch: Batch) -> None:
    if not is_current(batch):
        raise workflow.stale_error(batch)
    MOVES[action].require(membership, batch)


def _gone_outcomes(selection: Selection) -> list[Outcome]:
    message = _("That batch is no longer on the board: someone deleted it or merged it into another batch.")
    return [Outcome(f"#{pick.pk}", WorkflowError.STALE, message) for pick in selection.gone]


def apply_bulk(actor, membership: Membership, action: str, selection: Selection, **inputs) -> BulkReport:
    """Apply `action` to every selected batch, one guarded workflow move each; one report for all."""
    with coalesced():  # issue 18: one notification per person for the whole bulk move
        return _apply_bulk(actor, membership, action, selection, **inputs)


def _apply_bulk(actor, membership: Membership, action: str, selection: Selection, **inputs) -> BulkReport:
    report = BulkReport(_gone_outcomes(selection))
    if action == "merge":
        return _merge(actor, membership, selection, report, name=inputs.get("name", ""))
    assignees = list(inputs.get("assignees") or [])
    for index, batch in enumerate(selection.batches):
        name = batch.name
        try:
            _check(membership, action, batch)
            if action == "assign":
                # Several annotators: whole batches dealt out in turn, each to one of them.
                person = assignees[index % len(assignees)]
                workflow.assign(actor=actor, batch=as_seen(batch), assignees=[person], project=membership.project)
                message = _("assigned to %(user)s") % {"user": isolate(person.username)}
            elif action in ("reset", "delete"):
                result = workflow.delete_batch(actor=actor, batch=as_seen(batch), project=membership.project)
                message = _("back in Unassigned") if result.reset else _("deleted for good")
            else:
                raise WorkflowError(
                    _("That move cannot be made on several batches at once."), kind=WorkflowError.INVALID
                )
        except WorkflowError as error:
            report.outcomes.append(Outcome(name, error.kind, error.message))
            continue
        report.outcomes.append(Outcome(name, "done", message))
    return report


def _merge(actor, membership: Membership, selection: Selection, report: BulkReport, name: str) -> BulkReport:
    """Merge the mergeable selected batches into the first one (one move: all of them or none)."""
    mergeable = []
    for batch in selection.batches:
        try:
            _check(membership, "merge", batch)
        except WorkflowError as error:
            report.outcomes.append(Outcome(batch.name, error.kind, error.message))
            continue
        mergeable.append(batch)
    if len(mergeable) < 2:
        for batch in mergeable:
            report.outcomes.append(Outcome(batch.name, WorkflowError.REFUSED, _("Nothing to merge it with.")))
        return report
    names = [batch.name for batch in mergeable]
    try:
        merged = workflow.merge(
            actor=actor, batches=[as_seen(b) for b in mergeable], name=name, project=membership.project
        )
    except WorkflowError as error:
        report.outcomes.extend(Outcome(n, error.kind, error.message) for n in names)
        return report
    message = _("merged into “%(batch)s”") % {"batch": isolate(merged.name)}
    report.outcomes.extend(Outcome(n, "done", message) for n in names)
    return report
