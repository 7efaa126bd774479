"""Forms of the board's move dialogs. They only parse input; the moves themselves live in workflow.py."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.calendars import localise_digits

from .models import Batch
from .params import CleanCharField, NumberField, parse_id
from .workflow import MAX_COMMENT, split_refusal


class AssignForm(forms.Form):
    SCOPES = [("all", _("All images")), ("part", _("Only the first"))]

    assignees = forms.ModelMultipleChoiceField(
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one annotator.")},
    )
    scope = forms.ChoiceField(choices=SCOPES, initial="all", required=False, widget=forms.RadioSelect)
    count = NumberField(required=False, min_value=1)

    def __init__(self, *args, batch: Batch, annotators, **kwargs):
        super().__init__(*args, **kwargs)
        self.batch = batch
        self.fields["assignees"].queryset = annotators
        self.fields["count"].widget.attrs.update({"min": 1, "max": batch.image_count, "inputmode": "numeric"})

    def clean(self):
        data = super().clean()
        total = self.batch.image_count
        shown_total = localise_digits(str(total))
        if data.get("scope") == "part":
            count = data.get("count")
            if count is None:
                if "count" not in self.errors:
                    self.add_error(
                        "count", gettext("Say how many of the %(total)s images to assign.") % {"total": shown_total}
                    )
                return data
            if count > total:
                self.add_error(
                    "count",
                    gettext("“%(name)s” has only %(total)s images.") % {"name": self.batch.name, "total": shown_total},
                )
                return data
        else:
            data["count"] = None
        assignees = data.get("assignees") or []
        n = data.get("count") or total
        if assignees and n < len(assignees):
            self.add_error("assignees", split_refusal(n, len(assignees)))
        return data


class ReassignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        queryset=None, empty_label=None, error_messages={"required": _("Choose the annotator who takes it over.")}
    )

    def __init__(self, *args, annotators, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = annotators


class RejectForm(forms.Form):
    comment = CleanCharField(
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Say what needs fixing: a rejection needs a comment.")},
        help_text=_("The annotator sees this on the card and in their workspace."),
    )


class ReopenForm(forms.Form):
    assignee = forms.ModelChoiceField(
        queryset=None, empty_label=None, error_messages={"required": _("Choose the annotator who makes the fixes.")}
    )
    comment = forms.CharField(
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Say what needs fixing: reopening needs a comment.")},
        help_text=_("The annotator sees this on the card and in their workspace."),
    )

    def __init__(self, *args, annotators, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = annotators


class MergeForm(forms.Form):
    """The batch to merge in, as "pk:version": the version the person saw, so a batch that grew since is stale."""

    other = forms.CharField(error_messages={"required": _("Choose the batch to merge in.")})
    name = CleanCharField(max_length=200, required=False, label=_("New name (optional)"))

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = candidates

    @staticmethod
    def choice(batch: Batch) -> str:
        return f"{batch.pk}:{batch.version}"

    def clean_other(self) -> Batch:
        pk, _sep, version = self.cleaned_data["other"].partition(":")
        pk, version = parse_id(pk), parse_id(version)
        batch = self.candidates.filter(pk=pk).first() if pk is not None else None
        if batch is None or version is None:
            raise forms.ValidationError(_("That batch can no longer be merged."), code="invalid_choice")
        # The batch as the person saw it: workflow.merge refuses it as stale if it changed since.
        batch.version = version
        return batch
