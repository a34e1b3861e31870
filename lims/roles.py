"""Roles are Django groups; these are their names. Which role may do what is decided in
lims/permissions.py, not here."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SAMPLER = "sampler", _("Sampler")
    TECHNICIAN = "technician", _("Technician")
    REVIEWER = "reviewer", _("Reviewer")
    MANAGER = "manager", _("Lab manager")
    EXPORTER = "exporter", _("Exporter")
    # A customs broker files declarations for the exporter organisation it belongs to (an outside
    # broker gets an account in each exporter organisation it represents); it does nothing else.
    BROKER = "broker", _("Customs broker")
    INSPECTOR = "inspector", _("Inspector")
    ADMIN = "admin", _("Administrator")


LAB_ROLES = frozenset({Role.SAMPLER, Role.TECHNICIAN, Role.REVIEWER, Role.MANAGER})
# Roles of an exporter organisation's people: they see that organisation's rows only.
EXPORTER_ROLES = frozenset({Role.EXPORTER, Role.BROKER})
