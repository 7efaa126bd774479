"""Request ids on responses and log lines; errors logged with traceback, method, path and user; JSON lines."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from batches import workflow
from binaboard.logs import JsonFormatter, PlainFormatter, RequestContextFilter
from tests.batches import ingest_samples as samples
from tests.binaboard.failing_urls import FAILURE_MESSAGE
from tests.factories import make_batch

CRASH = "/test-failures/crash/"


def capture_root_log(formatter: logging.Formatter):
    """The console handler as settings.LOGGING builds it, writing to a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(formatter)
    return stream, handler


@pytest.fixture
def plain_log():
    stream, handler = capture_root_log(PlainFormatter(django_settings.LOGGING["formatters"]["plain"]["format"]))
    logging.getLogger().addHandler(handler)
    yield stream
    logging.getLogger().removeHandler(handler)


@pytest.fixture
def json_log():
    config = django_settings.LOGGING["formatters"]["json"]
    stream, handler = capture_root_log(JsonFormatter(config["format"], rename_fields=config["rename_fields"]))
    logging.getLogger().addHandler(handler)
    yield stream
    logging.getLogger().removeHandler(handler)


@pytest.mark.django_db
def test_every_response_carries_a_fresh_request_id(client):
    first, second = client.get("/login/"), client.get("/login/")
    assert re.fullmatch(r"[0-9a-f]{32}", first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("6f1c2a9b0d4e4f7a8b3c5d2e1f0a9b8c", True),  # nginx's $request_id
        ("lb-1701450000.123:abc", True),
        ("short", False),
        ("has spaces in it ok", False),
        ("<script>alert(1)</script>", False),
        ("x" * 129, False),
    ],
)
def test_an_incoming_request_id_is_kept_only_when_it_is_a_plain_token(client, sent, kept):
    answered = client.get("/login/", HTTP_X_REQUEST_ID=sent)["X-Request-ID"]
    assert (answered == sent) is kept
    if not kept:
        assert re.fullmatch(r"[0-9a-f]{32}", answered)


@pytest.mark.urls("tests.binaboard.failing_urls")
def test_an_unhandled_error_is_logged_with_traceback_request_id_method_path_and_user(manager, plain_log):
    browser = Client(raise_request_exception=False)
    browser.force_login(manager)
    response = browser.get(CRASH + "?page=2")
    log = plain_log.getvalue()
    request_id = response["X-Request-ID"]
    assert f"ERROR [{request_id}] django.request: Internal Server Error: {CRASH}" in log
    assert f"(GET {CRASH}?page=2 user={manager.pk})" in log
    assert "Traceback (most recent call last)" in log
    assert f"RuntimeError: {FAILURE_MESSAGE}" in log


@pytest.mark.urls("tests.binaboard.failing_urls")
def test_json_log_lines_keep_the_request_fields_and_the_traceback(db, json_log):
    response = Client(raise_request_exception=False).get(CRASH)
    records = [json.loads(line) for line in json_log.getvalue().splitlines()]
    error = next(r for r in records if r["logger"] == "django.request")
    assert error["level"] == "ERROR"
    assert error["request_id"] == response["X-Request-ID"]
    assert (error["method"], error["path"], error["user_id"], error["status_code"]) == ("GET", CRASH, None, 500)
    assert FAILURE_MESSAGE in error["exc_info"]
    assert "request" not in error


def test_a_workflow_move_is_logged_with_its_fields_as_data(project, manager, annotator, json_log):
    batch = make_batch(project, manager, images=3)
    workflow.assign(actor=manager, batch=batch, assignees=[annotator])
    records = [json.loads(line) for line in json_log.getvalue().splitlines()]
    move = next(r for r in records if r["logger"] == "batches.workflow" and r.get("action") == "assigned")
    assert move["batch_id"] == batch.pk
    assert move["batch_name"] == batch.name
    assert (move["actor"], move["from_status"], move["to_status"], move["image_count"]) == (
        "manager",
        "unassigned",
        "annotating",
        3,
    )
    assert move["message"].startswith(f"batch {batch.pk} ")


@pytest.mark.django_db
def test_the_lines_a_request_logs_carry_the_id_it_answers_with(client, manager, project, plain_log):
    logging.getLogger("batches.test").warning("outside any request")
    client.force_login(manager)
    response = client.post(
        reverse("upload", args=[project.pk]), {"files": [SimpleUploadedFile("a.jpg", samples.jpeg())]}
    )
    assert response.status_code == 200
    log = plain_log.getvalue()
    assert "WARNING [-] batches.test: outside any request" in log
    assert re.search(rf"INFO \[{response['X-Request-ID']}\] batches.workflow: batch \d+ .* created by manager", log)


def test_the_development_server_s_request_lines_pass_the_filter():
    # runserver logs every 4xx/5xx line on django.server with its socket as `request`: `make run` printed a
    # traceback for each 404 until the filter looked only at real requests.
    import socket

    record = logging.LogRecord("django.server", logging.WARNING, __file__, 1, '"GET /x HTTP/1.1" 404 0', (), None)
    with socket.socket() as sock:
        record.request = sock
        assert RequestContextFilter().filter(record) is True
    assert not hasattr(record, "path")
