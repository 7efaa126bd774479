"""The webhooks page of a project's settings (managers): list, add, change, delete, test, delivery log."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import MANAGE

from ..access import get_project_for
from ..errors import WorkflowError
from ..models import Webhook
from ..params import parse_id
from ..webhooks import setup
from ..webhooks.forms import WebhookEditForm, WebhookForm


def _webhook_for(request, project_pk, pk):
    membership = get_project_for(request.user, project_pk, MANAGE)
    webhook = Webhook.objects.filter(pk=parse_id(pk) or 0, project=membership.project).first()
    if webhook is None:
        raise Http404(_("No such webhook."))
    webhook.project = membership.project
    return webhook, membership


@require_http_methods(["GET", "POST"])
@login_required
def webhooks(request, project_pk: int):
    membership = get_project_for(request.user, project_pk, MANAGE)
    project = membership.project
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            hook = setup.create_webhook(actor=request.user, project=project, **form.cleaned_data)
        except WorkflowError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Webhook added. Copy its secret into the receiver."))
            return redirect("webhook_detail", project.pk, hook.pk)
    hooks = list(Webhook.objects.filter(project=project).order_by("id"))
    # The events of a hook are listed with the language's own comma (Persian writes "، ").
    separator = pgettext("list separator", ", ")
    context = {"project": project, "membership": membership, "form": form, "hooks": hooks, "list_separator": separator}
    return render(request, "batches/webhooks.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@login_required
def webhook_detail(request, project_pk: int, pk: int):
    webhook, membership = _webhook_for(request, project_pk, pk)
    initial = {"url": webhook.url, "events": webhook.events, "active": webhook.active}
    form = WebhookEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            setup.update_webhook(
                actor=request.user,
                webhook=webhook,
                url=data["url"],
                events=data["events"],
                active=data["active"],
                new_secret_please=data["new_secret"],
            )
        except WorkflowError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Webhook saved."))
            return redirect("webhook_detail", webhook.project_id, webhook.pk)
    deliveries = list(setup.recent_deliveries(webhook))
    context = {
        "project": webhook.project,
        "membership": membership,
        "webhook": webhook,
        "form": form,
        "deliveries": deliveries,
        "log_length": setup.LOG_LENGTH,
        # The log polls itself while a delivery waits (a test event's outcome shows without a reload).
        "polling": any(delivery.status == "pending" for delivery in deliveries),
        "soon": timezone.now() + dt.timedelta(minutes=1),
    }
    if request.htmx and request.method == "GET":
        return render(request, "batches/webhook_detail.html#log", context)
    return render(request, "batches/webhook_detail.html", context, status=400 if form.errors else 200)


@require_POST
@login_required
def webhook_test(request, project_pk: int, pk: int):
    webhook, _membership = _webhook_for(request, project_pk, pk)
    setup.send_test_event(actor=request.user, webhook=webhook)
    messages.success(request, _("Test event queued: its delivery shows in the log below."))
    return redirect("webhook_detail", webhook.project_id, webhook.pk)


@require_POST
@login_required
def webhook_delete(request, project_pk: int, pk: int):
    webhook, _membership = _webhook_for(request, project_pk, pk)
    setup.delete_webhook(actor=request.user, webhook=webhook)
    messages.success(request, _("Webhook deleted."))
    return redirect("webhooks", webhook.project_id)
