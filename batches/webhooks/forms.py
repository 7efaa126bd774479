"""The webhook form of the webhooks page (the checks themselves are setup.clean_url / clean_events)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from ..models import WebhookEvent


class WebhookForm(forms.Form):
    url = forms.CharField(
        label=gettext_lazy("Payload URL"),
        max_length=2000,
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/binaboard-hook", "dir": "ltr"}),
    )
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Events"),
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Choose at least one event.")},
    )
    active = forms.BooleanField(label=gettext_lazy("Active (send events)"), required=False, initial=True)


class WebhookEditForm(WebhookForm):
    new_secret = forms.BooleanField(
        label=gettext_lazy("Make a new secret"),
        required=False,
        help_text=gettext_lazy("The old secret stops working at once: update the receiver too."),
    )
