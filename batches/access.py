"""Fetch-and-authorise helpers: one call finds the object, checks the user may see it, and may lock it.

Each returns the object with the person's Membership (their permissions in its project, read once),
which the view passes on explicitly to templates, the rule book and the workflow. A user who is not a
member of the project learns nothing about it: every miss is a 404, and so is a batch (or its image)
the member may not see (rules.sees). A member without the permission an action needs gets
PermissionDenied (403).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.access import MANAGE, Membership, authorise, get_project_for

from .models import Batch, Image, UploadSession
from .params import parse_id
from .rules import sees

__all__ = ["get_batch_for", "get_image_for", "get_project_for", "get_upload_session_for"]


def _member(user, project, missing: str, perm: str | None = None) -> Membership:
    """authorise(), its 404 saying what a missing object's says: "No such project." for an object that
    exists would tell an outsider it does (the annotation workspace's JSON shows the message)."""
    try:
        return authorise(user, project, perm)
    except Http404:
        raise Http404(missing) from None


def _authorise(user, batch: Batch, perm: str | None, missing: str | None = None) -> Membership:
    """A member who may see this batch (else 404), holding `perm` if one is asked for (else 403)."""
    missing = missing or _("No such batch.")
    membership = _member(user, batch.project, missing)
    if not sees(membership, batch):
        raise Http404(missing)
    if perm and perm not in membership.perms:
        raise PermissionDenied(_("You do not have permission to do that in this project."))
    return membership


def _known_ids(*ids) -> bool:
    # An id past the database's integers (30 digits from a URL) raises OverflowError in some lookups.
    return all(parse_id(pk) is not None for pk in ids)


def get_batch_for(user, project_pk, pk, perm: str | None = None) -> tuple[Batch, Membership]:
    if not _known_ids(project_pk, pk):
        raise Http404(_("No such batch."))
    try:
        batch = Batch.objects.select_related("project", "assignee").get(pk=pk, project_id=project_pk)
    except (Batch.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such batch.")) from None
    return batch, _authorise(user, batch, perm)


def get_image_for(user, pk, perm: str | None = None) -> tuple[Image, Membership]:
    if not _known_ids(pk):
        raise Http404(_("No such image."))
    try:
        image = Image.objects.select_related("batch", "project").get(pk=pk)
    except (Image.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such image.")) from None
    image.batch.project = image.project
    return image, _authorise(user, image.batch, perm, _("No such image."))


def get_upload_session_for(user, project_pk, pk, perm: str | None = MANAGE) -> tuple[UploadSession, Membership]:
    """An upload session of the project (uploads are the managers' business: others get 403, outsiders 404)."""
    if not _known_ids(project_pk, pk):
        raise Http404(_("No such upload."))
    try:
        session = UploadSession.objects.select_related("project", "batch").get(pk=pk, project_id=project_pk)
    except (UploadSession.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such upload.")) from None
    return session, _member(user, session.project, _("No such upload."), perm)
