"""Publications of the open statistics: each closed month's figures as a canonical JSON document,
signed with the transparency log's key and recorded as a "statistics" leaf of the log
(public.publication). Numbered without gaps and append-only: a month whose figures change gets a
new publication, never an edited one, so every version the laboratory published stays on record."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lims.lib.append_only import AppendOnlyModel


class Publication(AppendOnlyModel):
    number = models.PositiveIntegerField(_("number"), unique=True)
    period = models.CharField(_("period"), max_length=7, help_text=_("The month, as YYYY-MM."))
    document = models.TextField(_("document"), help_text=_("The canonical JSON of the month's figures."))
    document_sha256 = models.CharField(_("document SHA-256"), max_length=64)
    signed_note = models.TextField(_("signed note"))
    log_index = models.PositiveBigIntegerField(_("transparency log entry"))
    published_at = models.DateTimeField(_("published at"), default=timezone.now)

    class Meta:
        verbose_name = _("statistics publication")
        verbose_name_plural = _("statistics publications")
        ordering = ["-number"]
        indexes = [models.Index(fields=["period", "-number"], name="publication_period_idx")]

    def __str__(self):
        return f"{self.period} #{self.number}"
