"""A person's language and calendar: remembered on their account, used on every page they see.

Without a saved choice the language comes from the browser (Django's LocaleMiddleware: the language
cookie, then Accept-Language) and the calendar follows the language.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from . import calendars
from .models import User


class UserPreferencesMiddleware:
    """After authentication: the signed-in person's saved language and calendar win over the browser's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = calendar = None
        if user is not None and user.is_authenticated:
            language, calendar = user.language or None, user.calendar or None
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        calendars.activate(calendar)
        try:
            return self.get_response(request)
        finally:
            calendars.activate(None)


def _safe_next(request) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return "/"


def _remember_language(response, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )


@require_POST
def set_language(request):
    """The language switcher (the user menu, the sign-in page): saved on the account and in a cookie."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        messages.error(request, _("That language is not available."))
        return HttpResponseRedirect(_safe_next(request))
    if request.user.is_authenticated and request.user.language != language:
        User.objects.filter(pk=request.user.pk).update(language=language)
    response = HttpResponseRedirect(_safe_next(request))
    _remember_language(response, language)
    return response


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["language", "calendar"]
        labels = {"language": gettext_lazy("Language"), "calendar": gettext_lazy("Calendar for dates")}
        help_texts = {"language": "", "calendar": ""}  # the choices say it

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("The browser's language")), *settings.LANGUAGES]
        self.fields["calendar"].choices = [
            ("", _("Automatic: Jalali in Persian, Gregorian otherwise")),
            *User.Calendar.choices,
        ]


@require_http_methods(["GET", "POST"])
@login_required
def preferences(request):
    form = PreferencesForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save() if form.has_changed() else request.user
        language = user.language or translation.get_language_from_request(request)
        translation.activate(language)
        messages.success(request, _("Preferences saved."))
        response = redirect("preferences")
        if user.language:
            _remember_language(response, user.language)
        return response
    return render(request, "accounts/preferences.html", {"form": form})
