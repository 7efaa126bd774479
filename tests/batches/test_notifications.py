"""Notifications about batches: who is told of each move (once, never the actor, only who may still see it),
coalescing of bulk moves, exports and uploads, e-mail at once or in a digest, the bell and its poll."""

from __future__ import annotations

import datetime as dt
import inspect
import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification, NotificationSetting
from accounts.notifications import describe, send_due_digests, set_email_choice, unsubscribe_token
from accounts.roles import grant_role, remove_member
from batches import bulk, workflow
from batches.access import get_project_for
from batches.export.jobs import make_export
from batches.models import ExportJob, Image, UploadSession
from batches.notifications import upload_done
from batches.views import board_live
from batches.views.board import board_token
from tests.batches.export_helpers import build_dataset
from tests.factories import make_batch, make_project

pytestmark = pytest.mark.django_db
Kind = Notification.Kind


@pytest.fixture
def told(django_capture_on_commit_callbacks):
    """Run a move and what its commit sets off (the fan-out task, the e-mails), as a worker would."""

    def run(move, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return move(*args, **kwargs)

    return run


def of(user, kind=None):
    found = Notification.objects.filter(recipient=user)
    return list(found.filter(kind=kind) if kind else found)


def assigned(told, manager, batch, annotator):
    return told(workflow.assign, actor=manager, batch=batch, assignees=[annotator]).assigned[0]


def in_review(told, project, manager, annotator):
    batch = assigned(told, manager, make_batch(project, manager, images=3), annotator)
    return told(workflow.submit, actor=annotator, batch=batch)


# --- each kind, once, for the right person ---------------------------------------------------------------


def test_assigning_tells_the_assignee_once(told, project, manager, annotator, reviewer):
    batch = assigned(told, manager, make_batch(project, manager, name="Street 1"), annotator)

    [note] = of(annotator)
    assert note.kind == Kind.ASSIGNED and note.actor == manager and note.project == project
    assert note.data["batches"] == [{"id": batch.pk, "name": batch.name}]
    said = describe(note)
    assert said.title == f"manager assigned you “{batch.name}” in Street scenes"
    assert said.path == reverse("batch_detail", args=[project.pk, batch.pk])
    assert of(manager) == [] and of(reviewer) == []


def test_splitting_among_annotators_tells_each_of_their_part(told, project, manager, annotator, annotator2):
    result = told(
        workflow.assign, actor=manager, batch=make_batch(project, manager, images=4), assignees=[annotator, annotator2]
    )

    assert [n.data["batches"][0]["id"] for n in of(annotator)] == [result.assigned[0].pk]
    assert [n.data["batches"][0]["id"] for n in of(annotator2)] == [result.assigned[1].pk]


def test_the_actor_is_never_told(told, project, manager):
    grant_role(project, manager, "annotator")
    assigned(told, manager, make_batch(project, manager), manager)

    assert of(manager) == []


def test_someone_who_can_no_longer_see_the_batch_is_not_told(
    project, manager, annotator, django_capture_on_commit_callbacks
):
    batch = make_batch(project, manager)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        workflow.assign(actor=manager, batch=batch, assignees=[annotator])
    remove_member(project, annotator)  # between the move and the worker's fan-out
    for callback in callbacks:
        callback()

    assert of(annotator) == []


def test_a_batch_out_of_an_annotators_sight_by_the_time_of_the_fan_out_is_not_announced(
    manager, annotator, annotator2, django_capture_on_commit_callbacks
):
    project = make_project("Private", annotator_visibility="assigned")
    for user, role in ((manager, "manager"), (annotator, "annotator"), (annotator2, "annotator")):
        grant_role(project, user, role)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        batch = workflow.assign(actor=manager, batch=make_batch(project, manager), assignees=[annotator]).assigned[0]
        workflow.reassign(actor=manager, batch=batch, assignee=annotator2)
    for callback in callbacks:  # the workers run after both moves
        callback()

    assert of(annotator, Kind.ASSIGNED) == []  # annotators see only their own batches here
    assert len(of(annotator, Kind.TAKEN_AWAY)) == 1  # but hear that it went
    assert len(of(annotator2, Kind.ASSIGNED)) == 1


def test_submitting_tells_the_reviewers_but_not_the_annotator(told, project, manager, annotator, reviewer):
    batch = in_review(told, project, manager, annotator)

    [note] = of(reviewer)
    assert note.kind == Kind.REVIEW and note.actor == annotator
    assert describe(note).title == f"“{batch.name}” waits for your review in Street scenes"
    assert of(annotator, Kind.REVIEW) == []
    assert of(manager) == []  # managers are not reviewers here


def test_a_reviewer_who_annotated_the_batch_is_not_asked_to_review_it(told, project, manager, annotator):
    grant_role(project, annotator, "reviewer")
    in_review(told, project, manager, annotator)

    assert of(annotator, Kind.REVIEW) == []


def test_rejecting_returns_the_batch_with_the_comment_and_the_number_flagged(
    told, project, manager, annotator, reviewer
):
    batch = in_review(told, project, manager, annotator)
    Image.objects.filter(pk__in=list(Image.objects.filter(batch=batch).values_list("pk", flat=True)[:2])).update(
        review_flag=True
    )
    told(workflow.reject, actor=reviewer, batch=batch, comment="Two buses are missing")

    [note] = of(annotator, Kind.RETURNED)
    assert note.data["comment"] == "Two buses are missing" and note.data["flagged"] == 2
    said = describe(note)
    assert said.title == f"reviewer returned “{batch.name}” to you in Street scenes"
    assert said.detail == "2 images flagged. Comment: Two buses are missing"
    assert of(reviewer, Kind.RETURNED) == []


def test_approving_tells_the_annotator(told, project, manager, annotator, reviewer):
    batch = in_review(told, project, manager, annotator)
    told(workflow.approve, actor=reviewer, batch=batch)

    [note] = of(annotator, Kind.APPROVED)
    assert note.actor == reviewer
    assert describe(note).title == f"reviewer approved your batch “{batch.name}” in Street scenes"


def test_a_reset_tells_the_annotator_the_batch_is_no_longer_theirs(told, project, manager, annotator):
    batch = assigned(told, manager, make_batch(project, manager), annotator)
    told(workflow.delete_batch, actor=manager, batch=batch)

    [note] = of(annotator, Kind.TAKEN_AWAY)
    assert note.data["how"] == "reset"
    assert describe(note).path == reverse("my_work")


def test_reassigning_tells_both_annotators(told, project, manager, annotator, annotator2):
    batch = assigned(told, manager, make_batch(project, manager), annotator)
    told(workflow.reassign, actor=manager, batch=batch, assignee=annotator2)

    assert [n.data["how"] for n in of(annotator, Kind.TAKEN_AWAY)] == ["reassigned"]
    assert len(of(annotator2, Kind.ASSIGNED)) == 1


def test_reopening_returns_the_batch_to_its_new_annotator(told, project, manager, annotator, annotator2, reviewer):
    batch = in_review(told, project, manager, annotator)
    batch = told(workflow.approve, actor=reviewer, batch=batch)
    told(workflow.reopen, actor=manager, batch=batch, assignee=annotator2, comment="Fix the kerb")

    assert of(annotator2, Kind.RETURNED)[0].data["comment"] == "Fix the kerb"
    assert len(of(annotator, Kind.TAKEN_AWAY)) == 1


def test_a_bulk_assignment_of_ten_batches_makes_one_notification(told, project, manager, annotator):
    batches = [make_batch(project, manager, images=1) for _ in range(10)]
    membership = get_project_for(manager, project.pk)
    selection = bulk.read_selection(membership, [bulk.Pick(b.pk, b.version, b.status) for b in batches])

    report = told(bulk.apply_bulk, manager, membership, "assign", selection, assignees=[annotator])

    assert len(report.done) == 10
    [note] = of(annotator)
    assert len(note.data["batches"]) == 10
    assert describe(note).title == "manager assigned you 10 batches in Street scenes"
    assert describe(note).path == reverse("board", args=[project.pk])


def test_an_export_made_by_a_worker_tells_whoever_asked(project, manager, annotator, reviewer, client):
    dataset = build_dataset(project, manager=manager, annotator=annotator, reviewer=reviewer)
    client.force_login(manager)
    client.post(
        reverse("export", args=[project.pk]),
        {"format": "coco", "batches": [b.pk for b in dataset.batches], "include_images": "on"},
    )
    Notification.objects.all().delete()
    make_export(ExportJob.objects.get().pk)

    [note] = of(manager)
    assert note.kind == Kind.EXPORT_READY
    assert describe(note).path == reverse("export", args=[project.pk])


def test_a_finished_upload_tells_the_uploader_with_the_files_refused(project, manager):
    batch = make_batch(project, manager, images=3)
    session = UploadSession.objects.create(project=project, created_by=manager, name="Tuesday", batch=batch, failed=2)

    upload_done(session)

    [note] = of(manager)
    said = describe(note)
    assert said.title == "Your upload “Tuesday” to Street scenes is finished"
    assert said.detail == "3 images kept, 2 files refused: see the report."


# --- e-mail ----------------------------------------------------------------------------------------------


def test_an_immediate_notification_is_e_mailed_in_text_and_html_with_an_unsubscribe_link(
    told, project, manager, annotator
):
    assigned(told, manager, make_batch(project, manager, name="Street 9"), annotator)

    [message] = mail.outbox
    assert message.to == ["annotator@example.com"]
    assert message.subject.startswith("manager assigned you “Street 9")
    assert "http://testserver" not in message.body and "/unsubscribe/" in message.body
    assert message.alternatives[0].mimetype == "text/html"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert of(annotator)[0].email == Notification.Email.SENT


def test_e_mails_are_written_in_the_recipients_language(told, project, manager, annotator):
    annotator.language = "fa"
    annotator.save()
    assigned(told, manager, make_batch(project, manager, name="Street 9"), annotator)

    [message] = mail.outbox
    assert "manager" in message.subject and "assigned you" not in message.subject


def test_off_means_in_the_app_only(told, project, manager, annotator):
    set_email_choice(annotator, Kind.ASSIGNED, NotificationSetting.Email.OFF)
    assigned(told, manager, make_batch(project, manager), annotator)

    assert len(of(annotator)) == 1 and mail.outbox == []


def test_the_digest_gathers_what_waited_grouped_by_project_once_it_is_due(told, project, manager, annotator, settings):
    other = make_project("Harbour")
    grant_role(other, manager, "manager")
    grant_role(other, annotator, "annotator")
    set_email_choice(annotator, Kind.ASSIGNED, NotificationSetting.Email.DIGEST)
    assigned(told, manager, make_batch(project, manager, name="Street 1"), annotator)
    assigned(told, manager, make_batch(other, manager, name="Quay 1"), annotator)
    assert mail.outbox == []

    assert send_due_digests() == 0  # nothing is a day old yet
    later = timezone.now() + dt.timedelta(hours=settings.DIGEST_HOURS, minutes=1)
    assert send_due_digests(later) == 1

    [message] = mail.outbox
    assert message.subject == "BinaBoard: 2 notifications today"
    assert message.body.index("Harbour") < message.body.index("Quay 1") < message.body.index("Street scenes")
    assert message.body.index("Street scenes") < message.body.index("Street 1")
    assert send_due_digests(later) == 0  # sent once


def test_the_digest_command_sends_every_waiting_digest(told, project, manager, annotator):
    set_email_choice(annotator, Kind.ASSIGNED, NotificationSetting.Email.DIGEST)
    assigned(told, manager, make_batch(project, manager), annotator)

    call_command("send_digests", "--all", stdout=io.StringIO())

    assert len(mail.outbox) == 1


def test_unsubscribing_needs_no_sign_in_and_asks_before_it_acts(told, client, project, manager, annotator):
    url = reverse("unsubscribe", args=[unsubscribe_token(annotator, Kind.ASSIGNED)])

    response = client.get(url)
    assert response.status_code == 200 and b"Stop receiving" in response.content
    assert not NotificationSetting.objects.exists()

    response = client.post(url)
    assert response.status_code == 200 and b"no longer receive" in response.content
    assigned(told, manager, make_batch(project, manager), annotator)
    assert len(of(annotator)) == 1 and mail.outbox == []


def test_a_tampered_unsubscribe_link_changes_nothing(client, annotator):
    token = unsubscribe_token(annotator, Kind.ASSIGNED)
    response = client.post(reverse("unsubscribe", args=[token[:-2] + "xx"]))

    assert response.status_code == 404 and not NotificationSetting.objects.exists()


# --- the bell and the list ---------------------------------------------------------------------------------


def test_the_list_links_to_the_batch_and_marks_read(told, client, project, manager, annotator):
    batch = assigned(told, manager, make_batch(project, manager), annotator)
    client.force_login(annotator)

    assert b"data-bell-number>1<" in client.get(reverse("notifications_count")).content
    page = client.get(reverse("notifications"))
    assert batch.name in page.content.decode()
    note = of(annotator)[0]
    response = client.post(reverse("notification_read", args=[note.pk]), {"open": "1"})

    assert response.url == reverse("batch_detail", args=[project.pk, batch.pk])
    assert b"hidden" in client.get(reverse("notifications_count")).content


def test_all_can_be_marked_read(told, client, project, manager, annotator):
    for _ in range(3):
        assigned(told, manager, make_batch(project, manager), annotator)
    client.force_login(annotator)
    client.post(reverse("notifications_read_all"))

    assert Notification.objects.filter(recipient=annotator, read_at__isnull=True).count() == 0


def test_someone_elses_notification_cannot_be_marked(told, client, project, manager, annotator, reviewer):
    assigned(told, manager, make_batch(project, manager), annotator)
    client.force_login(reviewer)

    response = client.post(reverse("notification_read", args=[of(annotator)[0].pk]))

    assert response.status_code == 404 and of(annotator)[0].read_at is None


def test_the_bell_adds_one_query_to_the_board_poll(told, client, project, manager, annotator):
    assigned(told, manager, make_batch(project, manager), annotator)
    client.force_login(annotator)
    url = reverse("board_version", args=[project.pk])
    token = board_token(get_project_for(annotator, project.pk))
    client.get(url, {"token": token})  # warm the session

    with CaptureQueriesContext(connection) as with_bell:
        response = client.get(url, {"token": token})
    with CaptureQueriesContext(connection) as without_bell:
        inspect.unwrap(board_live.board_version)(response.wsgi_request, project_pk=project.pk)

    assert response.status_code == 204 and response["X-Unread-Notifications"] == "1"
    bell = [q["sql"] for q in with_bell.captured_queries if "accounts_notification" in q["sql"]]
    assert len(bell) == 1
    assert not any("accounts_notification" in q["sql"] for q in without_bell.captured_queries)


def test_the_list_costs_the_same_queries_whatever_its_length(
    told, client, project, manager, annotator, django_assert_num_queries
):
    for _ in range(12):
        assigned(told, manager, make_batch(project, manager), annotator)
    client.force_login(annotator)
    # session, user, the notifications with their projects and actors
    with django_assert_num_queries(3):
        response = client.get(reverse("notifications"))
    assert len(response.context["rows"]) == 12


def test_a_rejection_without_flags_says_only_the_comment(told, project, manager, annotator, reviewer):
    batch = in_review(told, project, manager, annotator)
    told(workflow.reject, actor=reviewer, batch=batch, comment="Two buses are missing")

    assert describe(of(annotator, Kind.RETURNED)[0]).detail == "Comment: Two buses are missing"


@pytest.mark.parametrize(
    ("language", "fresh", "older"),
    [("en", "now", "3\xa0hours ago"), ("fa", "اکنون", "۳ ساعت پیش")],
)
def test_the_list_says_how_long_ago_in_the_readers_words_and_digits(
    told, client, project, manager, annotator, language, fresh, older
):
    for _ in range(2):
        assigned(told, manager, make_batch(project, manager), annotator)
    first = of(annotator)[0]
    Notification.objects.filter(pk=first.pk).update(created_at=timezone.now() - dt.timedelta(hours=3, minutes=1))
    annotator.language = language
    annotator.save(update_fields=["language"])
    client.force_login(annotator)

    page = client.get(reverse("notifications")).content.decode()
    times = re.findall(r'<time class="when"[^>]*>([^<]*)</time>', page)

    assert times == [fresh, older]
