"""gunicorn.conf.py's own hooks (the server itself is started in test_production_server.py)."""

from __future__ import annotations

import runpy
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
