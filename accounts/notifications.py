"""Notifications: what reaches a person, how they are told (the bell, e-mail at once, a daily digest), and unsubscribing.

Who is told about what is decided where it happens (batches.notifications for moves, exports and
uploads; accounts.invitations for invitations); this module stores a notification, says it in words in
the reader's language, and e-mails it as the person chose. E-mails are always sent by workers.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Min
from django.tasks import task
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .calendars import isolate, localise_digits
from .emails import absolute, deliver, language_of
from .models import Notification, NotificationSetting, User

log = logging.getLogger("accounts.notifications")

Kind = Notification.Kind
Choice = NotificationSetting.Email
# What a person gets by e-mail until they choose: work that reaches them at once, news about it daily.
# An invitation already comes with its own e-mail, so its notification is in the app only by default.
DEFAULT_EMAIL = {
    Kind.ASSIGNED: Choice.IMMEDIATELY,
    Kind.RETURNED: Choice.IMMEDIATELY,
    Kind.REVIEW: Choice.IMMEDIATELY,
    Kind.APPROVED: Choice.DIGEST,
    Kind.TAKEN_AWAY: Choice.IMMEDIATELY,
    Kind.EXPORT_READY: Choice.IMMEDIATELY,
    Kind.UPLOAD_DONE: Choice.DIGEST,
    Kind.INVITED: Choice.OFF,
    Kind.STALE: Choice.DIGEST,
}
UNSUBSCRIBE_SALT = "accounts.notifications.unsubscribe"
ALL_KINDS = "all"
LIST_LENGTH = 50


# --- storing -----------------------------------------------------------------------------------------


def email_choices(user) -> dict[str, str]:
    """The person's e-mail choice for every kind (one query)."""
    chosen = dict(NotificationSetting.objects.filter(user=user).values_list("kind", "email"))
    return {kind: chosen.get(kind, DEFAULT_EMAIL[kind]) for kind in Kind.values}


def set_email_choice(user, kind: str, choice: str) -> None:
    NotificationSetting.objects.update_or_create(user=user, kind=kind, defaults={"email": choice})


def notify(*, recipient, kind: str, project=None, actor=None, data: dict | None = None) -> Notification | None:
    """Store one notification for `recipient` (never for the actor) and e-mail it as they chose."""
    if recipient is None or not recipient.is_active or (actor is not None and recipient.pk == actor.pk):
        return None
    choice = email_choices(recipient)[kind] if recipient.email else Choice.OFF
    email = {
        Choice.IMMEDIATELY: Notification.Email.PENDING,
        Choice.DIGEST: Notification.Email.DIGEST,
    }.get(choice, Notification.Email.NONE)
    notification = Notification.objects.create(
        recipient=recipient, kind=kind, project=project, actor=actor, data=data or {}, email=email
    )
    if email == Notification.Email.PENDING:
        transaction.on_commit(lambda: _enqueue_email(notification.pk))
    return notification


def _enqueue_email(pk: int) -> None:
    try:
        email_notification.enqueue(pk)
    except Exception:  # the queue is down: the digest run sends what is still pending
        log.exception("could not enqueue the e-mail of notification %s", pk)


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def for_list(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user).select_related("project", "actor")[:LIST_LENGTH])


def mark_read(user, pk: int) -> Notification | None:
    notification = Notification.objects.filter(recipient=user, pk=pk).select_related("project").first()
    if notification is not None and notification.read_at is None:
        Notification.objects.filter(pk=pk, read_at__isnull=True).update(read_at=timezone.now())
    return notification


def mark_all_read(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


# --- in words ------------------------------------------------------------------------------------------


@dataclass
class Said:
    """A notification in words, in the current language, and where it leads."""

    title: str
    detail: str
    path: str


def _batches(notification: Notification) -> list[dict]:
    return list(notification.data.get("batches") or [])


def _batch_path(notification: Notification, batches: list[dict]) -> str:
    project_id = notification.project_id
    if project_id is None:
        return reverse("notifications")
    if len(batches) == 1:
        return reverse("batch_detail", args=[project_id, batches[0]["id"]])
    return reverse("board", args=[project_id])


def describe(notification: Notification) -> Said:
    """What the notification says (title, detail) and the path it links to, in the active language."""
    batches = _batches(notification)
    count = len(batches)
    data = notification.data
    values = {
        "actor": isolate(notification.actor.username) if notification.actor else _("someone"),
        "project": isolate(notification.project.name) if notification.project else "",
        "batch": isolate(batches[0]["name"]) if batches else "",
        "count": localise_digits(str(count)),  # the reader's digits; names stay as they were typed
    }
    kind, detail, path = notification.kind, "", _batch_path(notification, batches)
    if kind == Kind.ASSIGNED:
        title = (
            _("%(actor)s assigned you “%(batch)s” in %(project)s")
            if count == 1
            else ngettext(
                "%(actor)s assigned you %(count)s batch in %(project)s",
                "%(actor)s assigned you %(count)s batches in %(project)s",
                count,
            )
        )
    elif kind == Kind.RETURNED:
        title = (
            _("%(actor)s returned “%(batch)s” to you in %(project)s")
            if count == 1
            else ngettext(
                "%(actor)s returned %(count)s batch to you in %(project)s",
                "%(actor)s returned %(count)s batches to you in %(project)s",
                count,
            )
        )
        flagged = int(data.get("flagged") or 0)
        # No flags, nothing said about them ("0 images flagged" reads like a fault).
        if flagged:
            detail = ngettext("%(flagged)s image flagged.", "%(flagged)s images flagged.", flagged) % {
                "flagged": localise_digits(str(flagged))
            }
        if data.get("comment") and detail:
            detail = _("%(flags)s Comment: %(comment)s") % {"flags": detail, "comment": isolate(data["comment"])}
        elif data.get("comment"):
            detail = _("Comment: %(comment)s") % {"comment": isolate(data["comment"])}
    elif kind == Kind.REVIEW:
        title = (
            _("“%(batch)s” waits for your review in %(project)s")
            if count == 1
            else ngettext(
                "%(count)s batch waits for your review in %(project)s",
                "%(count)s batches wait for your review in %(project)s",
                count,
            )
        )
    elif kind == Kind.APPROVED:
        title = (
            _("%(actor)s approved your batch “%(batch)s” in %(project)s")
            if count == 1
            else ngettext(
                "%(actor)s approved %(count)s of your batches in %(project)s",
                "%(actor)s approved %(count)s of your batches in %(project)s",
                count,
            )
        )
    elif kind == Kind.TAKEN_AWAY:
        if data.get("how") == "reset":
            title = (
                _("%(actor)s reset “%(batch)s” in %(project)s: it is no longer yours")
                if count == 1
                else ngettext(
                    "%(actor)s reset %(count)s of your batches in %(project)s: they are no longer yours",
                    "%(actor)s reset %(count)s of your batches in %(project)s: they are no longer yours",
                    count,
                )
            )
        else:
            title = (
                _("%(actor)s gave “%(batch)s” in %(project)s to someone else")
                if count == 1
                else ngettext(
                    "%(actor)s gave %(count)s of your batches in %(project)s to someone else",
                    "%(actor)s gave %(count)s of your batches in %(project)s to someone else",
                    count,
                )
            )
        # The batch may be out of this person's sight now: the link goes to their work, not to it.
        path = reverse("my_work")
    elif kind == Kind.EXPORT_READY:
        title = _("Your export of %(project)s is ready to download")
        path = reverse("export", args=[notification.project_id]) if notification.project_id else path
    elif kind == Kind.UPLOAD_DONE:
        title = _("Your upload “%(name)s” to %(project)s is finished")
        values["name"] = isolate(data.get("name", ""))
        kept, refused = int(data.get("kept") or 0), int(data.get("refused") or 0)
        detail = ngettext("%(kept)s image kept", "%(kept)s images kept", kept) % {"kept": localise_digits(str(kept))}
        if refused:
            detail = ngettext(
                "%(kept)s, %(refused)s file refused: see the report.",
                "%(kept)s, %(refused)s files refused: see the report.",
                refused,
            ) % {"kept": detail, "refused": localise_digits(str(refused))}
        else:
            detail = _("%(kept)s.") % {"kept": detail}
        if notification.project_id and data.get("session"):
            path = reverse("upload_report", args=[notification.project_id, data["session"]])
    elif kind == Kind.INVITED:
        title = _("%(actor)s invited you to %(project)s")
        detail = _("Accept or decline the invitation.")
        path = data.get("path") or reverse("notifications")
    elif kind == Kind.STALE:
        days = int(data.get("days") or 0)
        title = (
            ngettext(
                "“%(batch)s” has been waiting longer than %(days)s day in %(project)s",
                "“%(batch)s” has been waiting longer than %(days)s days in %(project)s",
                days,
            )
            if count == 1
            else ngettext(
                "%(count)s batches have been waiting longer than %(days)s day in %(project)s",
                "%(count)s batches have been waiting longer than %(days)s days in %(project)s",
                days,
            )
        )
        values["days"] = localise_digits(str(days))
        detail = _("Waiting means in Review, or in Annotating with no box saved.")
    else:  # a kind from a newer version of the code, read by an older one
        title = _("Something changed in %(project)s")
    return Said(title=title % values, detail=detail, path=path)


# --- e-mail ------------------------------------------------------------------------------------------------


def unsubscribe_token(user, kind: str) -> str:
    return signing.dumps({"u": user.pk, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[User, str] | None:
    """(the person, the kind or ALL_KINDS) a valid unsubscribe token names, else None."""
    try:
        value = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        pk, kind = int(value["u"]), str(value["k"])
    except (signing.BadSignature, KeyError, TypeError, ValueError, OverflowError):
        return None
    if kind != ALL_KINDS and kind not in Kind.values:
        return None
    user = User.objects.filter(pk=pk, is_active=True).first()
    return (user, kind) if user is not None else None


def unsubscribe(user, kind: str) -> None:
    for each in Kind.values if kind == ALL_KINDS else [kind]:
        set_email_choice(user, each, Choice.OFF)
    # What was waiting to go out stays in the app only.
    waiting = Notification.objects.filter(
        recipient=user, email__in=[Notification.Email.PENDING, Notification.Email.DIGEST]
    )
    if kind != ALL_KINDS:
        waiting = waiting.filter(kind=kind)
    waiting.update(email=Notification.Email.NONE)


def _unsubscribe_headers(url: str) -> dict:
    # RFC 8058: mail clients offer "unsubscribe" and POST to the URL in one click.
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def _item(notification: Notification) -> dict:
    said = describe(notification)
    return {"title": said.title, "detail": said.detail, "url": absolute(said.path)}


@task
def email_notification(pk: int) -> bool:
    """E-mail one notification now (its recipient chose "at once"); True when it went out."""
    notification = Notification.objects.select_related("recipient", "project", "actor").filter(pk=pk).first()
    if notification is None or notification.email != Notification.Email.PENDING:
        return False
    # Claimed first: of two workers handed the same notification, one sends it.
    if not Notification.objects.filter(pk=pk, email=Notification.Email.PENDING).update(
        email=Notification.Email.SENT, emailed_at=timezone.now()
    ):
        return False
    recipient = notification.recipient
    language = language_of(recipient)
    with translation.override(language):
        url = absolute(reverse("unsubscribe", args=[unsubscribe_token(recipient, notification.kind)]))
        context = {
            "username": recipient.username,
            "item": _item(notification),
            "kind": str(Kind(notification.kind).label),
            "unsubscribe_url": url,
            "settings_url": absolute(reverse("notification_settings")),
        }
    deliver(
        to=recipient.email,
        template="notification",
        context=context,
        language=language,
        headers=_unsubscribe_headers(url),
    )
    return True


def send_due_digests(now: dt.datetime | None = None, *, everyone: bool = False) -> int:
    """One digest e-mail per person whose oldest waiting notification is DIGEST_HOURS old (all of them with
    `everyone`); each digest holds every notification waiting for it, grouped by project. The number sent."""
    now = now or timezone.now()
    waiting = Notification.objects.filter(email=Notification.Email.DIGEST)
    due = waiting.values("recipient").annotate(oldest=Min("created_at"))
    if not everyone:
        due = due.filter(oldest__lte=now - dt.timedelta(hours=settings.DIGEST_HOURS))
    sent = 0
    for recipient in User.objects.filter(pk__in=[row["recipient"] for row in due], is_active=True):
        if send_digest(recipient):
            sent += 1
    return sent


def send_digest(recipient) -> bool:
    rows = list(
        Notification.objects.filter(recipient=recipient, email=Notification.Email.DIGEST)
        .select_related("project", "actor")
        .order_by("project__name", "created_at", "id")
    )
    claimed = Notification.objects.filter(pk__in=[n.pk for n in rows], email=Notification.Email.DIGEST).update(
        email=Notification.Email.SENT, emailed_at=timezone.now()
    )
    if not claimed or not recipient.email:
        return False
    language = language_of(recipient)
    with translation.override(language):
        groups: dict[str, list[dict]] = defaultdict(list)
        for notification in rows:
            groups[notification.project.name if notification.project else ""].append(_item(notification))
        url = absolute(reverse("unsubscribe", args=[unsubscribe_token(recipient, ALL_KINDS)]))
        context = {
            "username": recipient.username,
            "groups": [{"project": name, "items": items} for name, items in groups.items()],
            "count": len(rows),
            "unsubscribe_url": url,
            "settings_url": absolute(reverse("notification_settings")),
        }
    deliver(
        to=recipient.email, template="digest", context=context, language=language, headers=_unsubscribe_headers(url)
    )
    return True


@task
def send_digests() -> int:
    """The workers' periodic run (settings.PERIODIC_TASKS): digests that are due, and any lost immediate e-mail."""
    stuck = Notification.objects.filter(
        email=Notification.Email.PENDING, created_at__lt=timezone.now() - dt.timedelta(minutes=10)
    ).values_list("pk", flat=True)
    for pk in list(stuck[:500]):
        email_notification.call(pk)
    return send_due_digests()


def kinds_with_choices(user) -> Iterable[tuple[str, str, str]]:
    """(kind, label, chosen) for the settings page."""
    chosen = email_choices(user)
    return [(kind, label, chosen[kind]) for kind, label in Kind.choices]
