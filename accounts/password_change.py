"""Changing the password while signed in: Django's form, with the wrong current passwords counted.

The current password is asked so that a session left open (a shared computer) does not become the account;
django-axes counts only sign-ins, so without a count here that field could be guessed without end. Each wrong
current password counts against the account; past LOGIN_FAILURE_LIMIT of them within LOGIN_COOLOFF_MINUTES the
form refuses without checking, and every refused try starts the wait again (as a paused sign-in does).
"""

from __future__ import annotations

import math

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordChangeForm
from django.core.cache import cache
from django.utils.translation import ngettext


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


class CountedPasswordChangeForm(PasswordChangeForm):
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
