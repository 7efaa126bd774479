"""Who belongs to a project and in which roles: the changes the Members page makes, with their rules.

accounts.roles stores the roles; this module adds the rules a person meets: a project always keeps
at least one manager, and a new project starts with its creator as its manager. Each change locks
the project row first, so two managers removing each other at the same moment cannot leave the
project without one (SQLite ignores the lock but serialises writers with BEGIN IMMEDIATE).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from .calendars import isolate
from .models import Project, role_labels
from .roles import ROLE_PERMISSIONS, grant_role, remove_member, revoke_role, roles_of, users_with_role


class MembershipError(ValueError):
    """A membership change that did not happen; the message says why to a person."""


def role_names(roles: Iterable[str]) -> str:
    labels = role_labels(roles)
    if len(labels) <= 1:
        return "".join(labels)
    return _("%(first)s and %(last)s") % {"first": _(", ").join(labels[:-1]), "last": labels[-1]}


def may_create_projects(user) -> bool:
    """Who may start a project: settings.PROJECT_CREATORS, plus active superusers always.

    "staff" (the default): staff users and holders of accounts.create_project; "permission": holders
    only; "everyone": every signed-in user."""
    if not user.is_authenticated or not user.is_active:
        return False
    if settings.PROJECT_CREATORS == "everyone":
        return True
    if settings.PROJECT_CREATORS == "staff" and user.is_staff:
        return True
    return user.has_perm("accounts.create_project")


@transaction.atomic
def create_project(*, creator, name: str, description: str = "", **settings) -> Project:
    """A new project whose only member is its creator, as its manager."""
    project = Project.objects.create(name=name, description=description, created_by=creator, **settings)
    grant_role(project, creator, "manager")
    return project


def _lock(project: Project) -> None:
    Project.objects.select_for_update().filter(pk=project.pk).first()


def _other_managers(project: Project, user) -> bool:
    return users_with_role(project, "manager").exclude(pk=user.pk).exists()


def _clean_roles(roles: Iterable[str]) -> list[str]:
    roles = [role for role in ROLE_PERMISSIONS if role in set(roles)]
    if not roles:
        raise MembershipError(_("Choose at least one role."))
    return roles


@transaction.atomic
def add_member(*, project: Project, user, roles: Iterable[str]) -> tuple[list[str], bool]:
    """Give the user these roles; returns (roles newly granted, whether they were a member already)."""
    roles = _clean_roles(roles)
    _lock(project)
    before = roles_of(project, user)
    added = [role for role in roles if role not in before]
    for role in added:
        grant_role(project, user, role)
    return added, bool(before)


def find_account(who: str):
    """The account whose username (any case) or e-mail address (any case) is exactly `who`, or None.

    One query whatever the answer. A username that matches in its exact case wins over others that
    differ only in case; an address shared by several accounts names none of them."""
    who = who.strip()
    if not who:
        return None
    candidates = list(get_user_model().objects.filter(Q(username__iexact=who) | Q(email__iexact=who))[:20])
    by_name = [user for user in candidates if user.username.lower() == who.lower()]
    exact = [user for user in by_name if user.username == who]
    if exact or len(by_name) == 1:
        return (exact or by_name)[0]
    by_address = [user for user in candidates if user.email.lower() == who.lower()]
    return by_address[0] if not by_name and len(by_address) == 1 else None


@transaction.atomic
def add_member_by_name(*, project: Project, who: str, roles: Iterable[str]) -> None:
    """Give the account named `who` these roles, if it may join; answers nothing either way.

    The Members form must not tell a manager which accounts exist: a missing account, a deactivated
    one and a superuser who is not in the project all end here the same way as an added person, after
    the same lock and lookup. A superuser joins a project only by their own doing, never by a manager's.
    """
    roles = _clean_roles(roles)
    _lock(project)
    user = find_account(who)
    if user is None or not user.is_active:
        return
    if user.is_superuser and not roles_of(project, user):
        return
    add_member(project=project, user=user, roles=roles)


@transaction.atomic
def set_roles(*, project: Project, user, roles: Iterable[str]) -> tuple[list[str], list[str]]:
    """Make the member's roles exactly these; returns (roles granted, roles revoked)."""
    roles = _clean_roles(roles)
    _lock(project)
    before = roles_of(project, user)
    if not before:
        raise MembershipError(_("%(name)s is no longer a member of this project.") % {"name": isolate(user.username)})
    granted = [role for role in roles if role not in before]
    revoked = [role for role in before if role not in roles]
    if "manager" in revoked and not _other_managers(project, user):
        raise MembershipError(
            _("%(name)s is the only manager of this project: make someone else a manager first.")
            % {"name": isolate(user.username)}
        )
    for role in granted:
        grant_role(project, user, role)
    for role in revoked:
        revoke_role(project, user, role)
    return granted, revoked


@transaction.atomic
def remove_from_project(*, project: Project, user) -> list[str]:
    """Remove the member and every role; returns the roles they held."""
    _lock(project)
    before = roles_of(project, user)
    if not before:
        raise MembershipError(_("%(name)s is not a member of this project.") % {"name": isolate(user.username)})
    if "manager" in before and not _other_managers(project, user):
        raise MembershipError(
            _("%(name)s is the only manager of this project: make someone else a manager before removing them.")
            % {"name": isolate(user.username)}
        )
    remove_member(project, user)
    return before
