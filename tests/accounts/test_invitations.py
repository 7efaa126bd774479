"""Invitations: a manager invites by username or address; the invitee accepts or declines; revoke, expiry."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Notification
from accounts.roles import grant_role, roles_of
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def invite(client, manager, project, django_capture_on_commit_callbacks):
    client.force_login(manager)

    def run(who: str, roles=("annotator",)):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("invite", args=[project.pk]), {"who": who, "roles": list(roles)})
        assert response.status_code == 302
        link = re.search(r"http://[^\s]+/invitations/[^\s/]+/", mail.outbox[-1].body).group(0) if mail.outbox else ""
        return link.split("8000", 1)[-1]

    return run


def signed_in(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def test_inviting_an_account_e_mails_it_and_notifies_it_but_adds_nobody(invite, project, manager):
    bob = make_user("bob")
    link = invite("bob", roles=["annotator", "reviewer"])

    assert roles_of(project, bob) == []
    [message] = mail.outbox
    assert message.to == ["bob@example.com"] and "Street scenes" in message.subject
    [note] = Notification.objects.filter(recipient=bob)
    assert note.kind == Notification.Kind.INVITED and note.data["path"] == link
    page = signed_in(manager).get(reverse("members", args=[project.pk]))
    assert b"Pending invitation" in page.content and b"bob" in page.content


def test_the_answer_is_the_same_for_an_account_an_address_and_nothing(client, invite, project):
    make_user("bob")
    said = []
    for who in ("bob", "new@example.com", "no-such-person"):
        invite(who)
        said.append([str(m) for m in client.get(reverse("members", args=[project.pk])).context["messages"]])
    assert [s[0].replace(w, "") for s, w in zip(said, ("bob", "new@example.com", "no-such-person"), strict=True)] == [
        said[0][0].replace("bob", "")
    ] * 3
    assert len(mail.outbox) == 2  # nothing can reach an unknown username


def test_accepting_joins_with_the_roles_and_reads_the_notification(invite, project):
    bob = make_user("bob")
    link = invite("bob", roles=["reviewer"])
    browser = signed_in(bob)
    assert b"Accept and join" in browser.get(link).content

    response = browser.post(link, {"action": "accept"})

    assert response.url == reverse("board", args=[project.pk])
    assert roles_of(project, bob) == ["reviewer"]
    assert Invitation.objects.get().status == Invitation.Status.ACCEPTED
    assert Notification.objects.get(recipient=bob).read_at is not None
    assert b"accepted already" in browser.get(link).content


def test_declining_adds_nobody(invite, project):
    bob = make_user("bob")
    link = invite("bob")
    browser = signed_in(bob)

    browser.post(link, {"action": "decline"})

    assert roles_of(project, bob) == []
    assert Invitation.objects.get().status == Invitation.Status.DECLINED
    browser.post(link, {"action": "accept"})
    assert roles_of(project, bob) == []


def test_an_expired_invitation_says_so_and_cannot_be_accepted(invite, project):
    bob = make_user("bob")
    link = invite("bob")
    Invitation.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    browser = signed_in(bob)

    assert b"has expired" in browser.get(link).content
    browser.post(link, {"action": "accept"})
    assert roles_of(project, bob) == []


def test_a_revoked_invitation_says_so(client, invite, project):
    bob = make_user("bob")
    link = invite("bob")
    invitation = Invitation.objects.get()
    client.post(reverse("invitation_revoke", args=[project.pk, invitation.pk]))
    browser = signed_in(bob)

    assert b"withdrawn" in browser.get(link).content
    browser.post(link, {"action": "accept"})
    assert roles_of(project, bob) == []
    assert b"Pending invitation" not in client.get(reverse("members", args=[project.pk])).content


def test_someone_already_a_member_gains_the_new_roles(invite, project, annotator):
    link = invite("annotator", roles=["reviewer"])
    browser = signed_in(annotator)
    assert b"member already" in browser.get(link).content

    browser.post(link, {"action": "accept"})

    assert roles_of(project, annotator) == ["reviewer", "annotator"]


def test_the_invitation_is_for_its_invitee_only(invite, project, outsider):
    make_user("bob")
    link = invite("bob")
    response = signed_in(outsider).post(link, {"action": "accept"})

    assert response.status_code == 403 and roles_of(project, outsider) == []


def test_a_new_address_creates_its_account_from_the_link(invite, project):
    link = invite("carol@example.com")
    visitor = Client()
    assert b"Create account and join" in visitor.get(link).content

    response = visitor.post(
        link,
        {"action": "signup", "username": "carol", "password1": "a-long-fine-secret", "password2": "a-long-fine-secret"},
    )

    carol = get_user_model().objects.get(username="carol")
    assert carol.email == "carol@example.com" and roles_of(project, carol) == ["annotator"]
    assert response.url == reverse("board", args=[project.pk])


def test_without_sign_up_by_invitation_an_operator_makes_the_account(invite, settings):
    settings.INVITATION_SIGNUP = False
    link = invite("carol@example.com")
    page = Client().get(link)

    assert b"Ask an operator" in page.content and b"password1" not in page.content


def test_an_invitee_with_an_account_is_asked_to_sign_in(invite):
    make_user("bob")
    link = invite("bob@example.com")

    assert b"Sign in to answer" in Client().get(link).content


def test_a_made_up_link_is_not_found(client):
    assert client.get(reverse("invitation", args=["made-up"])).status_code == 404


def test_only_managers_invite(project, annotator, outsider, manager):
    url = reverse("invite", args=[project.pk])
    assert signed_in(annotator).post(url, {"who": "x", "roles": ["annotator"]}).status_code == 403
    assert signed_in(outsider).post(url, {"who": "x", "roles": ["annotator"]}).status_code == 404
    assert not Invitation.objects.exists()


def test_adding_directly_needs_the_operators_leave(project, manager, settings):
    bob = make_user("bob")
    browser = signed_in(manager)
    data = {"who": "bob", "roles": ["annotator"]}

    assert browser.post(reverse("members", args=[project.pk]), data).status_code == 403
    assert roles_of(project, bob) == []
    settings.MEMBERS_DIRECT_ADD = True
    browser.post(reverse("members", args=[project.pk]), data)
    assert roles_of(project, bob) == ["annotator"]


def test_the_members_page_offers_adding_directly_only_when_allowed(project, manager, settings):
    browser = signed_in(manager)
    assert b"Add directly" not in browser.get(reverse("members", args=[project.pk])).content
    settings.MEMBERS_DIRECT_ADD = True
    assert b"Add directly" in browser.get(reverse("members", args=[project.pk])).content
    grant_role(project, make_user("x"), "annotator")


def test_a_pending_invitation_shows_its_roles_and_expiry_in_the_readers_language(invite, project, manager):
    """The list names the roles as the form does (not the stored keys) and dates in the reader's calendar."""
    invite("new@example.com", roles=["reviewer", "annotator"])
    manager.language = "fa"
    manager.save(update_fields=["language"])

    page = signed_in(manager).get(reverse("members", args=[project.pk])).content.decode()

    listed = page.split('class="list invitation-list"', 1)[1].split("</table>", 1)[0]
    assert "بازبین" in listed and "برچسب‌گذار" in listed
    assert "Annotator" not in listed and "Reviewer" not in listed
    expires = re.search(r'<td class="expires"><time[^>]*>([^<]+)</time>', listed).group(1)
    assert not re.search(r"[0-9]", expires), expires  # Jalali, in Persian digits


def test_inviting_nobody_says_what_is_missing(client, manager, project):
    client.force_login(manager)
    client.post(reverse("invite", args=[project.pk]), {"who": "", "roles": ["annotator"]})

    said = [str(m) for m in client.get(reverse("members", args=[project.pk])).context["messages"]]
    assert said == ["Type the username or e-mail address of the person to invite."]


def test_the_invitee_is_isolated_in_a_persian_message(client, manager, project):
    manager.language = "fa"
    manager.save(update_fields=["language"])
    client.force_login(manager)
    client.post(reverse("invite", args=[project.pk]), {"who": "new@example.com", "roles": ["annotator"]})
    invitation = Invitation.objects.get(project=project)
    client.post(reverse("invitation_revoke", args=[project.pk, invitation.pk]))

    said = [str(m) for m in client.get(reverse("members", args=[project.pk])).context["messages"]]
    assert len(said) == 2 and all("\u2068new@example.com\u2069" in text for text in said), said
