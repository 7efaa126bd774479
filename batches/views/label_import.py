"""Import images with their existing labels (managers): a zip in COCO, YOLO or Pascal VOC → one new batch.

A plain multipart form (no script): the archive streams to a temporary file as on the upload page,
then batches.ingest.labels_import does the whole import, all or nothing, and the page shows its report.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpResponseNotAllowed
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from ..access import get_project_for
from ..ingest.labels import FORMAT_CHOICES, UNKNOWN_CHOICES
from ..ingest.labels_import import LabelImportReport, import_labelled, parse_mapping
from ..ingest.limits import Limits
from ..ingest.pipeline import Source
from ..params import CleanCharField
from ..reasons import size
from ..rules import Membership
from ..workflow import WorkflowError
from .upload import LimitedUploadHandler


class LabelImportForm(forms.Form):
    format = forms.ChoiceField(label=gettext_lazy("Format of the labels"), choices=FORMAT_CHOICES)
    unknown = forms.ChoiceField(
        label=gettext_lazy("Classes the project does not have"),
        choices=UNKNOWN_CHOICES,
        initial="create",
        widget=forms.RadioSelect,
    )
    mapping = CleanCharField(
        label=gettext_lazy("Map classes (optional)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": gettext_lazy("automobile = car\npedestrian = person"), "dir": "auto"}
        ),
        help_text=gettext_lazy("One “their class = our class” a line: their boxes are imported under our class."),
    )
    name = CleanCharField(label=gettext_lazy("Batch name (optional)"), required=False, max_length=200)


@csrf_exempt  # checked by _receive, once the upload handlers are in place
@login_required
def label_import(request, project_pk: int):
    membership = get_project_for(request.user, project_pk, perm="manage_project")
    if request.method == "GET":
        return _render(request, membership, LabelImportForm())
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    limits = Limits.from_settings()
    request.upload_handlers = [LimitedUploadHandler(request, limits)]
    try:
        return _receive(request, membership)
    except (TooManyFilesSent, RequestDataTooBig, TooManyFieldsSent, MultiPartParserError):
        error = _("The upload could not be read (it was interrupted or malformed); nothing was added. Try again.")
    return _render(request, membership, LabelImportForm(), error=error, status=400)


@csrf_protect
def _receive(request, membership: Membership):
    form = LabelImportForm(request.POST)
    archive = request.FILES.get("archive")
    if not form.is_valid():
        return _render(request, membership, form, status=400)
    if archive is None or not (archive.name or "").lower().endswith(".zip"):
        limit = size(Limits.from_settings().request_bytes)
        error = _("Choose a .zip archive (at most %(limit)s) holding the images and their label files.") % {
            "limit": limit
        }
        return _render(request, membership, form, error=error, status=400)
    data = form.cleaned_data
    try:
        report = import_labelled(
            actor=request.user,
            project=membership.project,
            membership=membership,
            sources=[Source.from_upload(archive)],
            fmt=data["format"],
            unknown=data["unknown"],
            mapping=parse_mapping(data["mapping"]),
            name=data["name"],
        )
    except WorkflowError as error:
        return _render(request, membership, form, error=error.message, status=400)
    if report.unknown_classes:
        # The next try starts from a mapping to fill in.
        lines = [data["mapping"].strip()] if data["mapping"].strip() else []
        lines += [f"{name} = " for name in report.unknown_classes]
        form = LabelImportForm(initial={**data, "mapping": "\n".join(lines)})
    return _render(request, membership, form, report=report, status=200 if report.batch else 400)


def _render(
    request,
    membership: Membership,
    form: LabelImportForm,
    *,
    report: LabelImportReport | None = None,
    error: str = "",
    status: int = 200,
):
    limits = Limits.from_settings()
    context = {
        "project": membership.project,
        "membership": membership,
        "form": form,
        "report": report,
        "error": error,
        "max_request": size(limits.request_bytes),
    }
    return render(request, "batches/label_import.html", context, status=status)
