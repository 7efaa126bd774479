"""Changing the password while signed in: Django's form, with the wrong current passwords counted.

A new password, however it is set (here, by a reset link, or by an operator in the admin), revokes the
person's API tokens in the same transaction (RevokesApiTokens): Django signs out their other sessions on
a password change, and a token is one more way in that whoever knew the old password may have made.

The current password is asked so that a session left open (a shared computer) does not become the account;
django-axes counts only sign-ins, so without a count here that field could be guessed without end. Each wrong
current password counts against the account; past LOGIN_FAILURE_LIMIT of them within LOGIN_COOLOFF_MINUTES the
form refuses without checking, and every refused try starts the wait again (as a paused sign-in does).
"""

from __future__ import annotations

import math

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.core.cache import cache
from django.db import transaction
from django.utils.translation import ngettext

from .tokens import revoke_all


def _key(user) -> str:
    return f"password-change-failures:{user.pk}"


def _cooloff_seconds() -> int:
    return max(1, int(settings.AXES_COOLOFF_TIME.total_seconds()))


def _count_failure(user) -> None:
    key, seconds = _key(user), _cooloff_seconds()
    if not cache.add(key, 1, seconds):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, seconds)
        else:
            cache.touch(key, seconds)


class RevokesApiTokens:
    """A mixin for Django's password forms: saving the new password revokes the person's API tokens with it.

    Every such form saves through set_password_and_save; revoked_tokens then says how many went.
    """

    revoke_reason = "new password"
    revoked_tokens = 0

    def set_password_and_save(self, user, *args, commit=True, **kwargs):
        if not commit:  # not saved yet: the tokens go when the password does
            return super().set_password_and_save(user, *args, commit=commit, **kwargs)
        with transaction.atomic():
            user = super().set_password_and_save(user, *args, commit=commit, **kwargs)
            self.revoked_tokens = revoke_all(user, reason=self.revoke_reason)
        return user


# How many tokens the new password revoked, kept in the session for the page that confirms it (a toast fades
# too soon for this).
REVOKED_KEY = "api_tokens_revoked"


class RemembersRevokedTokens:
    """For the view that saves the new password (changed, or reset by a link): keeps the count for the next page."""

    def form_valid(self, form):
        response = super().form_valid(form)
        if form.revoked_tokens:
            self.request.session[REVOKED_KEY] = form.revoked_tokens
        return response


class TellsRevokedTokens:
    """For the page that confirms the new password: `revoked_tokens`, told once (the count is popped)."""

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "revoked_tokens": self.request.session.pop(REVOKED_KEY, 0)}


class CountedPasswordChangeForm(RevokesApiTokens, PasswordChangeForm):
    revoke_reason = "password changed"

    def clean_old_password(self):
        if (cache.get(_key(self.user)) or 0) >= settings.AXES_FAILURE_LIMIT:
            cache.touch(_key(self.user), _cooloff_seconds())
            minutes = math.ceil(_cooloff_seconds() / 60)
            raise forms.ValidationError(
                ngettext(
                    "Too many wrong passwords: changing it is paused. Try again in %(minutes)d minute.",
                    "Too many wrong passwords: changing it is paused. Try again in %(minutes)d minutes.",
                    minutes,
                )
                % {"minutes": minutes},
                code="throttled",
            )
        try:
            return super().clean_old_password()
        except forms.ValidationError:
            _count_failure(self.user)
            raise


class PasswordChangeView(RemembersRevokedTokens, auth_views.PasswordChangeView):
    template_name = "registration/change_password.html"
    form_class = CountedPasswordChangeForm


class PasswordChangeDoneView(TellsRevokedTokens, auth_views.PasswordChangeDoneView):
    template_name = "registration/change_password_done.html"


password_change = PasswordChangeView.as_view()
password_change_done = PasswordChangeDoneView.as_view()
