"""The bell, the notifications list, e-mail choices and the one-click unsubscribe page (issue 18)."""

from __future__ import annotations

import functools

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from binaboard.params import parse_id

from .models import Notification, NotificationSetting
from .notifications import (
    ALL_KINDS,
    describe,
    email_choices,
    for_list,
    kinds_with_choices,
    mark_all_read,
    mark_read,
    read_unsubscribe_token,
    set_email_choice,
    unread_count,
    unsubscribe,
)

UNREAD_HEADER = "X-Unread-Notifications"


def with_unread_count(view):
    """The board's poll carries the bell's count in a header (one COUNT query; the 204 answer too), so the
    bell needs no polling of its own (static/js/bell.js reads it)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if request.user.is_authenticated and response.status_code < 300:
            response[UNREAD_HEADER] = str(unread_count(request.user))
        return response

    return wrapped


@require_safe
@login_required
def notifications_count(request):
    """The bell's count, fetched after the page (so no page pays for it up front)."""
    return render(request, "accounts/notifications.html#bell_count", {"unread": unread_count(request.user)})


@require_safe
@login_required
def notifications(request):
    rows = [(notification, describe(notification)) for notification in for_list(request.user)]
    context = {"rows": rows, "unread": sum(1 for n, _said in rows if n.read_at is None)}
    return render(request, "accounts/notifications.html", context)


@require_POST
@login_required
def notification_read(request, pk: int):
    """Mark one read; with `open`, go where it leads."""
    notification = mark_read(request.user, parse_id(pk) or 0)
    if notification is None:
        raise Http404(_("No such notification."))
    if request.POST.get("open"):
        return redirect(describe(notification).path)
    return redirect("notifications")


@require_POST
@login_required
def notifications_read_all(request):
    count = mark_all_read(request.user)
    if count:
        messages.success(request, _("All notifications marked read."))
    return redirect("notifications")


class NotificationSettingsForm(forms.Form):
    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        chosen = email_choices(user)
        for kind, label, _choice in kinds_with_choices(user):
            self.fields[kind] = forms.ChoiceField(
                label=label,
                choices=NotificationSetting.Email.choices,
                widget=forms.RadioSelect,
                initial=chosen[kind],
            )


@require_http_methods(["GET", "POST"])
@login_required
def notification_settings(request):
    form = NotificationSettingsForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        for kind, choice in form.cleaned_data.items():
            if choice != email_choices(request.user)[kind]:
                set_email_choice(request.user, kind, choice)
        messages.success(request, _("Your e-mail choices are saved."))
        return redirect("notification_settings")
    return render(request, "accounts/notification_settings.html", {"form": form, "has_email": bool(request.user.email)})


@csrf_exempt  # a mail client's one-click POST carries no CSRF token; the signed token is the authority
@require_http_methods(["GET", "POST"])
def unsubscribe_view(request, token: str):
    """No sign-in: the signed token names the person and the kind. GET asks (link scanners open links);
    POST — the button, or a mail client's one-click List-Unsubscribe-Post — turns the e-mails off."""
    found = read_unsubscribe_token(token)
    if found is None:
        return render(request, "accounts/unsubscribe.html", {"invalid": True}, status=404)
    user, kind = found
    label = _("notification e-mails of every kind") if kind == ALL_KINDS else str(Notification.Kind(kind).label)
    if request.method == "POST":
        unsubscribe(user, kind)
        return render(request, "accounts/unsubscribe.html", {"done": True, "what": label, "token": token})
    return render(request, "accounts/unsubscribe.html", {"what": label, "token": token})
