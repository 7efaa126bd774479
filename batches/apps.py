from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class BatchesConfig(AppConfig):
    name = "batches"
    verbose_name = gettext_lazy("Batches and images")

    def ready(self) -> None:
        # A renamed or deleted person ends every stored board page (their name may be on its cards),
        # whichever process renames them: the web, the admin, a management command.
        from . import board_page  # noqa: F401
