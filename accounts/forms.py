from __future__ import annotations

from django import forms
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from binaboard.params import CleanCharField

from .calendars import isolate
from .models import CLASS_PALETTE, ROLE_LABELS, LabelClass, Project

ROLE_CHOICES = list(ROLE_LABELS.items())


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = [
            "name",
            "description",
            "review_required",
            "allow_self_review",
            "annotator_visibility",
            "prelabels_to_check",
            "stale_after_days",  # rework (#19)
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3}), "annotator_visibility": forms.RadioSelect}
        field_classes = {"name": CleanCharField, "description": CleanCharField}
        labels = {
            "review_required": _("Submitted batches need a review"),
            "allow_self_review": _("Reviewers may approve batches they annotated"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A post without the choice (a script, an older page) keeps what the project has, or the default.
        self.fields["annotator_visibility"].required = False
        self.fields["stale_after_days"].required = False  # rework (#19): a post without it keeps the setting
        # Django's own words would show the limit in Latin digits on a Persian page ("… مساوی 0 است").
        self.fields["stale_after_days"].error_messages["min_value"] = _(
            "The number of days cannot be below 0; 0 turns the stale mark off."
        )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Give the project a name."))
        return name

    def clean_stale_after_days(self) -> int:
        value = self.cleaned_data.get("stale_after_days")
        return self.instance.stale_after_days if value is None else value

    def clean_annotator_visibility(self) -> str:
        return self.cleaned_data["annotator_visibility"] or self.instance.annotator_visibility


class RolesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("choices", ROLE_CHOICES)
        kwargs.setdefault("error_messages", {"required": _("Choose at least one role.")})
        super().__init__(**kwargs)


class MemberAddForm(forms.Form):
    who = forms.CharField(
        label=_("Exact username or e-mail address"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": _("alice or alice@example.com")}),
        error_messages={"required": _("Type the username or e-mail address of the person to invite.")},
    )
    roles = RolesField(label=_("Roles"), initial=["annotator"])

    def clean_who(self) -> str:
        # Only tidied here: whether such an account exists is never checked where the answer would show.
        return self.cleaned_data["who"].strip()


class MemberRolesForm(forms.Form):
    roles = RolesField(label=_("Roles"), required=True)


def free_colour(used: list[str]) -> str:
    """The colour offered for a new class: the first of the palette no class has yet (each new class used to be
    offered #1f77b4, so classes added one after another all looked alike on the canvas)."""
    taken = {colour.lower() for colour in used}
    free = [colour for colour in CLASS_PALETTE if colour not in taken]
    return free[0] if free else CLASS_PALETTE[len(used) % len(CLASS_PALETTE)]


class LabelClassForm(forms.ModelForm):
    key = forms.TypedChoiceField(
        label=_("Key"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("none"))] + [(n, str(n)) for n in range(1, 10)],
        help_text=_("Number key that picks this class while annotating."),
    )

    class Meta:
        model = LabelClass
        fields = ["name", "colour", "key"]
        widgets = {"colour": forms.TextInput(attrs={"type": "color"})}
        field_classes = {"name": CleanCharField}

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.instance.project = project

    def _siblings(self):
        siblings = LabelClass.objects.filter(project=self.project)
        return siblings.exclude(pk=self.instance.pk) if self.instance.pk else siblings

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Give the class a name."))
        clash = self._siblings().annotate(lower=Lower("name")).filter(lower=name.lower()).first()
        if clash:
            raise forms.ValidationError(
                _("This project already has a class named “%(name)s” (names ignore upper and lower case).")
                % {"name": isolate(clash.name)}
            )
        return name

    def clean_colour(self) -> str:
        return self.cleaned_data["colour"].lower()

    def clean_key(self):
        key = self.cleaned_data["key"]
        if key is not None:
            clash = self._siblings().filter(key=key).first()
            if clash:
                raise forms.ValidationError(
                    _("Key %(key)s already picks “%(name)s”: choose another key, or none.")
                    % {"key": key, "name": isolate(clash.name)}
                )
        return key
