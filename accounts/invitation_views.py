"""Invitation pages: a manager invites and revokes (the Members page); the invitee answers from the link."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from .access import get_project_for
from .calendars import isolate
from .forms import MemberAddForm
from .invitations import InvitationError, accept, already_member, decline, find, is_for, revoke, roles_in_words
from .invitations import invite as invite_person
from .models import Invitation

MANAGE = "manage_project"
# As adding a member: the answer takes as long whether or not an account was found.
INVITE_SECONDS = 0.1


@require_POST
@login_required
def invite(request, pk: int):
    membership = get_project_for(request.user, pk, MANAGE)
    project = membership.project
    form = MemberAddForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("members", project.pk)
    who, roles = form.cleaned_data["who"], form.cleaned_data["roles"]
    started = time.monotonic()
    invite_person(project=project, inviter=request.user, who=who, roles=roles)
    time.sleep(max(0.0, INVITE_SECONDS - (time.monotonic() - started)))
    text = ngettext(
        "Invitation to “%(who)s” as %(roles)s sent, if that is an account or an e-mail address. They join "
        "once they accept.",
        "Invitation to “%(who)s” as %(roles)s sent, if that is an account or an e-mail address. They join "
        "once they accept.",
        len(roles),
    )
    messages.success(request, text % {"who": isolate(who), "roles": roles_in_words(roles)})
    return redirect("members", project.pk)


@require_POST
@login_required
def invitation_revoke(request, pk: int, invitation_pk: int):
    membership = get_project_for(request.user, pk, MANAGE)
    invitation = get_object_or_404(Invitation, pk=invitation_pk, project=membership.project)
    if revoke(invitation=invitation):
        messages.success(request, _("Invitation to “%(who)s” revoked.") % {"who": isolate(invitation.invitee)})
    return redirect("members", membership.project.pk)


class SignUpForm(UserCreationForm):
    """An account made from an invitation: the address is the invitation's, the person picks name and password."""

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ["username"]

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.email = email
        self.fields.pop("usable_password", None)


def _account_exists(invitation: Invitation) -> bool:
    if invitation.user_id is not None:
        return True
    return bool(invitation.email) and get_user_model().objects.filter(Q(email__iexact=invitation.email)).exists()


@require_http_methods(["GET", "POST"])
def invitation(request, token: str):
    found = find(token)
    if found is None:
        return render(request, "accounts/invitation.html", {"state": "invalid"}, status=404)
    context = {"invitation": found, "token": token, "roles": roles_in_words(found.roles)}
    if found.status != Invitation.Status.PENDING:
        return render(request, "accounts/invitation.html", {**context, "state": found.status})
    if found.expired:
        return render(request, "accounts/invitation.html", {**context, "state": "expired"})
    user = request.user
    signed_in = user.is_authenticated
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action == "decline":
        return _answer(request, context, lambda: decline(invitation=found, user=user), "declined")
    if signed_in:
        if not is_for(found, user):
            return render(request, "accounts/invitation.html", {**context, "state": "other_account"}, status=403)
        if action == "accept":
            return _accept(request, context, found, user)
        return render(
            request, "accounts/invitation.html", {**context, "state": "open", "member": already_member(found, user)}
        )
    context["login_url"] = f"{reverse('login')}?{urlencode({'next': reverse('invitation', args=[token])})}"
    if _account_exists(found) or not found.email or not settings.INVITATION_SIGNUP:
        state = "sign_in" if _account_exists(found) else "no_account"
        return render(request, "accounts/invitation.html", {**context, "state": state})
    form = SignUpForm(request.POST if action == "signup" else None, email=found.email)
    if action == "signup" and form.is_valid():
        new_user = form.save()
        login(request, new_user, backend="django.contrib.auth.backends.ModelBackend")
        return _accept(request, context, found, new_user)
    return render(request, "accounts/invitation.html", {**context, "state": "sign_up", "form": form})


def _answer(request, context, do, state):
    try:
        do()
    except InvitationError:
        return redirect(request.path)
    return render(request, "accounts/invitation.html", {**context, "state": state})


def _accept(request, context, found: Invitation, user):
    try:
        added, already = accept(invitation=found, user=user)
    except InvitationError:
        return redirect(request.path)
    if already and not added:
        messages.info(
            request,
            _("You were already a member of “%(project)s” with these roles.")
            % {"project": isolate(found.project.name)},
        )
    else:
        messages.success(request, _("Welcome to “%(project)s”.") % {"project": isolate(found.project.name)})
    return redirect("board", found.project.pk)
