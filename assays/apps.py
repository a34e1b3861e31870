from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssaysConfig(AppConfig):
    name = "assays"
    verbose_name = _("Assays, runs and results")
