"""Password reset by e-mail: Django's token views, styled like the app, throttled, and silent about accounts.

The answer to a request is the same page whether or not the address belongs to an account, and
whether or not the throttle held the e-mail back. The e-mail is sent by a worker, in the account's
language; its link works once and for PASSWORD_RESET_HOURS (Django's token: it changes with the
password and the last sign-in).
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.urls import reverse, reverse_lazy
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .emails import absolute, language_of, send_later
from .password_change import RemembersRevokedTokens, RevokesApiTokens, TellsRevokedTokens
from .signin import client_ip

THROTTLE_SECONDS = 3600
# The answer takes at least this long, so its timing does not tell whether an account was found.
ANSWER_SECONDS = 0.15


def _throttled(*keys: str) -> bool:
    """Count one request against each key (an hour's window); True when any is over the limit."""
    over = False
    for key in keys:
        name = "password-reset:" + hashlib.sha256(key.encode()).hexdigest()
        cache.add(name, 0, THROTTLE_SECONDS)
        try:
            count = cache.incr(name)
        except ValueError:  # expired between add and incr
            cache.set(name, 1, THROTTLE_SECONDS)
            count = 1
        over = over or count > settings.PASSWORD_RESET_LIMIT_PER_HOUR
    return over


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's form, but the e-mail is queued for a worker and written from plain values."""

    def save(self, *args, **kwargs) -> None:
        for user in self.get_users(self.cleaned_data["email"]):
            path = reverse(
                "password_reset_confirm",
                args=[urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)],
            )
            send_later(
                to=user.email,
                template="password_reset",
                context={
                    "username": user.get_username(),
                    "reset_url": absolute(path),
                    "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
                },
                language=language_of(user),
            )


class ResetRequestView(auth_views.PasswordResetView):
    template_name = "registration/password_reset_form.html"
    form_class = QueuedPasswordResetForm
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form):
        started = time.monotonic()
        address = form.cleaned_data["email"].strip().lower()
        if not _throttled(f"ip:{client_ip(self.request)}", f"address:{address}"):
            form.save()
        time.sleep(max(0.0, ANSWER_SECONDS - (time.monotonic() - started)))
        return super(auth_views.PasswordResetView, self).form_valid(form)


class ResetPasswordForm(RevokesApiTokens, SetPasswordForm):
    revoke_reason = "password reset by e-mail"


class ResetConfirmView(RemembersRevokedTokens, auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"
    form_class = ResetPasswordForm
    success_url = reverse_lazy("password_reset_complete")


class ResetCompleteView(TellsRevokedTokens, auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"


reset_request = ResetRequestView.as_view()
reset_sent = auth_views.PasswordResetDoneView.as_view(template_name="registration/password_reset_done.html")
reset_confirm = ResetConfirmView.as_view()
reset_complete = ResetCompleteView.as_view()
