from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class BatchesConfig(AppConfig):
    name = "batches"
    verbose_name = gettext_lazy("Batches and images")

    def ready(self) -> None:
        # A person renamed or deleted, or given or taken a role, ends every stored board page (their name
        # may be on its cards or in its filter), whichever process changes them: the web, the admin, a command.
        from . import board_page  # noqa: F401
