from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomsConfig(AppConfig):
    name = "customs"
    verbose_name = _("Customs declarations")
