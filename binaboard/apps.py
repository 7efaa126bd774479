from axes import apps as axes_apps
from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy
from django_tasks_db import apps as tasks_db_apps


class BinaBoardConfig(AppConfig):
    """The project package as an app: its deploy checks, error templates and health checks."""

    name = "binaboard"
    verbose_name = "BinaBoard"

    def ready(self) -> None:
        from . import secret_key  # noqa: F401  (registers the deploy check)


class BinaBoardAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with BinaBoard's admin site (binaboard/admin_site.py) as the default site."""

    default = False

    default_site = "binaboard.admin_site.BinaBoardAdminSite"


# Two third-party apps whose names the admin's index shows, named in the operator's language (their own
# AppConfigs name them in English only, or not at all).


class AxesConfig(axes_apps.AppConfig):
    """django-axes (sign-in throttling) as the admin names it."""

    default = False

    verbose_name = gettext_lazy("Sign-in attempts")


class TasksDbConfig(tasks_db_apps.TasksAppConfig):
    """django-tasks-db (the tasks' table) as the admin names it."""

    default = False

    verbose_name = gettext_lazy("Task queue")
