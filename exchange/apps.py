from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    """Top of the dependency order: reads certificates (and customs), read by none."""

    name = "exchange"
    verbose_name = _("Customs systems exchange")
