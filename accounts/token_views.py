"""The API tokens settings page: a person makes, names, limits and revokes their own tokens.

A new token's secret is shown once, on the page that answers the form (never stored, never shown again).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from guardian.shortcuts import get_objects_for_user

from binaboard.params import CleanCharField, parse_id

from .calendars import isolate
from .models import ApiToken, Project
from .tokens import create_token, revoke

EXPIRY_CHOICES = [
    ("30", gettext_lazy("In 30 days")),
    ("90", gettext_lazy("In 90 days")),
    ("365", gettext_lazy("In a year")),
    ("never", gettext_lazy("Never")),
]
TOKENS_SHOWN = 100


def member_projects(user):
    return get_objects_for_user(user, "accounts.view_project", klass=Project, accept_global_perms=False).order_by(
        "name", "id"
    )


class ProjectsField(forms.ModelMultipleChoiceField):
    """Projects by id; an id past the database's integers is a wrong choice, not an overflow."""

    def _check_values(self, value):
        if any(parse_id(pk) is None for pk in value):
            raise forms.ValidationError(_("Choose projects from the list."), code="invalid_choice")
        return super()._check_values(value)


class TokenForm(forms.Form):
    name = CleanCharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("What the token is for, e.g. “training pipeline”."),
    )
    scope = forms.ChoiceField(
        label=gettext_lazy("Access"),
        choices=ApiToken.Scope.choices,
        initial=ApiToken.Scope.READ,
        widget=forms.RadioSelect,
    )
    expires = forms.ChoiceField(label=gettext_lazy("Expires"), choices=EXPIRY_CHOICES, initial="90")
    projects = ProjectsField(
        label=gettext_lazy("Projects"),
        queryset=Project.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None ticked: every project you are a member of, now and later."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["projects"].queryset = member_projects(user)


SECRET_KEY = "api_token_secret"  # the new token, kept in the session until the page after the form shows it once


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def api_tokens(request):
    form = TokenForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        days = None if data["expires"] == "never" else int(data["expires"])
        made = create_token(
            user=request.user, name=data["name"], scope=data["scope"], expires_in_days=days, projects=data["projects"]
        )
        # Post/redirect/get: reloading the page shows the list, it does not make another token.
        request.session[SECRET_KEY] = made.secret
        return redirect("api_tokens")
    new_secret = request.session.pop(SECRET_KEY, "") if request.method == "GET" else ""
    tokens = list(
        ApiToken.objects.filter(user=request.user).prefetch_related("projects").order_by("-created_at")[:TOKENS_SHOWN]
    )
    context = {"form": form, "tokens": tokens, "new_secret": new_secret}
    return render(request, "accounts/api_tokens.html", context)


@require_POST
@login_required
def api_token_revoke(request, pk: int):
    token_pk = parse_id(pk)
    token = ApiToken.objects.filter(pk=token_pk, user=request.user).first() if token_pk is not None else None
    if token is None:
        raise Http404(_("No such token."))
    if revoke(token):
        messages.success(
            request, _("The token “%(name)s” is revoked: it no longer works.") % {"name": isolate(token.name)}
        )
    return redirect("api_tokens")
