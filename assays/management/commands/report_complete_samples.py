from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from assays.services.results import samples_report_complete
from lims.lib.commands import BaseCommand


class Command(BaseCommand):
    help = gettext_noop(
        "Report every sample in analysis whose panel is complete with approved results but that was left "
        "unreported; prints the codes reported. Safe to run at any time and more than once."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        codes = samples_report_complete()
        for code in codes:
            self.stdout.write(code)
        self.stdout.write(_("%(count)d sample(s) reported") % {"count": len(codes)})
