"""A person's membership of a project, and the fetch-and-authorise helper for a project.

A user who is not a member of the project learns nothing about it: a miss is a 404. A member without
the permission an action needs gets PermissionDenied (403). batches/access.py does the same for
batches and images, through `authorise`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from guardian.core import ObjectPermissionChecker

from binaboard.params import parse_id

from .models import Project, ProjectGroupObjectPermission, ProjectUserObjectPermission

VIEW = "view_project"
MANAGE = "manage_project"
REVIEW = "review_project"
ANNOTATE = "annotate_project"


@dataclass(frozen=True)
class Membership:
    """A person's standing in one project: their permissions there, read once and passed on explicitly.

    Returned by the fetch-and-authorise helpers (batches/access.py); views hand it to templates and
    the rules. A workflow move reads its own afresh inside its transaction (`Membership.read`), so a
    role taken away a moment ago counts.
    """

    project: Project
    user: object
    perms: frozenset[str]

    @classmethod
    def read(cls, user, project: Project) -> Membership:
        """The user's permissions on the project (every one for an active superuser): one query at most."""
        if user is None or not user.is_authenticated or not user.is_active:
            return cls(project, user, frozenset())
        checker = ObjectPermissionChecker(user)
        if user.is_superuser:
            return cls(project, user, frozenset(checker.get_perms(project)))
        # guardian reads the person's own and their groups' permissions in two queries: one UNION here
        # (every page of a project, and every move again inside its transaction, reads them).
        own = ProjectUserObjectPermission.objects.filter(content_object=project, user=user)
        groups = ProjectGroupObjectPermission.objects.filter(content_object=project, group__user=user)
        perms = (
            own.values_list("permission__codename", flat=True)
            .order_by()
            .union(groups.values_list("permission__codename", flat=True).order_by())
        )
        return cls(project, user, frozenset(perms))

    @property
    def is_member(self) -> bool:
        return VIEW in self.perms

    @property
    def manages(self) -> bool:
        return MANAGE in self.perms

    @property
    def reviews(self) -> bool:
        return REVIEW in self.perms

    @property
    def annotates(self) -> bool:
        return ANNOTATE in self.perms

    def holds(self, batch) -> bool:
        """The batch is assigned to this person."""
        return self.user is not None and batch.assignee_id is not None and batch.assignee_id == self.user.pk


def authorise(user, project: Project, perm: str | None = None) -> Membership:
    membership = Membership.read(user, project)
    if not membership.is_member:
        raise Http404(_("No such project."))
    if perm and perm not in membership.perms:
        raise PermissionDenied(_("You do not have permission to do that in this project."))
    return membership


def get_project_for(user, pk, perm: str | None = None) -> Membership:
    """The person's membership of the project (`.project` is the project)."""
    if parse_id(pk) is None:  # a 30-digit id from a URL would overflow the database's integers
        raise Http404(_("No such project."))
    try:
        project = Project.objects.get(pk=pk)
    except (Project.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such project.")) from None
    return authorise(user, project, perm)
