"""Webhooks of a project: list, create, read, change, delete, send a test event, recent deliveries (managers).

The same functions as the webhooks page (batches/webhooks/setup.py): the URL guard (SSRF), the events, the
secret. The secret is shown once: in the answer that creates the webhook and in the one that makes a new one.
"""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from accounts.access import MANAGE

from ..errors import WorkflowError
from ..models import Webhook, WebhookDelivery
from ..params import parse_id
from ..webhooks import setup
from .common import membership
from .errors import ApiError
from .types import StrictBool, Text

router = Router(tags=["webhooks"])


class WebhookIn(Schema):
    url: Text
    events: list[Text]
    active: StrictBool = True


class WebhookChange(Schema):
    url: Text | None = None
    events: list[Text] | None = None
    active: StrictBool | None = None
    new_secret: StrictBool = False


def webhook_json(hook: Webhook, *, secret: bool = False) -> dict:
    data = {
        "id": hook.pk,
        "project": hook.project_id,
        "url": hook.url,
        "events": list(hook.events),
        "active": hook.active,
        "created_at": hook.created_at.isoformat(),
    }
    if secret:
        data["secret"] = hook.secret
    return data


def delivery_json(delivery: WebhookDelivery) -> dict:
    return {
        "id": delivery.pk,
        "event_id": str(delivery.event_id),
        "event": delivery.event,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "response_code": delivery.response_code,
        "duration_ms": delivery.duration_ms,
        "error": delivery.error_text if delivery.error else "",
        "created_at": delivery.created_at.isoformat(),
        "last_attempt_at": delivery.last_attempt_at.isoformat() if delivery.last_attempt_at else None,
        "next_attempt_at": delivery.next_attempt_at.isoformat()
        if delivery.next_attempt_at and delivery.status == WebhookDelivery.Status.PENDING
        else None,
    }


def _checked(field: str, check, value):
    """A field through setup's check; its refusal is a 422 naming the field (the SSRF guard's reason for `url`)."""
    try:
        return check(value)
    except WorkflowError as error:
        if error.kind != WorkflowError.INVALID:
            raise
        raise ApiError(
            422, "invalid", _("Some fields are not valid."), errors=[{"field": field, "message": error.message}]
        ) from None


def _hook(request, project_pk, pk) -> tuple[Webhook, object]:
    member = membership(request, project_pk, MANAGE)
    hook_pk = parse_id(pk)
    hook = Webhook.objects.filter(project=member.project, pk=hook_pk).first() if hook_pk is not None else None
    if hook is None:
        raise Http404(_("No such webhook."))
    hook.project = member.project
    return hook, member


@router.get("/{int:project_pk}/webhooks", summary="List the project's webhooks (managers)")
def list_webhooks(request, project_pk: int):
    project = membership(request, project_pk, MANAGE).project
    return {"items": [webhook_json(hook) for hook in Webhook.objects.filter(project=project).order_by("id")]}


@router.post("/{int:project_pk}/webhooks", response={201: dict}, summary="Create a webhook (managers; secret once)")
def create(request, project_pk: int, payload: WebhookIn):
    project = membership(request, project_pk, MANAGE).project
    url = _checked("url", setup.clean_url, payload.url)
    events = _checked("events", setup.clean_events, payload.events)
    hook = setup.create_webhook(actor=request.user, project=project, url=url, events=events, active=payload.active)
    return Status(201, webhook_json(hook, secret=True))


@router.get("/{int:project_pk}/webhooks/{int:pk}", url_name="webhook", summary="A webhook (managers)")
def read(request, project_pk: int, pk: int):
    hook, _member = _hook(request, project_pk, pk)
    return webhook_json(hook)


@router.patch("/{int:project_pk}/webhooks/{int:pk}", summary="Change a webhook; new_secret makes a new secret")
def update(request, project_pk: int, pk: int, payload: WebhookChange):
    hook, _member = _hook(request, project_pk, pk)
    url = _checked("url", setup.clean_url, hook.url if payload.url is None else payload.url)
    events = _checked("events", setup.clean_events, hook.events if payload.events is None else payload.events)
    active = hook.active if payload.active is None else payload.active
    hook = setup.update_webhook(
        actor=request.user, webhook=hook, url=url, events=events, active=active, new_secret_please=payload.new_secret
    )
    return webhook_json(hook, secret=payload.new_secret)


@router.delete("/{int:project_pk}/webhooks/{int:pk}", response={204: None}, summary="Delete a webhook (managers)")
def delete(request, project_pk: int, pk: int):
    hook, _member = _hook(request, project_pk, pk)
    setup.delete_webhook(actor=request.user, webhook=hook)
    return Status(204, None)


@router.post(
    "/{int:project_pk}/webhooks/{int:pk}/test",
    response={202: dict},
    url_name="webhook_test",
    summary="Send a test event (`ping`) through the same queue and signature",
)
def test_event(request, project_pk: int, pk: int):
    hook, _member = _hook(request, project_pk, pk)
    delivery = setup.send_test_event(actor=request.user, webhook=hook)
    return Status(202, delivery_json(delivery))


@router.get(
    "/{int:project_pk}/webhooks/{int:pk}/deliveries",
    url_name="webhook_deliveries",
    summary="The webhook's recent deliveries, newest first",
)
def deliveries(request, project_pk: int, pk: int):
    hook, _member = _hook(request, project_pk, pk)
    return {"items": [delivery_json(delivery) for delivery in setup.recent_deliveries(hook)]}
