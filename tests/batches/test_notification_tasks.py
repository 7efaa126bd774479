"""Notifications through a real queue: the move only enqueues; a worker tells the people and sends the e-mail."""

from __future__ import annotations

import pytest

from accounts.models import Notification
from accounts.roles import grant_role
from batches import workflow
from tests.factories import make_batch, make_project, make_user
from tests.task_helpers import run_worker

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_worker_fans_out_the_move_and_e_mails_the_assignee(task_backend):
    project = make_project("Quay")
    manager, annotator = make_user("manager"), make_user("annotator")
    grant_role(project, manager, "manager")
    grant_role(project, annotator, "annotator")

    workflow.assign(actor=manager, batch=make_batch(project, manager), assignees=[annotator])
    assert not Notification.objects.exists()  # nothing is done in the request but enqueueing

    output = run_worker() + run_worker()

    note = Notification.objects.get()
    assert note.recipient == annotator and note.kind == Notification.Kind.ASSIGNED
    assert note.email == Notification.Email.SENT, output
    assert "manager assigned you" in output  # the console mailer of a DEBUG worker prints the message
