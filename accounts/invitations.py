"""Invitations: a manager invites someone by username or e-mail address, in some roles; they accept or decline.

Nobody joins a project without knowing: the invitee receives an e-mail (and, with an account, a
notification) whose link shows the invitation. The answer to the manager never tells whether an
account exists. Only a hash of the link's token is stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .emails import absolute, language_of, send_later
from .membership import MembershipError, _clean_roles, _lock, add_member, find_account
from .models import Invitation, Notification, Project
from .notifications import notify
from .roles import roles_of

ROLE_WORDS = {
    "manager": gettext_lazy("manager"),
    "reviewer": gettext_lazy("reviewer"),
    "annotator": gettext_lazy("annotator"),
}


def roles_in_words(roles: Iterable[str]) -> str:
    """The roles as a person reads them, in the active language: "reviewer and annotator"."""
    words = [str(ROLE_WORDS[role]) for role in ROLE_WORDS if role in set(roles)]
    if len(words) <= 1:
        return "".join(words)
    return _("%(some)s and %(last)s") % {"some": _(", ").join(words[:-1]), "last": words[-1]}


class InvitationError(ValueError):
    """An answer to an invitation that cannot be given; the message says why to a person."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _address(who: str) -> str:
    try:
        validate_email(who)
    except ValidationError:
        return ""
    return who


@transaction.atomic
def invite(*, project: Project, inviter, who: str, roles: Iterable[str]) -> Invitation:
    """Invite `who` (a username or an address) to the project; the link goes out by e-mail once this commits.

    An existing account (found as the Members form finds it) gets the invitation at its address and as
    a notification; an unknown address gets it at that address; an unknown username gets nothing, and
    the manager's answer is the same in every case. A pending invitation of the same person is replaced.
    """
    roles = _clean_roles(roles)
    who = who.strip()
    _lock(project)
    user = find_account(who)
    if user is not None and not user.is_active:
        user = None
    email = user.email if user is not None else _address(who)
    pending = Invitation.objects.filter(project=project, status=Invitation.Status.PENDING)
    pending.filter(invitee__iexact=who).update(status=Invitation.Status.REVOKED, responded_at=timezone.now())
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        project=project,
        invitee=who,
        email=email,
        user=user,
        roles=roles,
        token_hash=token_hash(token),
        invited_by=inviter,
        expires_at=timezone.now() + dt.timedelta(days=settings.INVITATION_DAYS),
    )
    path = reverse("invitation", args=[token])
    if email:
        language = language_of(user) if user is not None else settings.LANGUAGE_CODE
        with translation.override(language):
            words = roles_in_words(roles)
        send_later(
            to=email,
            template="invitation",
            context={
                "inviter": inviter.get_full_name() or inviter.username,
                "project": project.name,
                "roles": words,
                "url": absolute(path),
                "days": settings.INVITATION_DAYS,
                "has_account": user is not None,
            },
            language=language,
        )
    if user is not None:
        notify(
            recipient=user,
            kind=Notification.Kind.INVITED,
            project=project,
            actor=inviter,
            data={"path": path, "invitation": invitation.pk},
        )
    return invitation


def find(token: str) -> Invitation | None:
    if not token or len(token) > 100:
        return None
    return (
        Invitation.objects.select_related("project", "invited_by", "user").filter(token_hash=token_hash(token)).first()
    )


def is_for(invitation: Invitation, user) -> bool:
    """The invitation names this signed-in person (by account, or by the address it was sent to)."""
    if invitation.user_id is not None:
        return invitation.user_id == user.pk
    return bool(invitation.email) and invitation.email.lower() == (user.email or "").lower()


def _open(invitation: Invitation) -> Invitation:
    """The invitation, locked and still open to an answer; InvitationError otherwise."""
    fresh = Invitation.objects.select_for_update().select_related("project").get(pk=invitation.pk)
    if fresh.status != Invitation.Status.PENDING:
        raise InvitationError(str(fresh.get_status_display()))
    if fresh.expired:
        raise InvitationError("expired")
    return fresh


@transaction.atomic
def accept(*, invitation: Invitation, user) -> tuple[list[str], bool]:
    """Join the project in the invitation's roles; (roles newly granted, whether already a member)."""
    fresh = _open(invitation)
    if not is_for(fresh, user):
        raise InvitationError("not yours")
    try:
        added, already = add_member(project=fresh.project, user=user, roles=fresh.roles)
    except MembershipError as error:
        raise InvitationError(str(error)) from None
    Invitation.objects.filter(pk=fresh.pk).update(
        status=Invitation.Status.ACCEPTED, responded_at=timezone.now(), user=user
    )
    _read_its_notification(fresh, user)
    return added, already


@transaction.atomic
def decline(*, invitation: Invitation, user=None) -> None:
    fresh = _open(invitation)
    if user is not None and user.is_authenticated and not is_for(fresh, user):
        raise InvitationError("not yours")
    Invitation.objects.filter(pk=fresh.pk).update(status=Invitation.Status.DECLINED, responded_at=timezone.now())
    if user is not None and user.is_authenticated:
        _read_its_notification(fresh, user)


@transaction.atomic
def revoke(*, invitation: Invitation) -> bool:
    return bool(
        Invitation.objects.filter(pk=invitation.pk, status=Invitation.Status.PENDING).update(
            status=Invitation.Status.REVOKED, responded_at=timezone.now()
        )
    )


def _read_its_notification(invitation: Invitation, user) -> None:
    Notification.objects.filter(
        recipient=user, kind=Notification.Kind.INVITED, data__invitation=invitation.pk, read_at__isnull=True
    ).update(read_at=timezone.now())


def pending_for(project: Project):
    return Invitation.objects.filter(project=project, status=Invitation.Status.PENDING).select_related("invited_by")


def already_member(invitation: Invitation, user) -> bool:
    return bool(roles_of(invitation.project, user))
