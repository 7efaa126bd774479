"""Fetch-and-authorise helpers: one call finds the object, checks the user may see it, and may lock it.

Each returns the object with the person's Membership (their permissions in its project, read once),
which the view passes on explicitly to templates, the rule book and the workflow. A user who is not a
member of the project learns nothing about it: every miss is a 404, and so is a batch (or its image)
the member may not see (Membership.sees). A member without the permission an action needs gets
PermissionDenied (403).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from .models import Batch, Image, Project
from .rules import Membership


def _authorise(user, project: Project, perm: str | None, batch: Batch | None = None) -> Membership:
    membership = Membership.read(user, project)
    if not membership.is_member:
        raise Http404(_("No such project."))
    if batch is not None and not membership.sees(batch):
        raise Http404(_("No such batch."))
    if perm and perm not in membership.perms:
        raise PermissionDenied(_("You do not have permission to do that in this project."))
    return membership


def get_project_for(user, pk, perm: str | None = None) -> Membership:
    """The person's membership of the project (`.project` is the project)."""
    try:
        project = Project.objects.get(pk=pk)
    except (Project.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such project.")) from None
    return _authorise(user, project, perm)


def get_batch_for(user, project_pk, pk, perm: str | None = None) -> tuple[Batch, Membership]:
    try:
        batch = Batch.objects.select_related("project", "assignee").get(pk=pk, project_id=project_pk)
    except (Batch.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such batch.")) from None
    return batch, _authorise(user, batch.project, perm, batch)


def get_image_for(user, pk, perm: str | None = None) -> tuple[Image, Membership]:
    try:
        image = Image.objects.select_related("batch", "project").get(pk=pk)
    except (Image.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such image.")) from None
    return image, _authorise(user, image.project, perm, image.batch)
