"""Flow analytics benchmark (issue #19): the analytics page of a project with a long history.

Run standalone (`DEBUG=1 .venv/bin/python bench/bench_flow.py`) or through `make bench`. A throwaway
SQLite database gets a project whose history has N events (batches created, assigned, submitted, some
rejected and submitted again, approved, over a year), bulk-created. One process then measures the page
through the whole middleware stack: cold (the replay computed in the request), warm (from the cache), and
the replay alone; queries are counted and must not grow with the history. Writes the "flow" section of
docs/PERFORMANCE.md.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = [int(x) for x in os.environ.get("BENCH_FLOW_EVENTS", "10000,100000").split(",")]
RUNS = int(os.environ.get("BENCH_FLOW_RUNS", "3"))


def setup() -> None:
    folder = tempfile.mkdtemp(prefix="bench-flow-")
    os.environ["DATABASE_URL"] = f"sqlite:///{folder}/flow.sqlite3"
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "binaboard.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["MEDIA_ROOT"] = folder
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed(events: int):
    from accounts.roles import grant_role
    from batches.models import BatchEvent
    from tests.factories import make_project, make_user

    project = make_project(f"Flow {events}")
    manager = make_user(f"manager{events}")
    grant_role(project, manager, "manager")
    people = []
    for i in range(5):
        person = make_user(f"annotator{events}-{i}")
        grant_role(project, person, "annotator")
        people.append(person)
    reviewer = make_user(f"reviewer{events}")
    grant_role(project, reviewer, "reviewer")
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    rows, ref = [], 0
    A = BatchEvent.Action
    while len(rows) < events:
        ref += 1
        who = people[ref % len(people)]
        t = start + dt.timedelta(minutes=ref * 20)
        lifecycle = [
            (A.CREATED, manager, "", "unassigned", {}),
            (A.ASSIGNED, manager, "unassigned", "annotating", {"shares": [{"assignee": who.username, "images": 20}]}),
            (A.SUBMITTED, who, "annotating", "review", {}),
        ]
        if ref % 4 == 0:
            lifecycle += [
                (A.REJECTED, reviewer, "review", "annotating", {}),
                (A.SUBMITTED, who, "annotating", "review", {}),
            ]
        lifecycle.append((A.APPROVED, reviewer, "review", "dataset", {}))
        for step, (action, actor, source, target, details) in enumerate(lifecycle):
            rows.append(
                BatchEvent(
                    project=project,
                    batch_ref=ref,
                    batch_name=f"B{ref}",
                    actor=actor,
                    action=action,
                    from_status=source,
                    to_status=target,
                    image_count=20,
                    details=details,
                    created_at=t + dt.timedelta(hours=6 * step),
                )
            )
    BatchEvent.objects.bulk_create(rows[:events], batch_size=2000)
    return project, manager


def measure(events: int) -> dict:
    from django.core.cache import cache
    from django.db import connection, reset_queries
    from django.test import Client
    from django.urls import reverse

    from batches.analytics import replay

    project, manager = seed(events)
    client = Client()
    client.force_login(manager)
    url = reverse("flow_analytics", args=[project.pk])
    cold, warm, alone = [], [], []
    queries = {}
    for _ in range(RUNS):
        cache.clear()
        t = time.perf_counter()
        replay(project)
        alone.append(time.perf_counter() - t)
        cache.clear()
        reset_queries()
        t = time.perf_counter()
        assert client.get(url).status_code == 200
        cold.append(time.perf_counter() - t)
        queries["cold"] = len(connection.queries)
        reset_queries()
        t = time.perf_counter()
        assert client.get(url).status_code == 200
        warm.append(time.perf_counter() - t)
        queries["warm"] = len(connection.queries)
    return {
        "events": events,
        "replay": statistics.median(alone),
        "cold": statistics.median(cold),
        "warm": statistics.median(warm),
        "queries": queries,
    }


def main() -> None:
    setup()
    from django.conf import settings

    settings.DEBUG = True  # connection.queries
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    results = [measure(n) for n in SIZES]
    lines = [
        "Flow analytics page (`/projects/<id>/flow/`, SQLite, test client through the whole middleware stack). "
        f"Median of {RUNS} runs. **cold**: cache empty, the history replayed in the request; **warm**: from the "
        "per-project cache (one query for the newest event decides it is current); **replay**: "
        "`analytics.replay` alone. Above 20,000 events a stale cache is refreshed by a worker "
        "(`refresh_analytics`) while the page shows the previous figures, so only the first visit ever pays the "
        "cold time.",
        "",
        "| events | replay (s) | page cold (s) | page warm (s) | queries cold | queries warm |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| {r['events']:,} | {r['replay']:.2f} | {r['cold']:.2f} | {r['warm']:.3f} | "
            f"{r['queries']['cold']} | {r['queries']['warm']} |"
        )
    from bench._report import write_section

    write_section("flow", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
