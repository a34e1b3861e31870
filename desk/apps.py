from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    """Top of the dependency order (lims <- samples <- assays <- certificates <- customs <- desk)."""

    name = "desk"
    verbose_name = _("Desk")
