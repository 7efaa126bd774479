"""Exports of the Dataset column (managers): start a job, follow it, download its zip (as the export page's jobs)."""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from accounts.access import MANAGE
from accounts.calendars import localise_digits

from ..export import DEFAULT_SEED, FORMATS, ExportOptions, check_split, dataset_batches
from ..export.jobs import start_export_job
from ..models import ExportJob
from ..params import parse_id
from ..views.media import serve_download
from .common import membership
from .errors import ApiError
from .types import Count, Id, StrictBool, StrictInt, StrictStr

router = Router(tags=["exports"])
RECENT = 50


class ExportIn(Schema):
    format: StrictStr = "coco"
    include_images: StrictBool = False
    split: list[StrictInt] | None = None  # [train, val, test] percentages adding up to 100
    seed: Count = DEFAULT_SEED
    batch_ids: list[Id] | None = None  # None: every batch of the Dataset column


def job_json(job: ExportJob) -> dict:
    args = [job.project_id, job.pk]
    done = job.status == ExportJob.Status.DONE and bool(job.file)
    return {
        "id": job.pk,
        "status": job.status,
        "options": job.options,
        "image_count": job.image_count,
        "size": job.size,
        "error": job.error,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "url": reverse("api:export_status", args=args),
        "download_url": reverse("api:export_download", args=args) if done else None,
    }


def _job(project, pk) -> ExportJob:
    job_pk = parse_id(pk)
    job = ExportJob.objects.filter(pk=job_pk, project=project).first() if job_pk is not None else None
    if job is None:
        raise Http404(_("No such export."))
    return job


@router.get("/{int:project_pk}/exports", summary="Recent export jobs")
def list_exports(request, project_pk: int):
    project = membership(request, project_pk, MANAGE).project
    return {"items": [job_json(job) for job in ExportJob.objects.filter(project=project)[:RECENT]]}


@router.post("/{int:project_pk}/exports", response={202: dict}, summary="Start an export job of the Dataset column")
def start(request, project_pk: int, payload: ExportIn):
    project = membership(request, project_pk, MANAGE).project
    if payload.format not in FORMATS:
        raise ApiError(400, "invalid", _("“format” is one of: %(values)s.") % {"values": ", ".join(FORMATS)})
    split = None
    if payload.split is not None:
        if len(payload.split) != 3 or any(not 0 <= part <= 100 for part in payload.split):
            raise ApiError(400, "invalid", _("“split” is three percentages (train, val, test) adding up to 100."))
        split = check_split(*payload.split)
    if payload.seed > 2**31 - 1:
        raise ApiError(400, "invalid", _("“seed” is at most %(max)s.") % {"max": localise_digits(str(2**31 - 1))})
    batch_ids = None
    if payload.batch_ids is not None:
        in_dataset = set(dataset_batches(project).values_list("pk", flat=True))
        batch_ids = tuple(dict.fromkeys(payload.batch_ids))
        if not batch_ids or not set(batch_ids) <= in_dataset:
            raise ApiError(400, "invalid", _("Every chosen batch must be in the Dataset column."))
    options = ExportOptions(
        format=payload.format,
        include_images=payload.include_images,
        split=split,
        seed=payload.seed,
        batch_ids=batch_ids,
    )
    job = start_export_job(actor=request.user, project=project, options=options)
    job.refresh_from_db()
    return Status(202, job_json(job))


@router.get("/{int:project_pk}/exports/{int:pk}", url_name="export_status", summary="An export job's state")
def status(request, project_pk: int, pk: int):
    project = membership(request, project_pk, MANAGE).project
    return job_json(_job(project, pk))


@router.get("/{int:project_pk}/exports/{int:pk}/download", url_name="export_download", summary="Download its zip")
def download(request, project_pk: int, pk: int):
    project = membership(request, project_pk, MANAGE).project
    job = _job(project, pk)
    if job.status != ExportJob.Status.DONE or not job.file:
        raise ApiError(
            409, "refused", _("This export is not ready (any more): its status is %(status)s.") % {"status": job.status}
        )
    return serve_download(job.file, job.download_name or "export.zip")
