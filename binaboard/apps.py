from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


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
