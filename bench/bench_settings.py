"""The project's settings with the benchmark's URLs (bench only)."""

from binaboard.settings import *  # noqa: F403

ROOT_URLCONF = "bench_urls"
