"""The task list in the admin: queued, running, finished and failed tasks with their errors, and a retry.

With TASKS_BACKEND=db the tasks are rows (django-tasks-db's DBTaskResult); with rq, django-rq's
dashboard (linked from the admin's index, under /admin/rq/) lists queues, failed jobs, and requeues them.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import SuspiciousOperation
from django.db.models import Q
from django.tasks import TaskResultStatus
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskAdmin(DBTaskResultAdmin):
    list_display = ("task_name", "status", "error", "enqueued_at", "started_at", "finished_at", "tries", "queue_name")
    search_fields = ("task_path", "exception_class_path")
    actions = ["retry"]

    @admin.display(description=_("task"))
    def task_name(self, task: DBTaskResult) -> str:
        # A row whose path names something that is not a task of this backend (rows queued before
        # TASKS_BACKEND changed to rq, a task turned into a plain function) is still listed by its name:
        # one such row made the whole page answer 400. A path that no longer imports is handled upstream.
        try:
            return task.task_name
        except SuspiciousOperation:
            return task.task_path.rsplit(".", 1)[-1]

    @admin.display(description=_("error"))
    def error(self, task: DBTaskResult) -> str:
        if task.status != TaskResultStatus.FAILED:
            return ""
        last_line = task.traceback.strip().splitlines()[-1:] or [task.exception_class_path]
        return last_line[0][:200]

    @admin.display(description=_("tries"))
    def tries(self, task: DBTaskResult) -> int:
        return len(task.worker_ids)

    @admin.action(description=_("Retry the selected failed tasks"))
    def retry(self, request, queryset) -> None:
        # Compare-and-set: a task that is not failed (any more) is left alone. Tasks are idempotent,
        # so running one again finishes what it began; its tries start again from zero.
        retried = DBTaskResult.objects.filter(Q(pk__in=queryset.values("pk")), status=TaskResultStatus.FAILED).update(
            status=TaskResultStatus.READY,
            started_at=None,
            finished_at=None,
            exception_class_path="",
            traceback="",
            worker_ids=[],
        )
        skipped = queryset.count() - retried
        self.message_user(
            request,
            ngettext("%(count)d task queued again.", "%(count)d tasks queued again.", retried) % {"count": retried},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d task was not failed, so it was left alone.",
                    "%(count)d tasks were not failed, so they were left alone.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
