"""The export page's form: format, batches, images, split; it turns into ExportOptions."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.calendars import localise_digits

from ..params import NumberField, parse_id
from .core import DEFAULT_SEED, DEFAULT_SPLIT, ExportOptions
from .formats import FORMATS


class ExportForm(forms.Form):
    format = forms.ChoiceField(choices=list(FORMATS.items()), initial="coco", widget=forms.RadioSelect)
    # Every batch of the Dataset column unless the person opened the list of batches (its rows, or its
    # hidden scope=chosen, are then sent): a column of thousands is listed only for whoever wants to choose.
    batches = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _("A chosen batch is no longer in the Dataset column; reload the page and choose again."),
        },
    )
    include_images = forms.BooleanField(required=False, label=_("Include the image files"))
    split = forms.BooleanField(required=False, label=_("Split into train, validation and test subsets"))
    train = NumberField(min_value=0, max_value=100, initial=DEFAULT_SPLIT[0], label=_("Train %"))
    val = NumberField(min_value=0, max_value=100, initial=DEFAULT_SPLIT[1], label=_("Validation %"))
    test = NumberField(min_value=0, max_value=100, initial=DEFAULT_SPLIT[2], label=_("Test %"))
    seed = NumberField(
        min_value=0,
        max_value=2**31 - 1,
        initial=DEFAULT_SEED,
        label=_("Seed"),
        help_text=_("The same seed gives the same split."),
    )

    def __init__(self, *args, batches=(), **kwargs):
        """`batches`: the Dataset column's batches to choose from; needed only when `choosing`."""
        super().__init__(*args, **kwargs)
        self.fields["batches"].choices = [(batch.pk, batch.name) for batch in batches]
        self.fields["batches"].initial = [batch.pk for batch in batches]
        if self.is_bound and not self.data.get("split"):
            # Without a split the percentages do not matter, so blank ones are no error.
            for name in ("train", "val", "test", "seed"):
                self.fields[name].required = False

    @staticmethod
    def chooses(data) -> bool:
        """The person chose batches (the list was open when they sent the form), rather than the whole column."""
        return data is not None and (data.get("scope") == "chosen" or bool(data.getlist("batches")))

    @property
    def choosing(self) -> bool:
        return self.is_bound and self.chooses(self.data)

    def chosen_batch_ids(self) -> set[int]:
        """The ticked batches as sent (all of them before the first submit), to tick them again."""
        if not self.is_bound:
            return set(self.fields["batches"].initial)
        return {pk for pk in map(parse_id, self.data.getlist("batches")) if pk is not None}

    def clean(self):
        data = super().clean()
        if self.choosing and not data.get("batches") and "batches" not in self.errors:
            self.add_error("batches", _("Choose at least one batch."))
        if data.get("split"):
            values = [data.get(name) for name in ("train", "val", "test")]
            if None not in values and sum(values) != 100:
                raise forms.ValidationError(
                    _("The split percentages add up to %(sum)s; they must add up to 100.")
                    % {"sum": localise_digits(str(sum(values)))},
                    code="split_sum",
                )
        return data

    def options(self) -> ExportOptions:
        data = self.cleaned_data
        split = (data["train"], data["val"], data["test"]) if data.get("split") else None
        seed = data.get("seed")
        return ExportOptions(
            format=data["format"],
            include_images=data.get("include_images", False),
            split=split,
            seed=DEFAULT_SEED if seed is None else seed,
            batch_ids=tuple(data["batches"]) if self.choosing else None,
        )
