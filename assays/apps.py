from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssaysConfig(AppConfig):
    name = "assays"
    verbose_name = _("Assays, runs and results")

    def import_models(self):
        super().import_models()
        # Batches and QC masks keep a module of their own (assays.batch_models), registered with the
        # app's models here, while the models are loaded.
        import_module(f"{self.name}.batch_models")

    def ready(self):
        # Their admin likewise (assays.batch_admin).
        import_module(f"{self.name}.batch_admin")
