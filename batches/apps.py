from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class BatchesConfig(AppConfig):
    name = "batches"
    verbose_name = gettext_lazy("Batches and images")
