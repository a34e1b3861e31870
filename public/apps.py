from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicConfig(AppConfig):
    """Above customs in the dependency order (lims <- samples <- assays <- certificates <- customs <-
    public <- desk)."""

    name = "public"
    verbose_name = _("Open statistics")
