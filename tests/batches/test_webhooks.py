"""Webhooks: events queued by the moves, signed deliveries, retries with backoff, the SSRF guard, the pages."""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from batches import workflow
from batches.models import Webhook, WebhookDelivery
from batches.webhooks import net, setup, signing
from batches.webhooks.delivery import attempt, backoff, queue_overdue
from batches.webhooks.events import emit
from tests.batches.webhook_helpers import start_receiver
from tests.factories import batch_in, make_batch

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def receiver(settings):
    receiver = start_receiver()
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def hook(project, manager, receiver):
    return setup.create_webhook(
        actor=manager, project=project, url=receiver.url + "/hook?x=1", events=Webhook.Event.values
    )


@pytest.fixture
def held(settings):
    """Tasks wait in a dummy queue: the test runs each attempt itself, at the time it says."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def run_pending():
    for pk in WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING).values_list("pk", flat=True):
        attempt(pk)


# --- events from the moves --------------------------------------------------------------------------------


def test_an_approval_is_posted_signed_once_the_move_commits(
    hook, receiver, project, manager, annotator, reviewer, django_capture_on_commit_callbacks
):
    batch = batch_in("review", project, manager=manager, annotator=annotator, reviewer=reviewer)
    WebhookDelivery.objects.all().delete()
    receiver.received.clear()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.approve(actor=reviewer, batch=batch)
    [sent] = receiver.received
    payload = json.loads(sent.body)
    assert payload["event"] == "batch.approved"
    assert payload["data"]["batch"] == {"id": batch.pk, "name": batch.name, "status": "dataset", "image_count": 10}
    assert payload["data"]["actor"] == "reviewer"
    assert payload["project"] == {"id": project.pk, "name": project.name}
    assert sent.path == "/hook?x=1"
    assert sent.headers["X-BinaBoard-Event"] == "batch.approved"
    assert sent.headers["X-BinaBoard-Event-Id"] == payload["id"]
    assert signing.verify(hook.secret, sent.headers, sent.body)
    assert not signing.verify("whsec_other", sent.headers, sent.body)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.response_code, delivery.attempts) == ("delivered", 200, 1)
    assert delivery.duration_ms is not None


def test_nothing_is_sent_for_a_move_that_rolls_back(hook, project, manager, django_capture_on_commit_callbacks):
    batch = make_batch(project, manager, images=2)
    WebhookDelivery.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(workflow.WorkflowError):
        workflow.assign(actor=manager, batch=batch, assignees=[manager])  # a manager is not an annotator here
    assert not WebhookDelivery.objects.exists()


def test_each_move_is_told_under_its_event(project, manager, annotator, reviewer, django_capture_on_commit_callbacks):
    Webhook.objects.create(project=project, url="https://hooks.example/x", secret="s", events=Webhook.Event.values)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        batch = make_batch(project, manager, images=4)
        batch = workflow.assign(actor=manager, batch=batch, assignees=[annotator]).assigned[0]
        batch = workflow.submit(actor=manager, batch=batch)
        batch = workflow.reject(actor=reviewer, batch=batch, comment="boxes too loose")
        batch = workflow.submit(actor=annotator, batch=batch)
        batch = workflow.approve(actor=reviewer, batch=batch)
        workflow.delete_batch(actor=manager, batch=batch)
    assert callbacks
    events = list(WebhookDelivery.objects.order_by("id").values_list("event", flat=True))
    assert events == [
        "batch.created",
        "batch.assigned",
        "batch.submitted",
        "batch.rejected",
        "batch.submitted",
        "batch.approved",
        "batch.reset",
    ]


def test_a_webhook_gets_only_the_events_it_chose_and_an_inactive_one_none(project, manager):
    Webhook.objects.create(project=project, url="https://a.example/", secret="s", events=["batch.approved"])
    Webhook.objects.create(project=project, url="https://b.example/", secret="s", events=["batch.created"])
    Webhook.objects.create(
        project=project, url="https://c.example/", secret="s", events=["batch.created"], active=False
    )
    emit(project.pk, "batch.created", lambda: {"x": 1})
    assert list(WebhookDelivery.objects.values_list("webhook__url", flat=True)) == ["https://b.example/"]


def test_upload_finished_and_export_ready_are_told(project, manager, django_capture_on_commit_callbacks):
    from batches.webhooks import events

    Webhook.objects.create(project=project, url="https://a.example/", secret="s", events=["upload.finished"])
    batch = make_batch(project, manager, images=3)
    with django_capture_on_commit_callbacks(execute=True):
        events.upload_finished(batch, refused=2)
    body = json.loads(WebhookDelivery.objects.get().body)
    assert body["event"] == "upload.finished"
    assert body["data"] == {
        "batch": {"id": batch.pk, "name": batch.name, "status": "unassigned", "image_count": 3},
        "refused": 2,
    }


# --- retries and backoff ---------------------------------------------------------------------------------


def test_backoff_doubles_and_is_bounded(settings):
    settings.WEBHOOK_BACKOFF_SECONDS = 30
    settings.WEBHOOK_BACKOFF_MAX_SECONDS = 3600
    waits = [backoff(n).total_seconds() for n in range(1, 10)]
    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert backoff(10_000).total_seconds() == 3600


def test_a_failing_receiver_is_tried_again_later_then_delivered(held, hook, receiver, settings):
    settings.WEBHOOK_BACKOFF_SECONDS = 30
    receiver.answers = [(503, {}), (500, {}), (204, {})]
    [delivery] = emit(hook.project_id, "batch.approved", lambda: {"n": 1})
    start = timezone.now()
    assert attempt(delivery.pk, now=start) == "pending"
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.response_code) == (1, 503)
    assert delivery.next_attempt_at == start + dt.timedelta(seconds=30)
    assert "503" in delivery.error_text
    # Too early: a duplicate task for the next attempt changes nothing.
    assert attempt(delivery.pk, now=start + dt.timedelta(seconds=10)) == "not due"
    assert len(receiver.received) == 1
    second = start + dt.timedelta(seconds=30)
    assert attempt(delivery.pk, now=second) == "pending"
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == second + dt.timedelta(seconds=60)
    assert attempt(delivery.pk, now=second + dt.timedelta(seconds=60)) == "delivered"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code, delivery.error) == ("delivered", 3, 204, "")
    # The same event id on every attempt (the receiver's replay guard); a fresh timestamp and signature each time.
    assert len({r.headers["X-BinaBoard-Event-Id"] for r in receiver.received}) == 1
    assert all(signing.verify(hook.secret, r.headers, r.body) for r in receiver.received)
    assert attempt(delivery.pk, now=second + dt.timedelta(hours=1)) == "done already"
    assert len(receiver.received) == 3


def test_attempts_stop_at_the_maximum(held, hook, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    receiver.answers = [(500, {})]
    [delivery] = emit(hook.project_id, "batch.approved", lambda: {})
    now = timezone.now()
    for _ in range(5):
        attempt(delivery.pk, now=now)
        now += dt.timedelta(days=1)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 3, None)
    assert len(receiver.received) == 3


def test_a_client_error_is_not_retried(held, hook, receiver):
    receiver.answers = [(410, {})]
    [delivery] = emit(hook.project_id, "batch.approved", lambda: {})
    assert attempt(delivery.pk) == "failed"


def test_a_timeout_is_retried(held, hook, receiver, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    receiver.delay = 2
    [delivery] = emit(hook.project_id, "batch.approved", lambda: {})
    assert attempt(delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert "1 s" in delivery.error_text


def test_a_closed_port_is_retried(held, hook, receiver):
    receiver.server.shutdown()
    receiver.server.server_close()
    [delivery] = emit(hook.project_id, "batch.approved", lambda: {})
    assert attempt(delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert delivery.error_text.startswith("Could not connect")


def test_a_retry_is_queued_with_a_delay_on_the_database_queue(hook, receiver, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS_BACKEND = "db"
    settings.TASKS = {"default": settings.TASK_BACKENDS["db"]}
    receiver.answers = [(500, {})]
    [delivery] = emit(hook.project_id, "batch.approved", lambda: {})
    DBTaskResult.objects.all().delete()
    attempt(delivery.pk)
    delivery.refresh_from_db()
    [queued] = DBTaskResult.objects.all()
    assert queued.task_path == "batches.webhooks.delivery.deliver_webhook"
    assert queued.run_after == delivery.next_attempt_at


def test_the_sweep_queues_deliveries_whose_task_was_lost(hook, receiver):
    [delivery] = emit(hook.project_id, "batch.approved", lambda: {})
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status="pending", attempts=1, next_attempt_at=timezone.now() - dt.timedelta(minutes=5)
    )
    receiver.received.clear()
    assert queue_overdue() == 1  # the immediate backend runs it at once
    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    assert queue_overdue() == 0


def test_two_copies_of_one_attempt_post_once(held, hook, receiver, monkeypatch):
    [delivery] = emit(hook.project_id, "batch.approved", lambda: {})
    receiver.received.clear()
    real_post = net.post

    def post_and_race(*args, **kwargs):
        # The other copy arrives while this one is posting: the claim (attempt count) stops it.
        assert attempt(delivery.pk) == "not due"
        return real_post(*args, **kwargs)

    monkeypatch.setattr(net, "post", post_and_race)
    attempt(delivery.pk)
    assert len(receiver.received) == 1


# --- the SSRF guard ----------------------------------------------------------------------------------------

FORBIDDEN = [
    "127.0.0.1",
    "127.9.9.9",
    "0.0.0.0",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # shared address space (carrier NAT)
    "192.0.2.1",  # documentation
    "198.18.0.1",  # benchmarking
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "2002:7f00:0001::1",  # 6to4 around 127.0.0.1
    "64:ff9b::a00:1",  # NAT64 around 10.0.0.1
    "2001:db8::1",  # documentation
]
ALLOWED = ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("address", FORBIDDEN)
def test_the_guard_refuses_non_public_addresses(address):
    assert net.forbidden_reason(address)


@pytest.mark.parametrize("address", ALLOWED)
def test_the_guard_lets_public_addresses_through(address):
    assert net.forbidden_reason(address) == ""


def fake_dns(monkeypatch, answers: dict[str, list[str]]):
    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            raise socket.gaierror("unknown")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in answers[host]
        ]

    monkeypatch.setattr(net.socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.7", "169.254.169.254", "::1", "::ffff:192.168.0.1"])
def test_a_host_resolving_to_a_forbidden_address_is_refused(monkeypatch, address):
    fake_dns(monkeypatch, {"inside.example": [address]})
    with pytest.raises(net.Refused, match="may not reach"):
        net.resolve("https://inside.example/hook")


def test_one_forbidden_address_among_several_is_enough_to_refuse(monkeypatch):
    fake_dns(monkeypatch, {"mixed.example": ["93.184.216.34", "10.0.0.1"]})
    with pytest.raises(net.Refused):
        net.resolve("https://mixed.example/")


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/", "file:///etc/passwd", "gopher://x/", "https://user:pw@example.com/", "http:///nohost", "x"],
)
def test_other_schemes_credentials_and_junk_are_refused(url):
    with pytest.raises(net.Refused):
        net.split_url(url)


def test_the_connection_goes_to_the_address_that_was_checked(monkeypatch, receiver, settings):
    """No DNS rebinding: the host is resolved once, and that address is the one connected to."""
    settings.WEBHOOK_ALLOWED_HOSTS = ["hooks.internal"]
    port = receiver.server.server_port
    lookups = []

    def getaddrinfo(host, *args, **kwargs):
        lookups.append(host)
        # The first answer is the one checked; any later lookup would point somewhere else.
        address = "127.0.0.1" if len(lookups) == 1 else "10.66.66.66"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(net.socket, "getaddrinfo", getaddrinfo)
    answer = net.post(f"http://hooks.internal:{port}/in", b"{}", {"Content-Type": "application/json"})
    assert answer.status == 200
    assert lookups == ["hooks.internal"]
    assert receiver.received[0].headers["Host"] == f"hooks.internal:{port}"


def test_a_delivery_to_a_forbidden_address_fails_at_once_without_a_request(
    held, project, manager, monkeypatch, settings
):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    fake_dns(monkeypatch, {"rebound.example": ["127.0.0.1"]})
    hook = Webhook.objects.create(project=project, url="http://rebound.example/", secret="s", events=["batch.created"])
    [delivery] = emit(project.pk, "batch.created", lambda: {})
    assert attempt(delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert "127.0.0.1" in delivery.error_text and "loopback" in delivery.error_text
    assert delivery.attempts == 1 and hook.pk


def test_redirects_are_not_followed(held, hook, receiver):
    target = start_receiver()
    try:
        receiver.answers = [(302, {"Location": target.url + "/elsewhere"})]
        [delivery] = emit(hook.project_id, "batch.approved", lambda: {})
        assert attempt(delivery.pk) == "failed"
        delivery.refresh_from_db()
        assert delivery.response_code == 302
        assert "not followed" in delivery.error_text
        assert target.received == []
    finally:
        target.server.shutdown()
        target.server.server_close()


def test_the_log_shows_an_error_in_the_readers_language(hook, held, receiver):
    from django.utils import translation

    receiver.answers = [(503, {})]
    [delivery] = emit(hook.project_id, "batch.approved", lambda: {})
    attempt(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.error_text == "The receiver answered 503."
    with translation.override("fa"):
        assert delivery.error_text == "گیرنده با ۵۰۳ پاسخ داد."  # in the reader's digits too


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x",
        "http://[::1]/",
        "http://localhost:8000/",
        "http://169.254.169.254/latest",
        "ftp://x.example/",
    ],
)
def test_a_webhook_with_a_forbidden_url_cannot_be_saved(project, manager, url, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    with pytest.raises(workflow.WorkflowError):
        setup.create_webhook(actor=manager, project=project, url=url, events=["batch.created"])


def test_the_allow_list_lets_an_operator_reach_an_intranet_host(project, manager, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    assert setup.create_webhook(actor=manager, project=project, url="http://127.0.0.1:9/x", events=["batch.created"])


# --- the verification snippet of docs/API.md ------------------------------------------------------------


def documented_snippet() -> str:
    text = (ROOT / "docs" / "API.md").read_text()
    section = text[text.index("## Webhooks") :]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def test_the_documented_verification_snippet_accepts_our_deliveries_and_refuses_tampering(held, hook, receiver):
    emit(hook.project_id, "batch.approved", lambda: {"n": 1})
    run_pending()
    [sent] = receiver.received
    namespace: dict = {}
    exec(documented_snippet(), namespace)
    verify = namespace["verify_binaboard_webhook"]
    assert verify(hook.secret, sent.headers, sent.body) is True
    assert verify(hook.secret, sent.headers, sent.body + b" ") is False
    assert verify("whsec_wrong", sent.headers, sent.body) is False
    old = {**sent.headers, "X-BinaBoard-Timestamp": str(int(sent.headers["X-BinaBoard-Timestamp"]) - 3600)}
    assert verify(hook.secret, old, sent.body) is False


# --- the pages ------------------------------------------------------------------------------------------------


def test_a_manager_adds_a_webhook_and_sees_its_secret(project, manager, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    client = client_for(manager)
    response = client.post(
        reverse("webhooks", args=[project.pk]),
        {"url": "https://hooks.example/in", "events": ["batch.approved", "export.ready"], "active": "on"},
    )
    hook = Webhook.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("webhook_detail", args=[project.pk, hook.pk])
    assert (hook.events, hook.active, hook.created_by) == (["batch.approved", "export.ready"], True, manager)
    page = client.get(response.url)
    assert hook.secret in page.content.decode()


def test_a_private_address_is_refused_on_the_page(project, manager, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    response = client_for(manager).post(
        reverse("webhooks", args=[project.pk]), {"url": "http://10.0.0.5/hook", "events": ["batch.approved"]}
    )
    assert response.status_code == 400
    assert "private address" in response.content.decode()
    assert not Webhook.objects.exists()


def test_a_manager_edits_rotates_the_secret_and_deletes(hook, manager):
    client = client_for(manager)
    old_secret = hook.secret
    url = reverse("webhook_detail", args=[hook.project_id, hook.pk])
    response = client.post(url, {"url": hook.url, "events": ["batch.deleted"], "new_secret": "on"})
    assert response.status_code == 302
    hook.refresh_from_db()
    assert (hook.events, hook.active) == (["batch.deleted"], False)
    assert hook.secret != old_secret and hook.secret.startswith("whsec_")
    response = client.post(reverse("webhook_delete", args=[hook.project_id, hook.pk]))
    assert response.status_code == 302
    assert not Webhook.objects.exists()


def test_send_a_test_event_delivers_a_signed_ping_and_logs_it(
    hook, receiver, manager, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    client = client_for(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("webhook_test", args=[hook.project_id, hook.pk]))
    assert response.status_code == 302
    [sent] = receiver.received
    assert json.loads(sent.body)["event"] == "ping"
    assert signing.verify(hook.secret, sent.headers, sent.body)
    for _ in range(5):
        emit(hook.project_id, "batch.approved", lambda: {})
    # Session, user, membership, the webhook, the deliveries: the same for any length of log.
    with django_assert_max_num_queries(8):
        page = client.get(reverse("webhook_detail", args=[hook.project_id, hook.pk]))
    text = page.content.decode()
    assert "ping" in text and "delivered" in text and ">200<" in text


@pytest.mark.parametrize("role", ["annotator", "reviewer"])
def test_members_who_do_not_manage_are_refused(hook, role, request):
    client = client_for(request.getfixturevalue(role))
    assert client.get(reverse("webhooks", args=[hook.project_id])).status_code == 403
    assert client.get(reverse("webhook_detail", args=[hook.project_id, hook.pk])).status_code == 403
    assert client.post(reverse("webhook_delete", args=[hook.project_id, hook.pk])).status_code == 403
    assert Webhook.objects.exists()


def test_non_members_get_404_and_learn_nothing(hook, outsider):
    client = client_for(outsider)
    assert client.get(reverse("webhooks", args=[hook.project_id])).status_code == 404
    assert client.post(reverse("webhook_test", args=[hook.project_id, hook.pk])).status_code == 404
    assert not WebhookDelivery.objects.exists()


def test_a_webhook_of_another_project_is_404(hook, manager):
    from accounts.roles import grant_role
    from tests.factories import make_project

    other = make_project("Other")
    grant_role(other, manager, "manager")
    response = client_for(manager).get(reverse("webhook_detail", args=[other.pk, hook.pk]))
    assert response.status_code == 404


# --- the other events, and a real worker -------------------------------------------------------------------


def test_an_upload_session_that_finishes_tells_upload_finished(project, manager, django_capture_on_commit_callbacks):
    from tests.factories import image_rows

    Webhook.objects.create(project=project, url="https://a.example/", secret="s", events=["upload.finished"])
    batch = workflow.open_upload_batch(actor=manager, project=project, name="Session", expected=2)
    for image in image_rows(2):
        image.project = project
        workflow.add_processed_image(batch_pk=batch.pk, image=image)
    assert not WebhookDelivery.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.close_upload_batch(batch_pk=batch.pk)
    body = json.loads(WebhookDelivery.objects.get().body)
    assert body["event"] == "upload.finished"
    assert body["data"]["batch"]["id"] == batch.pk and body["data"]["batch"]["image_count"] == 2


def test_a_finished_export_job_tells_export_ready(
    project, manager, annotator, reviewer, django_capture_on_commit_callbacks
):
    from batches.export import ExportOptions
    from batches.export.jobs import make_export, start_export_job

    batch_in("dataset", project, manager=manager, annotator=annotator, reviewer=reviewer, images=2)
    Webhook.objects.create(project=project, url="https://a.example/", secret="s", events=["export.ready"])
    with django_capture_on_commit_callbacks(execute=False):
        job = start_export_job(actor=manager, project=project, options=ExportOptions(format="coco"))
    with django_capture_on_commit_callbacks(execute=True):
        make_export(job.pk)
    body = json.loads(WebhookDelivery.objects.get().body)
    assert body["event"] == "export.ready"
    assert body["data"]["export"]["id"] == job.pk
    assert body["data"]["export"]["format"] == "coco"
    assert body["data"]["export"]["download_path"] == reverse("export_download", args=[project.pk, job.pk])


@pytest.mark.django_db(transaction=True)
def test_a_worker_delivers_and_retries_on_the_real_queue(task_backend, project, manager, receiver):
    from tests.task_helpers import run_worker

    receiver.answers = [(500, {}), (200, {})]
    hook = setup.create_webhook(actor=manager, project=project, url=receiver.url + "/w", events=["batch.created"])
    make_batch(project, manager, images=1)  # outside a transaction: queued at once
    env = {"WEBHOOK_ALLOWED_HOSTS": "127.0.0.1", "WEBHOOK_BACKOFF_SECONDS": "1"}
    run_worker(**env)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 1, 500)
    # The retry waits on the queue for its time (1 s), then a worker takes it.
    import time

    time.sleep(1.5)
    for _ in range(5):
        run_worker(**env)
        delivery.refresh_from_db()
        if delivery.status != "pending":
            break
        time.sleep(1)
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 2, 200)
    assert all(signing.verify(hook.secret, r.headers, r.body) for r in receiver.received)


def test_the_webhooks_page_costs_the_same_for_any_number_of_webhooks(project, manager, django_assert_max_num_queries):
    client = client_for(manager)
    for n in range(6):
        Webhook.objects.create(project=project, url=f"https://h{n}.example/", secret="s", events=["batch.created"])
    # Session, user, membership (two), the webhooks.
    with django_assert_max_num_queries(7):
        page = client.get(reverse("webhooks", args=[project.pk]))
    assert page.content.decode().count("Edit and log") == 6


def test_a_receiver_that_trickles_its_answer_is_cut_off_at_the_timeout(hook, held, settings):
    """The timeout bounds the whole exchange, not each read: one byte every 0.3 s never ends a 1 s wait."""
    import socket as sockets
    import threading
    import time

    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    server = sockets.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def trickle():
        conn, _ = server.accept()
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        while not stop.is_set():
            try:
                conn.sendall(b"X")
            except OSError:
                break
            time.sleep(0.3)
        conn.close()

    threading.Thread(target=trickle, daemon=True).start()
    Webhook.objects.filter(pk=hook.pk).update(url=f"http://127.0.0.1:{server.getsockname()[1]}/slow")
    [delivery] = emit(hook.project_id, "batch.approved", lambda: {})
    started = time.monotonic()
    assert attempt(delivery.pk) == "pending"
    assert time.monotonic() - started < 3
    stop.set()
    server.close()
    delivery.refresh_from_db()
    assert "1 s" in delivery.error_text


def test_old_finished_deliveries_leave_the_log_but_pending_ones_stay(hook, held, settings):
    from batches.webhooks.delivery import prune_log

    settings.WEBHOOK_LOG_DAYS = 30
    deliveries = [emit(hook.project_id, "batch.approved", lambda: {})[0] for _ in range(3)]
    old = timezone.now() - dt.timedelta(days=31)
    WebhookDelivery.objects.filter(pk=deliveries[0].pk).update(created_at=old, status="delivered")
    WebhookDelivery.objects.filter(pk=deliveries[1].pk).update(created_at=old, status="pending")
    assert prune_log() == 1
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {deliveries[1].pk, deliveries[2].pk}


def test_a_waiting_delivery_says_it_is_being_sent_and_the_log_polls_until_it_is_done(hook, manager, held):
    """A test event's row read "pending · next try in 0 minutes" and stayed so until the page was reloaded."""
    client = client_for(manager)
    url = reverse("webhook_detail", args=[hook.project_id, hook.pk])
    client.post(reverse("webhook_test", args=[hook.project_id, hook.pk]))
    [delivery] = WebhookDelivery.objects.filter(webhook=hook)
    assert delivery.status == "pending"
    page = client.get(url).content.decode()
    assert "being sent…" in page and "next try in 0" not in page
    assert 'hx-trigger="every 3s"' in page
    # The poll gets the log alone, and stops polling once nothing waits.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="delivered", response_code=200)
    log = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert log.lstrip().startswith('<section id="hook-log"') and "every 3s" not in log and ">200<" in log
