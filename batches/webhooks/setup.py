"""Creating, changing and deleting a project's webhooks, and the test event (managers only).

The webhooks page and the API call these; each checks the actor manages the project, afresh.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.calendars import localise_digits

from ..errors import WorkflowError
from ..models import Project, Webhook, WebhookDelivery, WebhookEvent
from ..rules import Membership
from . import net
from .delivery import schedule
from .events import body_of
from .signing import new_secret

log = logging.getLogger("batches.webhooks")

MAX_WEBHOOKS = 20  # per project
LOG_LENGTH = 50  # deliveries shown on the page


def _require_manager(actor, project: Project) -> None:
    if not Membership.read(actor, project).manages:
        raise WorkflowError(_("Only a manager of this project can change its webhooks."), kind=WorkflowError.FORBIDDEN)


def clean_events(events: Iterable[str]) -> list[str]:
    chosen = set(events)
    unknown = chosen - set(WebhookEvent.values)
    if unknown:
        raise WorkflowError(
            _("Unknown events: %(events)s.") % {"events": ", ".join(sorted(unknown))}, kind=WorkflowError.INVALID
        )
    if not chosen:
        raise WorkflowError(_("Choose at least one event."), kind=WorkflowError.INVALID)
    return [event for event in WebhookEvent.values if event in chosen]  # in the list's order


def clean_url(url: str) -> str:
    url = (url or "").strip()
    if len(url) > 2000:
        raise WorkflowError(_("A URL has at most 2000 characters."), kind=WorkflowError.INVALID)
    try:
        net.check_url_shape(url)
    except net.Refused as refused:
        raise WorkflowError(refused.message, kind=WorkflowError.INVALID) from None
    return url


def create_webhook(*, actor, project: Project, url: str, events: Iterable[str], active: bool = True) -> Webhook:
    _require_manager(actor, project)
    url, events = clean_url(url), clean_events(events)
    with transaction.atomic():
        if Webhook.objects.filter(project=project).count() >= MAX_WEBHOOKS:
            raise WorkflowError(
                localise_digits(_("A project has at most %(count)d webhooks.") % {"count": MAX_WEBHOOKS}),
                kind=WorkflowError.INVALID,
            )
        hook = Webhook.objects.create(
            project=project, url=url, events=events, active=active, secret=new_secret(), created_by=actor
        )
    log.info("webhook %s of project %s created by %s: %s", hook.pk, project.pk, actor.username, url)
    return hook


def update_webhook(
    *, actor, webhook: Webhook, url: str, events: Iterable[str], active: bool, new_secret_please: bool = False
) -> Webhook:
    _require_manager(actor, webhook.project)
    webhook.url, webhook.events, webhook.active = clean_url(url), clean_events(events), active
    fields = ["url", "events", "active"]
    if new_secret_please:
        webhook.secret = new_secret()
        fields.append("secret")
    webhook.save(update_fields=fields)
    log.info("webhook %s of project %s changed by %s", webhook.pk, webhook.project_id, actor.username)
    return webhook


def delete_webhook(*, actor, webhook: Webhook) -> None:
    _require_manager(actor, webhook.project)
    log.info("webhook %s of project %s deleted by %s", webhook.pk, webhook.project_id, actor.username)
    webhook.delete()


def send_test_event(*, actor, webhook: Webhook) -> WebhookDelivery:
    """A `ping` delivery through the same queue, signature and guard as real events."""
    _require_manager(actor, webhook.project)
    event_id = str(uuid.uuid4())
    data = {"message": "This is a test event from BinaBoard.", "sent_by": actor.username}
    delivery = WebhookDelivery.objects.create(
        webhook=webhook,
        event_id=event_id,
        event=Webhook.TEST_EVENT,
        body=body_of(event_id=event_id, event=Webhook.TEST_EVENT, project=webhook.project, data=data),
        next_attempt_at=timezone.now(),
    )
    transaction.on_commit(lambda: schedule(delivery.pk))
    return delivery


def recent_deliveries(webhook: Webhook, limit: int = LOG_LENGTH) -> list[WebhookDelivery]:
    return list(webhook.deliveries.order_by("-created_at", "-id")[:limit])


def payload_of(delivery: WebhookDelivery) -> dict:
    return json.loads(delivery.body)
