"""My work: one person's batches across every project — to annotate, returned to them with the
reviewer's comment, and to review — in a constant number of queries whatever the number of projects.

Each list shows at most SHOWN batches; the counts are always the whole totals (one grouped COUNT when
a list is full). The top bar's badge reads only those totals: one query, whatever the person's load.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Q, When

from accounts.access import Membership

from .models import Batch
from .overview import project_perms, visible_projects
from .rules import MOVES

Status = Batch.Status
SHOWN = 100  # per list: the rest are on the boards ("Assigned to me")
RETURNED = Q(rejection_count__gt=0) & ~Q(review_comment="")  # sent back by a reviewer, with a comment


@dataclass
class ReviewItem:
    batch: Batch
    approve_refusal: str | None  # why Approve is shown disabled (self-review), or None


@dataclass
class MyWork:
    to_annotate: list[Batch] = field(default_factory=list)
    returned: list[Batch] = field(default_factory=list)
    to_review: list[ReviewItem] = field(default_factory=list)
    # How many there are in all; a list holds at most SHOWN of them.
    totals: dict[str, int] = field(default_factory=lambda: {"returned": 0, "annotate": 0, "review": 0})

    @property
    def count(self) -> int:
        return sum(self.totals.values())


@dataclass
class _Scope:
    projects: dict[int, object]
    seeing: dict[int, set[str]]
    visible: object  # the batches the person sees, in every project
    mine: Q  # assigned to them, in Annotating
    to_review: Q  # in Review, in a project they review

    @classmethod
    def of(cls, user) -> _Scope:
        projects = list(visible_projects(user))
        _, seeing = project_perms(user, projects)
        reviewing = [pk for pk, perms in seeing.items() if "review_project" in perms]
        return cls(
            projects={project.pk: project for project in projects},
            seeing=seeing,
            visible=Batch.objects.visible_in(user, seeing, projects),
            mine=Q(status=Status.ANNOTATING, assignee=user),
            to_review=Q(status=Status.REVIEW, project_id__in=reviewing),
        )

    def totals(self) -> dict[str, int]:
        return self.visible.order_by().aggregate(
            returned=Count("pk", filter=self.mine & RETURNED),
            annotate=Count("pk", filter=self.mine & ~RETURNED),
            review=Count("pk", filter=self.to_review),
        )


def my_work_totals(user) -> dict[str, int]:
    """The top bar's count: how many batches wait for the person, without reading any of them."""
    return _Scope.of(user).totals()


def my_work(user) -> MyWork:
    scope = _Scope.of(user)
    visible = scope.visible.select_related("assignee")
    work = MyWork()
    # Returned batches first, so a long list never hides what came back from review.
    returned_first = Case(When(RETURNED, then=0), default=1, output_field=IntegerField())
    annotating = list(visible.filter(scope.mine).order_by(returned_first, "project_id", "position")[:SHOWN])
    for batch in annotating:
        batch.project = scope.projects[batch.project_id]
        (work.returned if batch.rejection_count and batch.review_comment else work.to_annotate).append(batch)
    for batch in visible.filter(scope.to_review).order_by("status_changed_at")[:SHOWN]:
        batch.project = scope.projects[batch.project_id]
        membership = Membership(batch.project, user, frozenset(scope.seeing.get(batch.project_id, ())))
        work.to_review.append(ReviewItem(batch, MOVES["approve"].permits(membership, batch)))
    if len(annotating) < SHOWN and len(work.to_review) < SHOWN:
        work.totals = {"returned": len(work.returned), "annotate": len(work.to_annotate), "review": len(work.to_review)}
    else:  # a list is full: count the rest
        work.totals = scope.totals()
    return work
