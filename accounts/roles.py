"""Project roles: named bundles of django-guardian object permissions on a Project.

Each role maps to one permission, so holding a role and holding its permission are the same fact,
stored once. Any role also grants view_project; losing the last role ends the membership.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from guardian.shortcuts import assign_perm, get_perms, get_users_with_perms, remove_perm

from .calendars import isolate
from .models import ProjectUserObjectPermission

ROLE_PERMISSIONS = {
    "manager": "manage_project",
    "reviewer": "review_project",
    "annotator": "annotate_project",
}
VIEW = "view_project"


class RoleError(ValueError):
    pass


def _check(role: str) -> str:
    if role not in ROLE_PERMISSIONS:
        raise RoleError(_("“%(role)s” is not a role; choose manager, reviewer or annotator.") % {"role": role})
    return ROLE_PERMISSIONS[role]


@transaction.atomic
def grant_role(project, user, role: str) -> None:
    perm = _check(role)
    if not user.is_active:
        raise RoleError(_("%(name)s is deactivated and cannot join a project.") % {"name": isolate(user.username)})
    assign_perm(VIEW, user, project)
    assign_perm(perm, user, project)


@transaction.atomic
def revoke_role(project, user, role: str) -> None:
    perm = _check(role)
    remove_perm(perm, user, project)
    if not roles_of(project, user):
        remove_perm(VIEW, user, project)


@transaction.atomic
def remove_member(project, user) -> None:
    for perm in [*ROLE_PERMISSIONS.values(), VIEW]:
        remove_perm(perm, user, project)


def roles_in(perms) -> list[str]:
    """The roles a collection of permission codenames holds, in the rule book's order."""
    return [role for role, perm in ROLE_PERMISSIONS.items() if perm in perms]


def roles_of(project, user) -> list[str]:
    perms = set(get_perms(user, project)) if not user.is_superuser else _direct_perms(project, user)
    return roles_in(perms)


def _direct_perms(project, user) -> set[str]:
    return set(
        ProjectUserObjectPermission.objects.filter(content_object=project, user=user).values_list(
            "permission__codename", flat=True
        )
    )


def _roles_by(rows, holder) -> list[tuple[object, list[str]]]:
    """Permission rows (their permission selected with them) grouped by `holder(row)`, each with its roles."""
    held: dict[int, tuple[object, set[str]]] = {}
    for row in rows:
        who = holder(row)
        held.setdefault(who.pk, (who, set()))[1].add(row.permission.codename)
    return [(who, roles_in(perms)) for who, perms in held.values()]


def members_with_roles(project) -> list[tuple[object, list[str]]]:
    """Every member and their roles, in one query whatever the member count.

    (guardian's get_users_with_perms(attach_perms=True) asks once more per user.)
    """
    rows = ProjectUserObjectPermission.objects.filter(content_object=project).select_related("user", "permission")
    return sorted(_roles_by(rows, lambda row: row.user), key=lambda item: item[0].username.lower())


def projects_with_roles(user) -> list[tuple[object, list[str]]]:
    """Every project this person is a member of, with their roles there, in one query (the admin's user page)."""
    rows = ProjectUserObjectPermission.objects.filter(user=user).select_related("content_object", "permission")
    return sorted(_roles_by(rows, lambda row: row.content_object), key=lambda item: item[0].name.lower())


def users_with_role(project, role: str) -> Iterable:
    perm = _check(role)
    return get_users_with_perms(project, only_with_perms_in=[perm], with_superusers=False, with_group_users=False)


# Django writes its four default permissions' names into the database in English ("Can add batch"), and
# a permission named in a model's Meta keeps the English of its lazy text: both are said again here in
# the reader's language, as the admin shows them (a user's and a group's permissions, a project's roles).
DEFAULT_PERMISSION_NAMES = {
    "add": gettext_noop("Can add %(model)s"),
    "change": gettext_noop("Can change %(model)s"),
    "delete": gettext_noop("Can delete %(model)s"),
    "view": gettext_noop("Can view %(model)s"),
}


def _content_type(permission) -> ContentType:
    """The permission's content type: loaded with it (the admin's lists select it), else from Django's cache."""
    if type(permission).content_type.is_cached(permission):
        return permission.content_type
    return ContentType.objects.get_for_id(permission.content_type_id)


def permission_label(permission) -> str:
    """A Permission's name in the current language (its stored name is English)."""
    action, _sep, model_name = permission.codename.partition("_")
    model = _content_type(permission).model_class() if action in DEFAULT_PERMISSION_NAMES else None
    if model is not None and model._meta.model_name == model_name:
        return _(DEFAULT_PERMISSION_NAMES[action]) % {"model": _(str(model._meta.verbose_name))}
    return _(permission.name)


def permission_choice_label(permission) -> str:
    """A permission as Django's admin lists it ("app | model | name"), every part in the current language.

    Some apps name themselves or their models in plain English strings, not marked for translation
    (django-guardian, django-rq, django-axes): those are said again in binaboard/admin_wording.py.
    """
    model = _content_type(permission).model_class()
    if model is None:  # a stale content type of a removed model
        return _(permission.name)
    app, name = str(model._meta.app_config.verbose_name), str(model._meta.verbose_name)
    return f"{_(app)} | {_(name)} | {permission_label(permission)}"
