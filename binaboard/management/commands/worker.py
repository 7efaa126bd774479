"""`manage.py worker [--burst]`: run background tasks from the queue TASKS_BACKEND names.

The backend's own worker (`db_worker`'s loop for "db", `rqworker` for "rq") does the work, riding out a
database or Redis outage instead of exiting (binaboard/queue.py, "outages"); beside it a
thread runs the queue maintenance every TASK_MAINTENANCE_SECONDS (abandoned tasks back on the queue,
periodic cleanup enqueued; see binaboard/queue.py). Run as many as you like, on as many machines as
share the database (db) or Redis (rq). `--burst` runs the maintenance once, then what is queued, and
exits (scripts, tests).
"""

import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand

from binaboard.queue import Maintenance, OutageProofDBWorker, maintenance


class Command(BaseCommand):
    help = "Run background tasks (exports, file removal, cleanup) from the configured queue."

    def add_arguments(self, parser):
        parser.add_argument("--burst", action="store_true", help="run what is queued, then exit")
        parser.add_argument("--name", default=None, help="a name for this worker (unique among all workers)")

    def handle(self, *args, burst: bool, name: str | None, verbosity: int, **options):
        kind = settings.TASKS_BACKEND
        if kind not in {"db", "rq"}:
            raise CommandError(f"TASKS_BACKEND={kind!r} runs tasks where they are enqueued: there is no worker.")
        if settings.WORKER_NICE > 0:
            niceness = os.nice(settings.WORKER_NICE)  # requests first where web and workers share the cores
            self.stdout.write(f"Worker at CPU niceness {niceness} (WORKER_NICE={settings.WORKER_NICE}).")
        if burst:
            maintenance()
        else:
            Maintenance().start()
        if kind == "db":
            # db_worker's own loop, but through a worker that waits out a lost database (binaboard/queue.py).
            DBWorkerCommand(stdout=self.stdout, stderr=self.stderr).configure_logging(verbosity)
            worker = OutageProofDBWorker(
                queue_names=settings.TASK_QUEUES,
                interval=settings.WORKER_POLL_MS / 1000,
                batch=burst,
                backend_name=DEFAULT_TASK_BACKEND_ALIAS,
                startup_delay=not burst,
                max_tasks=None,
                worker_id=name or get_random_string(32),
                excluded_queue_names=[],
            )
            worker.configure_signals()
            worker.run()
        else:
            # The scheduler moves deferred tasks (run_after: webhook retries) onto the queue when they are due.
            worker_options = {"burst": burst, "verbosity": verbosity, "with_scheduler": True}
            if name:
                worker_options["name"] = name
            call_command(
                "rqworker",
                *settings.TASK_QUEUES,
                job_class="django_tasks_rq.backend.Job",
                worker_class="binaboard.queue.OutageProofRQWorker",
                **worker_options,
            )
