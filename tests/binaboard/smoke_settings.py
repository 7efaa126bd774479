"""The production settings, plus URLs that fail on purpose: the smoke test's gunicorn runs with these."""

from binaboard.settings import *  # noqa: F403

ROOT_URLCONF = "tests.binaboard.failing_urls"
