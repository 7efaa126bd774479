"""gunicorn.conf.py's own hooks (the server itself is started in test_production_server.py)."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

CONF = str(Path(settings.BASE_DIR) / "gunicorn.conf.py")


@pytest.fixture
def switch_interval_restored():
    before = sys.getswitchinterval()
    yield
    sys.setswitchinterval(before)


@pytest.mark.parametrize(("raw", "expected"), [("", 0.0005), ("2000", 0.002)])
def test_each_worker_hands_the_gil_over_every_switch_interval(monkeypatch, switch_interval_restored, raw, expected):
    monkeypatch.setenv("GUNICORN_SWITCH_INTERVAL_US", raw)
    conf = runpy.run_path(CONF)
    conf["post_fork"](server=None, worker=None)
    assert sys.getswitchinterval() == pytest.approx(expected)


def test_zero_leaves_pythons_own_switch_interval(monkeypatch, switch_interval_restored):
    sys.setswitchinterval(0.005)
    monkeypatch.setenv("GUNICORN_SWITCH_INTERVAL_US", "0")
    runpy.run_path(CONF)["post_fork"](server=None, worker=None)
    assert sys.getswitchinterval() == pytest.approx(0.005)


def run_on_starting(**env: str) -> subprocess.CompletedProcess:
    """gunicorn's master hook in a fresh interpreter; prints which of the app's modules the master then holds."""
    code = (
        "import runpy, sys; runpy.run_path(sys.argv[1])['on_starting'](None); "
        "print(sorted(m for m in ('binaboard.settings', 'batches.models', 'batches.admin') if m in sys.modules))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DEBUG", "SECRET_KEY"))}
    return subprocess.run(
        [sys.executable, "-c", code, CONF],
        env={**clean, "DJANGO_SETTINGS_MODULE": "binaboard.settings", **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_master_checks_the_key_without_keeping_the_app_for_workers_forked_after_a_reload():
    # Workers forked after `systemctl reload` (HUP) must import the new code, not inherit the master's.
    done = run_on_starting(DEBUG="0", SECRET_KEY="k3y-" + "x9Q" * 20)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_master_still_refuses_an_unfit_key_in_one_line():
    done = run_on_starting(DEBUG="0", SECRET_KEY="django-insecure-" + "x" * 50)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "BinaBoard refuses to start: SECRET_KEY starts with 'django-insecure-': it is a published development key."
    )
