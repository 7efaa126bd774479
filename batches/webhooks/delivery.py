"""Posting a delivery: one attempt per task run, retried with exponential backoff, bounded.

An attempt claims the delivery by compare-and-set on its attempt count, so two copies of the task
(a retry enqueued twice, the sweep and a late worker) never post the same attempt twice. A failure
that may pass (network error, timeout, 408, 429, 5xx) is tried again after WEBHOOK_BACKOFF_SECONDS,
doubling up to WEBHOOK_BACKOFF_MAX_SECONDS, until WEBHOOK_MAX_ATTEMPTS attempts in all; one that
will not (the SSRF guard refused, a redirect, another 4xx) fails at once. Every attempt is logged
on the delivery (status, response code, duration, error), which the webhooks page shows.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import logging

from django.conf import settings
from django.db.models import F, Q
from django.tasks import task, task_backends
from django.utils import timezone
from django.utils.translation import gettext_noop as _

from ..models import WebhookDelivery
from . import net
from .signing import signed_headers

log = logging.getLogger("batches.webhooks")

Status = WebhookDelivery.Status
# A delivery due this long ago and still pending lost its task (never enqueued, or the queue lost it).
LOST_AFTER = dt.timedelta(seconds=60)
SWEEP_PAGE = 500


def backoff(attempt: int) -> dt.timedelta:
    """The wait after the n-th failed attempt: BACKOFF · 2^(n-1), at most BACKOFF_MAX."""
    seconds = settings.WEBHOOK_BACKOFF_SECONDS * 2 ** min(attempt - 1, 30)
    return dt.timedelta(seconds=min(seconds, settings.WEBHOOK_BACKOFF_MAX_SECONDS))


def schedule(delivery_pk: int, run_after: dt.datetime | None = None) -> None:
    """Queue an attempt now, or at run_after on a queue that can wait (else the sweep picks it up then)."""
    try:
        if run_after is None:
            deliver_webhook.enqueue(delivery_pk)
        elif task_backends[deliver_webhook.backend].supports_defer:
            deliver_webhook.using(run_after=run_after).enqueue(delivery_pk)
    except Exception:  # the queue is down: the delivery stays pending and the sweep queues it later
        log.exception("could not queue webhook delivery %s; the sweep will", delivery_pk)


@task
def deliver_webhook(delivery_pk: int) -> str:
    return attempt(delivery_pk)


def attempt(delivery_pk: int, now: dt.datetime | None = None) -> str:
    """Post the delivery once if it is due; what happened, in a word (for the task's result)."""
    now = now or timezone.now()
    delivery = WebhookDelivery.objects.select_related("webhook").filter(pk=delivery_pk).first()
    if delivery is None or delivery.status != Status.PENDING:
        return "done already"
    if delivery.next_attempt_at and delivery.next_attempt_at > now + dt.timedelta(seconds=1):
        return "not due"  # a copy of an earlier attempt's task: the later one is queued
    # The claim holds a lease: a copy of this task arriving while the post is under way finds it not due,
    # and the sweep takes it back only if this worker dies (the lease and LOST_AFTER have passed).
    lease = now + dt.timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS + 30)
    claimed = WebhookDelivery.objects.filter(pk=delivery.pk, status=Status.PENDING, attempts=delivery.attempts).update(
        attempts=F("attempts") + 1, last_attempt_at=now, next_attempt_at=lease
    )
    if not claimed:
        return "taken"
    number = delivery.attempts + 1
    hook = delivery.webhook
    if not hook.active and delivery.event != hook.TEST_EVENT:
        return _finish(delivery, number, now, error=(_("The webhook was turned off."), {}), retry=False)
    body = delivery.body.encode()
    headers = signed_headers(secret=hook.secret, body=body, event=delivery.event, event_id=str(delivery.event_id))
    try:
        answer = net.post(hook.url, body, headers)
    except net.Refused as refused:
        return _finish(delivery, number, now, error=(refused.message_id, refused.params), retry=False)
    except TimeoutError:
        error = (_("No answer within %(seconds)s s."), {"seconds": settings.WEBHOOK_TIMEOUT_SECONDS})
        return _finish(delivery, number, now, error=error, retry=True)
    except (OSError, http.client.HTTPException) as exc:
        error = (_("Could not connect: %(error)s"), {"error": (str(exc) or exc.__class__.__name__)[:200]})
        return _finish(delivery, number, now, error=error, retry=True)
    duration = round(answer.seconds * 1000)
    if 200 <= answer.status < 300:
        return _finish(delivery, number, now, code=answer.status, duration=duration, delivered=True)
    if 300 <= answer.status < 400:
        error = (
            _("Redirect to %(location)s not followed: give the final URL."),
            {"location": answer.location[:200] or "?"},
        )
        return _finish(delivery, number, now, code=answer.status, duration=duration, error=error, retry=False)
    retry = answer.status in {408, 429} or answer.status >= 500
    error = (_("The receiver answered %(code)s."), {"code": answer.status})
    return _finish(delivery, number, now, code=answer.status, duration=duration, error=error, retry=retry)


def _finish(
    delivery: WebhookDelivery,
    number: int,
    now: dt.datetime,
    *,
    code: int | None = None,
    duration: int | None = None,
    error: tuple[str, dict] | None = None,
    retry: bool = False,
    delivered: bool = False,
) -> str:
    # Kept untranslated with its values: the log shows it in the reader's language (error_text).
    stored = json.dumps({"m": error[0], "p": error[1]}, ensure_ascii=False) if error else ""
    changes = {"response_code": code, "duration_ms": duration, "error": stored[:500]}
    if delivered:
        status, next_at = Status.DELIVERED, None
    elif retry and number < settings.WEBHOOK_MAX_ATTEMPTS:
        status, next_at = Status.PENDING, now + backoff(number)
    else:
        status, next_at = Status.FAILED, None
    WebhookDelivery.objects.filter(pk=delivery.pk, attempts=number).update(
        status=status, next_attempt_at=next_at, **changes
    )
    log.info(
        "webhook %s delivery %s (%s) attempt %d: %s%s",
        delivery.webhook_id,
        delivery.pk,
        delivery.event,
        number,
        status,
        f" ({net.render_message(*error)})" if error else "",
    )
    if next_at is not None:
        schedule(delivery.pk, run_after=next_at)
    return status


@task
def retry_due_deliveries() -> int:
    """The periodic sweep: pending deliveries whose attempt is overdue are queued again (how many), and
    finished deliveries older than WEBHOOK_LOG_DAYS leave the log."""
    prune_log()
    return queue_overdue()


def prune_log(now: dt.datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.WEBHOOK_LOG_DAYS)
    old = WebhookDelivery.objects.filter(created_at__lt=cutoff).exclude(status=Status.PENDING)
    deleted, _ = old.delete()
    return deleted


def queue_overdue(now: dt.datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - LOST_AFTER
    overdue = WebhookDelivery.objects.filter(
        Q(next_attempt_at__lte=cutoff) | Q(next_attempt_at__isnull=True, created_at__lte=cutoff),
        status=Status.PENDING,
    )
    pks = list(overdue.order_by("pk").values_list("pk", flat=True)[:SWEEP_PAGE])
    for pk in pks:
        schedule(pk)
    return len(pks)
