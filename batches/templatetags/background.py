"""`{% background_work batch membership %}`: the background work a batch page shows (batch_detail.html).

Its upload (processing, refused files, a worker that fell silent), the export jobs that include it and
their failures (managers, who may export), and the files of its project still waiting for a worker to
remove them from storage (late when older than TASK_ABANDONED_AFTER: no worker is running).
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone

from ..models import ExportJob, StoredFile, UploadSession

register = template.Library()

JOBS_READ = 20
JOBS_SHOWN = 3
# Ledger rows younger than this are files being written right now (an upload, an export), not removals.
REMOVAL_SHOWN_AFTER = dt.timedelta(minutes=1)


@register.inclusion_tag("batches/_background.html")
def background_work(batch, membership) -> dict:
    project_pk = batch.project_id
    now = timezone.now()
    late = now - settings.TASK_ABANDONED_AFTER
    jobs = []
    if membership.manages:
        for job in ExportJob.objects.filter(project_id=project_pk).only(
            "id", "project_id", "options", "status", "error", "created_at", "finished_at", "image_count"
        )[:JOBS_READ]:
            batch_ids = (job.options or {}).get("batch_ids")
            if batch_ids is None or batch.pk in batch_ids:
                jobs.append(job)
    removals = StoredFile.objects.filter(
        name__startswith=f"projects/{project_pk}/", created_at__lt=now - REMOVAL_SHOWN_AFTER
    ).aggregate(count=Count("id"), oldest=Min("created_at"))
    stalled = (
        batch.is_processing
        and UploadSession.objects.filter(
            batch=batch, status=UploadSession.Status.PROCESSING, updated_at__lt=late
        ).exists()
    )
    return {
        "batch": batch,
        "jobs": jobs[:JOBS_SHOWN],
        "more_jobs": len(jobs) > JOBS_SHOWN,
        "project_pk": project_pk,
        "removals": removals["count"],
        "removals_late": bool(removals["oldest"] and removals["oldest"] < late),
        "stalled": stalled,
    }
