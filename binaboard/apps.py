from django.apps import AppConfig


class BinaBoardConfig(AppConfig):
    """The project package as an app: its deploy checks, error templates and health checks."""

    name = "binaboard"
    verbose_name = "BinaBoard"

    def ready(self) -> None:
        from . import secret_key  # noqa: F401  (registers the deploy check)
