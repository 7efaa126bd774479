"""Import images with their existing labels: one zip (COCO, YOLO or Pascal VOC) → one new batch with pre-labels.

The same import as the "Import labels" page and `import_images --labels` (batches/ingest/labels_import.py):
all or nothing, through the upload limits and checks. Managers only.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import Router, Status

from accounts.access import MANAGE
from accounts.calendars import localise_digits

from ..errors import WorkflowError
from ..ingest.labels import FORMATS
from ..ingest.labels_import import LabelImportReport, import_labelled, parse_mapping
from ..ingest.limits import Limits, human_bytes
from ..ingest.pipeline import Source
from ..params import clean_text, parse_id
from .common import membership
from .errors import ApiError

router = Router(tags=["labels"])
FIELD = "archive"
MAX_MAPPING = 5000
MAX_NAME = 200
REPORT_ROWS = 500


def report_json(report: LabelImportReport) -> dict:
    batch = report.batch
    ingest = report.ingest
    outcomes = ingest.outcomes if ingest is not None else []
    return {
        "batch": batch.pk if batch else None,
        "batch_url": f"/api/v1/projects/{batch.project_id}/batches/{batch.pk}" if batch else None,
        "format": report.format,
        "message": report.message,
        "images": len([o for o in outcomes if o.kept]) if batch else 0,
        "refused": [{"name": o.name, "reason": o.reason} for o in outcomes if not o.kept][:REPORT_ROWS],
        "labelled_images": report.labelled_images if batch else 0,
        "unlabelled_images": report.unlabelled_images if batch else 0,
        "boxes": report.boxes if batch else 0,
        "crowd_skipped": report.crowd_skipped if batch else 0,
        "created_classes": report.created_classes if batch else [],
        "mapped_classes": report.mapped_classes,
        "unknown_classes": report.unknown_classes,
        "problems": [{"file": p.file, "message": str(p.message)} for p in report.problems][:REPORT_ROWS],
    }


def _field(request, name: str, max_length: int) -> str:
    value = request.POST.get(name, "")
    if len(value) > max_length:
        raise ApiError(
            422,
            "invalid",
            _("Some fields are not valid."),
            errors=[
                {"field": name, "message": _("At most %(n)s characters.") % {"n": localise_digits(str(max_length))}}
            ],
        )
    return clean_text(value, max_length=max_length)


@router.post(
    "/{int:project_pk}/label-imports",
    response={201: dict, 422: dict},
    url_name="label_import",
    summary="Import a zip of images with their labels (multipart: `archive`, `format`, `unknown`, `mapping`, `name`)",
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "archive": {"type": "string", "format": "binary"},
                            "format": {"type": "string", "enum": list(FORMATS)},
                            "unknown": {"type": "string", "enum": ["create", "refuse"], "default": "create"},
                            "mapping": {"type": "string", "description": "one “their class = our class” a line"},
                            "name": {"type": "string"},
                        },
                        "required": ["archive", "format"],
                    }
                }
            }
        }
    },
)
def import_labels(request, project_pk: int):
    member = membership(request, project_pk, MANAGE)
    limits = Limits.from_settings()
    if (parse_id(request.META.get("CONTENT_LENGTH")) or 0) > limits.request_bytes:
        message = _("One request takes at most %(size)s.") % {"size": human_bytes(limits.request_bytes)}
        raise ApiError(413, "invalid", message)
    if getattr(request, "_api_upload_handler", None) is None:
        raise ApiError(400, "invalid", _("Send the zip as multipart/form-data, in the field “archive”."))
    try:
        archive = request.FILES.get(FIELD)
        fmt = _field(request, "format", 10)
        unknown = _field(request, "unknown", 10) or "create"
        mapping_text = _field(request, "mapping", MAX_MAPPING)
        name = _field(request, "name", MAX_NAME)
    except TooManyFilesSent:
        raise ApiError(413, "invalid", _("Too many files in one request.")) from None
    except (RequestDataTooBig, TooManyFieldsSent, MultiPartParserError):
        raise ApiError(
            400, "invalid", _("The request could not be read (it was interrupted or malformed); send it again.")
        ) from None
    if archive is None or not (archive.name or "").lower().endswith(".zip"):
        message = _("Choose a .zip archive (at most %(limit)s) holding the images and their label files.") % {
            "limit": human_bytes(limits.request_bytes)
        }
        raise ApiError(422, "invalid", message, errors=[{"field": FIELD, "message": message}])
    errors = []
    if fmt not in FORMATS:
        errors.append({"field": "format", "message": _("Choose the labels' format: COCO, YOLO or Pascal VOC.")})
    if unknown not in {"create", "refuse"}:
        errors.append({"field": "unknown", "message": _("Say what to do with classes the project does not have.")})
    try:
        mapping = parse_mapping(mapping_text)
    except WorkflowError as error:
        errors.append({"field": "mapping", "message": error.message})
    if errors:
        raise ApiError(422, "invalid", _("Some fields are not valid."), errors=errors)
    report = import_labelled(
        actor=request.user,
        project=member.project,
        membership=member,
        sources=[Source.from_upload(archive)],
        fmt=fmt,
        unknown=unknown,
        mapping=mapping,
        name=name,
        limits=limits,
    )
    if report.batch is None:
        body = report_json(report)
        return Status(
            422,
            {"code": "invalid", "message": report.message or _("Nothing was imported."), **body},
        )
    return Status(201, report_json(report))
