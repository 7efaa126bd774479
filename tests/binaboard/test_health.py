"""/healthz and /readyz: status codes and one word for load balancers, the reason only in the log."""

from __future__ import annotations

import logging
import uuid

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper

from tests.batches.test_storage_s3 import CREDENTIALS, s3_endpoint  # noqa: F401  (the moto server fixture)


def broken_check() -> None:
    raise ConnectionError("the task queue at 10.0.0.7 is down")


@pytest.mark.django_db
def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_probes_by_ip_over_plain_http_are_answered_not_refused_or_redirected(client, settings):
    settings.ALLOWED_HOSTS = ["board.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    for url in ("/healthz", "/readyz"):
        assert client.get(url, HTTP_HOST="10.0.0.5:8000").status_code == 200
    assert client.get("/login/", HTTP_HOST="board.example.com").status_code == 301  # the rest still redirects


@pytest.mark.django_db
def test_readyz_is_ok_when_the_database_and_the_storage_answer(client):
    response = client.get("/readyz")
    assert (response.status_code, response.content) == (200, b"ok\n")


@pytest.mark.django_db
def test_readyz_fails_without_the_database_and_tells_only_the_log(client, monkeypatch, caplog):
    def refuse(self):
        raise OperationalError("connection to 10.0.0.9 refused")

    with monkeypatch.context() as patch, caplog.at_level(logging.ERROR, logger="binaboard.health"):
        patch.setattr(BaseDatabaseWrapper, "ensure_connection", refuse)
        response = client.get("/readyz")
    assert (response.status_code, response.content) == (503, b"unavailable\n")
    assert "database_ready" in caplog.text
    assert "10.0.0.9" in caplog.text


@pytest.mark.django_db
def test_readyz_fails_when_the_media_volume_is_missing(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "not-mounted" / "media"
    assert client.get("/readyz").status_code == 503
    (tmp_path / "not-mounted").mkdir()
    assert client.get("/readyz").status_code == 200  # MEDIA_ROOT itself appears with the first upload


@pytest.mark.django_db
def test_a_new_readiness_check_is_one_line_in_settings(client, settings):
    settings.READINESS_CHECKS = [*settings.READINESS_CHECKS, "tests.binaboard.test_health.broken_check"]
    response = client.get("/readyz")
    assert (response.status_code, response.content) == (503, b"unavailable\n")


@pytest.mark.django_db
def test_readyz_reaches_an_s3_bucket_and_fails_when_it_is_gone(client, settings, s3_endpoint):  # noqa: F811
    endpoint, s3 = s3_endpoint
    bucket = f"ready-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    options = {"bucket_name": bucket, "endpoint_url": endpoint, "addressing_style": "path", **CREDENTIALS}
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
    }
    assert client.get("/readyz").status_code == 200
    s3.delete_bucket(Bucket=bucket)
    assert client.get("/readyz").status_code == 503


@pytest.mark.django_db
def test_only_get_and_head_are_health_checks(client):
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 404
