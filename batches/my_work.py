"""My work: one person's batches across every project — to annotate, returned to them with the
reviewer's comment, and to review — in a constant number of queries whatever the number of projects."""

from __future__ import annotations

from dataclasses import dataclass, field

from accounts.access import Membership

from .models import Batch
from .overview import project_perms, visible_projects
from .rules import MOVES

Status = Batch.Status
SHOWN = 200  # per list


@dataclass
class ReviewItem:
    batch: Batch
    approve_refusal: str | None  # why Approve is shown disabled (self-review), or None


@dataclass
class MyWork:
    to_annotate: list[Batch] = field(default_factory=list)
    returned: list[Batch] = field(default_factory=list)
    to_review: list[ReviewItem] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.to_annotate) + len(self.returned) + len(self.to_review)


def my_work(user) -> MyWork:
    projects = list(visible_projects(user))
    _, seeing = project_perms(user, projects)
    by_pk = {project.pk: project for project in projects}
    visible = Batch.objects.visible_in(user, seeing, projects).select_related("assignee")
    work = MyWork()
    for batch in visible.filter(status=Status.ANNOTATING, assignee=user).order_by("project_id", "position")[:SHOWN]:
        batch.project = by_pk[batch.project_id]
        (work.returned if batch.rejection_count and batch.review_comment else work.to_annotate).append(batch)
    reviewing = [pk for pk, perms in seeing.items() if "review_project" in perms]
    for batch in visible.filter(status=Status.REVIEW, project_id__in=reviewing).order_by("status_changed_at")[:SHOWN]:
        batch.project = by_pk[batch.project_id]
        membership = Membership(batch.project, user, frozenset(seeing.get(batch.project_id, ())))
        work.to_review.append(ReviewItem(batch, MOVES["approve"].permits(membership, batch)))
    return work
