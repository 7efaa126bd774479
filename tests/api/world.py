"""A project with a batch in every column (stored image files), a class, an upload session, a finished export
and a webhook."""

from __future__ import annotations

from accounts.models import LabelClass
from accounts.roles import grant_role
from batches import workflow
from batches.export import ExportOptions
from batches.export.jobs import make_export, start_export_job
from batches.models import Batch, Webhook
from batches.uploads import sessions
from tests.factories import make_project, make_user, stored_image_rows

Status = Batch.Status


def stored_batch(project, manager, n: int = 2, name: str | None = None) -> Batch:
    return workflow.create_batch(actor=manager, project=project, name=name or "", images=stored_image_rows(project, n))


class World:
    def __init__(self):
        self.project = make_project("Street scenes")
        self.manager = make_user("manager")
        self.annotator = make_user("annotator")
        self.reviewer = make_user("reviewer")
        self.outsider = make_user("outsider")
        self.spare = make_user("spare")
        for user, role in [
            (self.manager, "manager"),
            (self.annotator, "annotator"),
            (self.reviewer, "reviewer"),
            (self.spare, "annotator"),
        ]:
            grant_role(self.project, user, role)
        self.batches = {}
        for status in Status.values:
            batch = stored_batch(self.project, self.manager, name=f"In {status}")
            if status != Status.UNASSIGNED:
                batch = workflow.assign(actor=self.manager, batch=batch, assignees=[self.annotator]).assigned[0]
            if status in (Status.REVIEW, Status.DATASET):
                batch = workflow.submit(actor=self.manager, batch=batch)
            if status == Status.DATASET:
                batch = workflow.approve(actor=self.reviewer, batch=batch)
            self.batches[status] = batch
        self.image = {status: batch.images.order_by("pk").first() for status, batch in self.batches.items()}
        self.label_class = LabelClass.objects.filter(project=self.project).first()
        self.unused_class = LabelClass.objects.create(project=self.project, name="unused", colour="#00ff00")
        self.upload = sessions.start_session(actor=self.manager, project=self.project, name="Upload", expected=1)
        self.export = start_export_job(actor=self.manager, project=self.project, options=ExportOptions(format="coco"))
        make_export(self.export.pk)
        self.webhook = Webhook.objects.create(
            project=self.project, url="https://hooks.example/in", secret="whsec_world", events=["batch.approved"]
        )
