"""Forms of the board's move dialogs. They only parse input; the moves themselves live in workflow.py."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.calendars import isolate, localise_digits

from .models import Batch, Image
from .params import CleanCharField, NumberField, parse_id
from .workflow import MAX_COMMENT, split_refusal


class AssignForm(forms.Form):
    SCOPES = [("all", _("All images")), ("part", _("Only the first")), ("chosen", _("Chosen images"))]
    # The most images the dialog's grid offers to choose from (each chosen one is a form field).
    MAX_CHOSEN = 500

    assignees = forms.ModelMultipleChoiceField(
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one annotator.")},
    )
    scope = forms.ChoiceField(choices=SCOPES, initial="all", required=False, widget=forms.RadioSelect)
    count = NumberField(required=False, min_value=1)
    images = forms.Field(required=False, widget=forms.MultipleHiddenInput)

    def __init__(self, *args, batch: Batch, annotators, **kwargs):
        super().__init__(*args, **kwargs)
        self.batch = batch
        self.fields["assignees"].queryset = annotators
        self.fields["count"].widget.attrs.update({"min": 1, "max": batch.image_count, "inputmode": "numeric"})

    def clean_images(self) -> list[int] | None:
        """The chosen images' ids (with the "chosen images" scope): ids of this batch's images, or a clear refusal."""
        if self.data.get("scope") != "chosen":
            return None
        raw = self.data.getlist("images") if hasattr(self.data, "getlist") else []
        if not raw:
            raise forms.ValidationError(_("Choose at least one image in the grid."))
        if len(raw) > self.MAX_CHOSEN:
            raise forms.ValidationError(
                localise_digits(_("Choose at most %(max)d images at a time.") % {"max": self.MAX_CHOSEN})
            )
        ids = []
        for value in raw:
            pk = parse_id(value)
            if pk is None:
                raise forms.ValidationError(_("“%(value)s” is not an image id.") % {"value": str(value)[:20]})
            ids.append(pk)
        ids = sorted(set(ids))
        found = Image.objects.filter(batch_id=self.batch.pk, pk__in=ids).count()
        if found != len(ids):
            raise forms.ValidationError(
                _("%(missing)s of the chosen images are not in “%(batch)s” (any more).")
                % {"missing": localise_digits(str(len(ids) - found)), "batch": self.batch.name}
            )
        return ids

    def clean(self):
        data = super().clean()
        total = self.batch.image_count
        shown_total = localise_digits(str(total))
        if data.get("scope") == "chosen":
            data["count"] = None
            chosen = data.get("images")
            if not chosen:
                return data
            n = len(chosen)
        elif data.get("scope") == "part":
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
                    gettext("“%(name)s” has only %(total)s images.")
                    % {"name": isolate(self.batch.name), "total": shown_total},
                )
                return data
            n = count
        else:
            data["count"] = None
            n = total
        assignees = data.get("assignees") or []
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
