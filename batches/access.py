"""Fetch-and-authorise helpers: one call finds the object, checks the user may see it, and may lock it.

A user who is not a member of the project learns nothing about it: every miss is a 404, and so is a
batch (or its image) the member may not see (models.may_see_batch). A member without the permission
an action needs gets PermissionDenied (403).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from guardian.core import ObjectPermissionChecker

from .models import Batch, Image, Project, UploadSession, may_see_batch

VIEW = "view_project"


def project_perms(user, project: Project) -> set[str]:
    """The project permissions this user holds (every one for an active superuser)."""
    if not user.is_authenticated or not user.is_active:
        return set()
    cache = getattr(user, "_project_perms_cache", None)
    if cache is None:
        cache = user._project_perms_cache = {}
    if project.pk not in cache:
        cache[project.pk] = set(ObjectPermissionChecker(user).get_perms(project))
    return cache[project.pk]


def forget_perms(user) -> None:
    """Drop the per-request permission cache (after roles change)."""
    if hasattr(user, "_project_perms_cache"):
        del user._project_perms_cache


def _authorise(user, project: Project, perm: str | None, batch: Batch | None = None) -> Project:
    perms = project_perms(user, project)
    if VIEW not in perms:
        raise Http404("No such project.")
    if batch is not None and not may_see_batch(user, perms, project, batch):
        raise Http404("No such batch.")
    if perm and perm not in perms:
        raise PermissionDenied("You do not have permission to do that in this project.")
    project.user_perms = perms
    return project


def get_project_for(user, pk, perm: str | None = None) -> Project:
    try:
        project = Project.objects.get(pk=pk)
    except (Project.DoesNotExist, ValueError, TypeError):
        raise Http404("No such project.") from None
    return _authorise(user, project, perm)


def get_batch_for(user, project_pk, pk, perm: str | None = None) -> Batch:
    try:
        batch = Batch.objects.select_related("project", "assignee").get(pk=pk, project_id=project_pk)
    except (Batch.DoesNotExist, ValueError, TypeError):
        raise Http404("No such batch.") from None
    _authorise(user, batch.project, perm, batch)
    return batch


def get_image_for(user, pk, perm: str | None = None) -> Image:
    try:
        image = Image.objects.select_related("batch", "project").get(pk=pk)
    except (Image.DoesNotExist, ValueError, TypeError):
        raise Http404("No such image.") from None
    _authorise(user, image.project, perm, image.batch)
    return image


def get_upload_session_for(user, project_pk, pk, perm: str | None = "manage_project") -> UploadSession:
    """An upload session of the project (uploads are the managers' business: others get 403, outsiders 404)."""
    try:
        session = UploadSession.objects.select_related("project", "batch").get(pk=pk, project_id=project_pk)
    except (UploadSession.DoesNotExist, ValueError, TypeError):
        raise Http404("No such upload.") from None
    _authorise(user, session.project, perm)
    return session
