"""Settings read from the environment: the database URL, the secret key, S3's origin in the CSP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from storages.backends.s3 import S3Storage

from binaboard.secret_key import secret_key_problem
from binaboard.settings import s3_media_origins

GOOD_KEY = "k3y-" + "x9Q" * 20
OURS = ("DEBUG", "SECRET_KEY", "DATABASE_URL", "TEST_DB_NAME", "STORAGE_BACKEND", "S3_", "LOG_", "CONN_")


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    """Run code in a fresh interpreter with only the given BinaBoard variables set."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
    return subprocess.run(
        [sys.executable, *code.split("\0")],
        env={**clean, "DJANGO_SETTINGS_MODULE": "binaboard.settings", **env},
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def settings_value(expression: str, **env: str):
    code = f"-c\0import json; from django.conf import settings as s; print(json.dumps({expression}, default=str))"
    done = run_python(code, **env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_postgres_url_keeps_its_query_options_such_as_sslmode():
    url = "postgres://board:p%40ss@db.example.com:6432/binaboard?sslmode=require&connect_timeout=5"
    db = settings_value("s.DATABASES['default']", DEBUG="1", DATABASE_URL=url, TEST_DB_NAME="test_x")
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["HOST"], db["PORT"], db["NAME"], db["USER"], db["PASSWORD"]) == (
        "db.example.com",
        6432,
        "binaboard",
        "board",
        "p@ss",
    )
    assert db["OPTIONS"] == {"sslmode": "require", "connect_timeout": 5}
    assert db["CONN_MAX_AGE"] == 60
    assert db["CONN_HEALTH_CHECKS"] is True
    assert db["TEST"] == {"NAME": "test_x"}


def test_a_sqlite_url_keeps_wal_immediate_transactions_and_the_busy_timeout(tmp_path):
    db = settings_value(
        "s.DATABASES['default']", DEBUG="1", DATABASE_URL=f"sqlite:///{tmp_path}/board.sqlite3", TEST_DB_NAME="t.db"
    )
    assert db["NAME"] == f"{tmp_path}/board.sqlite3"
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]
    assert "busy_timeout=5000" in db["OPTIONS"]["init_command"]
    assert db["TEST"]["NAME"] == str(django_settings.BASE_DIR / "t.db")


def test_an_unsupported_database_scheme_fails_loudly():
    done = run_python("-c\0import django; django.setup()", DEBUG="1", DATABASE_URL="mysql://x@y/z")
    assert "DATABASE_URL scheme 'mysql' is not supported" in done.stderr


def test_the_secret_key_can_come_from_a_file(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text(GOOD_KEY + "\n")
    assert settings_value("s.SECRET_KEY", SECRET_KEY_FILE=str(key_file)) == GOOD_KEY
    done = run_python("-c\0import django; django.setup()", SECRET_KEY_FILE=str(tmp_path / "missing"))
    assert "SECRET_KEY_FILE=" in done.stderr
    assert "cannot be read" in done.stderr


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("", "SECRET_KEY is not set"),
        ("x" * 49, "49 characters long"),
        ("django-insecure-" + "x" * 60, "published development key"),
        (GOOD_KEY, None),
    ],
)
def test_a_missing_short_or_published_key_is_refused_with_a_reason(key, reason):
    problem = secret_key_problem(key)
    assert problem is None if reason is None else reason in problem


@pytest.mark.parametrize(
    ("key", "reason"),
    [(None, "SECRET_KEY is not set"), ("django-insecure-" + "x" * 60, "published development key")],
)
def test_with_debug_off_the_wsgi_application_refuses_to_start_in_one_line(key, reason):
    done = run_python("-c\0import binaboard.wsgi", **({"SECRET_KEY": key} if key else {}))
    assert done.returncode != 0
    last_line = done.stderr.strip().splitlines()[-1]
    assert "BinaBoard refuses to start: " in last_line
    assert reason in last_line
    assert run_python("-c\0import binaboard.wsgi", SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS="x").returncode == 0


def test_commands_that_sign_nothing_run_with_debug_off_and_no_key():
    for command in (["check"], ["makemigrations", "--check", "--dry-run"]):
        done = run_python("\0".join(["manage.py", *command]))
        assert done.returncode == 0, (command, done.stderr)


def test_check_deploy_reports_a_published_key_as_an_error():
    done = run_python("manage.py\0check\0--deploy", SECRET_KEY="django-insecure-" + "x" * 60, ALLOWED_HOSTS="x")
    assert done.returncode != 0
    assert "binaboard.E001" in done.stderr


def test_with_s3_storage_the_csp_lets_images_come_from_the_bucket():
    env = {
        "DEBUG": "1",
        "STORAGE_BACKEND": "s3",
        "S3_BUCKET": "media",
        "S3_ENDPOINT_URL": "https://s3.example.com:9000",
    }
    assert "https://s3.example.com:9000" in settings_value("s.SECURE_CSP['img-src']", **env)
    assert settings_value("s.SECURE_CSP['img-src']", DEBUG="1") == ["'self'", "data:", "blob:"]
    custom = settings_value("s.SECURE_CSP['img-src']", **env, S3_MEDIA_ORIGIN="https://cdn.example.com")
    assert custom[-1] == "https://cdn.example.com"


@pytest.mark.parametrize(
    ("endpoint", "style", "region"),
    [
        ("", "", ""),
        ("", "", "eu-central-1"),
        ("http://127.0.0.1:9000", "", ""),
        ("http://127.0.0.1:9000", "path", "us-east-1"),
        ("https://s3.example.com", "virtual", ""),
    ],
)
def test_the_csp_origin_is_where_presigned_urls_really_point(endpoint, style, region):
    storage = S3Storage(
        bucket_name="my-bucket",
        endpoint_url=endpoint or None,
        region_name=region or None,
        addressing_style=style or None,
        signature_version="s3v4",
        access_key="testing",
        secret_key="testing",
    )
    url = storage.url("projects/1/images/a.jpg")
    origins = s3_media_origins(bucket="my-bucket", endpoint=endpoint, region=region, addressing_style=style)
    assert any(url.startswith(origin + "/") for origin in origins), (url, origins)


def test_a_bad_log_format_fails_loudly():
    done = run_python("-c\0import django; django.setup()", DEBUG="1", LOG_FORMAT="xml")
    assert "LOG_FORMAT='xml' is not supported" in done.stderr


def test_the_runtime_requirements_hold_no_test_tools():
    root = Path(django_settings.BASE_DIR)
    runtime = (root / "requirements.txt").read_text().lower()
    for tool in ("pytest", "moto", "playwright", "hypothesis", "ruff", "pycocotools"):
        assert tool not in runtime, tool
    assert "-r requirements.txt" in (root / "requirements-dev.txt").read_text()


def test_a_cache_url_that_is_not_redis_fails_loudly_at_start():
    done = run_python("manage.py\0check", DEBUG="1", CACHE_URL="memcached://127.0.0.1:11211")
    assert done.returncode != 0
    assert "CACHE_URL='memcached://127.0.0.1:11211' is not a Redis URL" in done.stderr
