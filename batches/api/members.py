"""Members: every member reads the list; managers add people, change roles and remove them (the Members page's rules)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from accounts.access import MANAGE
from accounts.membership import add_member_by_name, remove_from_project, set_roles
from accounts.roles import ROLE_PERMISSIONS, members_with_roles, roles_of

from ..params import clean_text, parse_id
from .common import membership
from .errors import ApiError
from .types import Text

router = Router(tags=["members"])


class MemberIn(Schema):
    who: Text
    roles: list[Text]


class RolesIn(Schema):
    roles: list[Text]


def _roles(roles: list[str]) -> list[str]:
    unknown = [role for role in roles if role not in ROLE_PERMISSIONS]
    if unknown or not roles:
        raise ApiError(400, "invalid", _("Choose one or more roles of: manager, reviewer, annotator."))
    return roles


def _member(project, user_pk):
    pk = parse_id(user_pk)
    user = get_user_model().objects.filter(pk=pk).first() if pk is not None else None
    if user is None or not roles_of(project, user):
        raise Http404(_("That user is not a member of this project."))
    return user


@router.get("/{int:project_pk}/members", summary="List members and their roles")
def list_members(request, project_pk: int):
    project = membership(request, project_pk).project
    return {
        "items": [
            {"id": user.pk, "username": user.username, "roles": roles} for user, roles in members_with_roles(project)
        ]
    }


@router.post("/{int:project_pk}/members", response={202: dict}, summary="Add a member (managers)")
def add_member(request, project_pk: int, payload: MemberIn):
    """Answers the same whether or not the account exists (as the Members page: nothing about accounts leaks).
    Only where operators allow direct adds (MEMBERS_DIRECT_ADD), as on the page: else people join by invitation."""
    project = membership(request, project_pk, MANAGE).project
    if not settings.MEMBERS_DIRECT_ADD:
        raise ApiError(403, "forbidden", _("Members join by invitation here: invite them instead."))
    add_member_by_name(project=project, who=clean_text(payload.who, max_length=254), roles=_roles(payload.roles))
    return Status(202, {"message": _("If that account exists and may join, it is a member now.")})


@router.put("/{int:project_pk}/members/{int:user_pk}", summary="Set a member's roles (managers)")
def change_roles(request, project_pk: int, user_pk: int, payload: RolesIn):
    project = membership(request, project_pk, MANAGE).project
    user = _member(project, user_pk)
    set_roles(project=project, user=user, roles=_roles(payload.roles))
    return {"id": user.pk, "username": user.username, "roles": roles_of(project, user)}


@router.delete("/{int:project_pk}/members/{int:user_pk}", response={204: None}, summary="Remove a member (managers)")
def remove(request, project_pk: int, user_pk: int):
    project = membership(request, project_pk, MANAGE).project
    remove_from_project(project=project, user=_member(project, user_pk))
    return Status(204, None)
