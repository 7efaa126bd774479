"""What happened in a project, as webhook deliveries queued after the change commits.

The workflow, the ingest pipeline and export jobs call one function each here, in the transaction
that makes the change; nothing is read or written until it commits (on_commit), and a failure here
is logged, never raised: a move never fails because of a webhook.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ..models import Batch, BatchEvent, ExportJob, Webhook, WebhookDelivery, WebhookEvent
from .delivery import schedule

log = logging.getLogger("batches.webhooks")

# Which BatchEvent actions are told, under which webhook event (the payload keeps the exact action).
BATCH_EVENTS = {
    BatchEvent.Action.CREATED: WebhookEvent.BATCH_CREATED,
    BatchEvent.Action.ASSIGNED: WebhookEvent.BATCH_ASSIGNED,
    BatchEvent.Action.REASSIGNED: WebhookEvent.BATCH_ASSIGNED,
    BatchEvent.Action.SUBMITTED: WebhookEvent.BATCH_SUBMITTED,
    BatchEvent.Action.APPROVED: WebhookEvent.BATCH_APPROVED,
    BatchEvent.Action.REJECTED: WebhookEvent.BATCH_REJECTED,
    BatchEvent.Action.RESET: WebhookEvent.BATCH_RESET,
    BatchEvent.Action.DELETED: WebhookEvent.BATCH_DELETED,
}


def body_of(*, event_id: str, event: str, project, data: dict) -> str:
    payload = {
        "id": event_id,
        "event": event,
        "created_at": timezone.now().isoformat(),
        "project": {"id": project.pk, "name": project.name},
        "data": data,
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def emit(project_id: int, event: str, data: Callable[[], dict]) -> list[WebhookDelivery]:
    """One delivery per active webhook of the project that wants this event, each queued for a worker."""
    hooks = [
        hook
        for hook in Webhook.objects.filter(project_id=project_id, active=True).select_related("project")
        if event in hook.events
    ]
    if not hooks:
        return []
    payload = data()
    deliveries = []
    for hook in hooks:
        event_id = str(uuid.uuid4())
        deliveries.append(
            WebhookDelivery(
                webhook=hook,
                event_id=event_id,
                event=event,
                body=body_of(event_id=event_id, event=event, project=hook.project, data=payload),
                next_attempt_at=timezone.now(),
            )
        )
    WebhookDelivery.objects.bulk_create(deliveries)
    for delivery in deliveries:
        schedule(delivery.pk)
    return deliveries


def emit_after_commit(project_id: int, event: str, data: Callable[[], dict]) -> None:
    def send() -> None:
        try:
            emit(project_id, event, data)
        except Exception:
            log.exception("could not queue the %s webhooks of project %s", event, project_id)

    transaction.on_commit(send)


# --- the calls the rest of the project makes ------------------------------------------------------------


def batch_event_recorded(event: BatchEvent) -> None:
    """workflow._event: a move's BatchEvent was written; its webhooks are told once it commits."""
    name = BATCH_EVENTS.get(event.action)
    if name is not None:
        emit_after_commit(event.project_id, name, lambda: batch_event_data(event))


def batch_event_data(event: BatchEvent) -> dict:
    return {
        "batch": {
            "id": event.batch_ref,
            "name": event.batch_name,
            "status": event.to_status,
            "image_count": event.image_count,
        },
        "action": event.action,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "actor": event.actor.username if event.actor else None,
        "related": event.related,
        "details": event.details,
        "note": event.note,
        "history_id": event.pk,
    }


def upload_finished(batch: Batch, *, refused: int = 0) -> None:
    """An upload (page, session or import) finished: its batch is complete in Unassigned."""
    data = {
        "batch": {"id": batch.pk, "name": batch.name, "status": batch.status, "image_count": batch.image_count},
        "refused": refused,
    }
    emit_after_commit(batch.project_id, WebhookEvent.UPLOAD_FINISHED, lambda: data)


def export_ready(job: ExportJob) -> None:
    """An export job's zip is in storage, ready to download."""

    def data() -> dict:
        fresh = ExportJob.objects.get(pk=job.pk)
        return {
            "export": {
                "id": fresh.pk,
                "format": (fresh.options or {}).get("format"),
                "image_count": fresh.image_count,
                "size": fresh.size,
                "download_path": reverse("export_download", args=[job.project_id, job.pk]),
            }
        }

    emit_after_commit(job.project_id, WebhookEvent.EXPORT_READY, data)
