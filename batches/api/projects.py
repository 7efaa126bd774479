"""Projects: the ones the caller is a member of (and their token reaches), with roles and column totals."""

from __future__ import annotations

from ninja import Router

from accounts.roles import roles_in, roles_of
from accounts.tokens import reaches

from ..models import Batch
from ..overview import project_summaries
from ..rules import visible_batches
from .common import membership

router = Router(tags=["projects"])


def project_json(project, roles: list[str], columns: dict) -> dict:
    return {
        "id": project.pk,
        "name": project.name,
        "description": project.description,
        "review_required": project.review_required,
        "allow_self_review": project.allow_self_review,
        "annotator_visibility": project.annotator_visibility,
        "roles": roles,
        "columns": columns,
    }


@router.get("", summary="List your projects")
def list_projects(request):
    token = getattr(request, "api_token", None)
    return {
        "items": [
            project_json(
                summary.project,
                summary.roles,
                {column.status: {"batches": column.batches, "images": column.images} for column in summary.columns},
            )
            for summary in project_summaries(request.user)
            if reaches(token, summary.project)
        ]
    }


@router.get("/{int:project_pk}", summary="Read a project")
def read_project(request, project_pk: int):
    member = membership(request, project_pk)
    # The roles held, as the list says them. member.perms (already read) has them, except for an operator
    # (superuser), whom it gives every permission: their own roles are read apart.
    roles = roles_of(member.project, request.user) if request.user.is_superuser else roles_in(member.perms)
    totals = visible_batches(member).column_totals(member.project)
    return project_json(member.project, roles, {status: totals[status] for status in Batch.Status.values})
