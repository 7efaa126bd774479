"""The projects page's read side: which projects a user sees, their roles there, and column totals.

A constant number of queries whatever the number of projects: one for the projects, one for the
user's roles in all of them, one grouped query for every project's column totals.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Sum
from guardian.shortcuts import get_objects_for_user

from accounts.models import ROLE_LABELS, Project, ProjectUserObjectPermission
from accounts.roles import roles_in

from .models import Batch


@dataclass
class Column:
    status: str
    label: str
    batches: int = 0
    images: int = 0


@dataclass
class ProjectSummary:
    project: Project
    roles: list[str]
    columns: list[Column] = field(default_factory=list)

    @property
    def role_labels(self) -> list[str]:
        return [ROLE_LABELS[role] for role in self.roles]

    @property
    def total_images(self) -> int:
        return sum(column.images for column in self.columns)


def visible_projects(user):
    """The projects the user is a member of (an active superuser: all of them)."""
    return get_objects_for_user(user, "accounts.view_project", klass=Project, accept_global_perms=False).order_by(
        "name", "id"
    )


def project_perms(user, projects: list[Project]) -> tuple[dict[int, set[str]], dict[int, set[str]]]:
    """The permissions the user holds directly in each project (one query), and those that decide what
    they see and may do: as batches.rules.Membership.read, an active superuser holds every one."""
    perms = defaultdict(set)
    rows = ProjectUserObjectPermission.objects.filter(
        user=user, content_object_id__in=[project.pk for project in projects]
    ).values_list("content_object_id", "permission__codename")
    for project_id, codename in rows:
        perms[project_id].add(codename)
    seeing = dict(perms)
    if user.is_superuser and user.is_active:
        every = {codename for codename, _ in Project._meta.permissions} | {"view_project"}
        seeing = {project.pk: every for project in projects}
    return perms, seeing


def project_summaries(user) -> list[ProjectSummary]:
    projects = list(visible_projects(user))
    perms, seeing = project_perms(user, projects)

    totals: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    grouped = (
        Batch.objects.visible_in(user, seeing, projects)
        .order_by()
        .values("project_id", "status")
        .annotate(batches=Count("id"), images=Sum("image_count"))
    )
    for row in grouped:
        totals[row["project_id"]][row["status"]] = (row["batches"], row["images"] or 0)

    summaries = []
    for project in projects:
        roles = roles_in(perms[project.pk])
        columns = [
            Column(status, label, *totals[project.pk].get(status, (0, 0))) for status, label in Batch.Status.choices
        ]
        summaries.append(ProjectSummary(project=project, roles=roles, columns=columns))
    return summaries
