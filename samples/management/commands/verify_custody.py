import sys

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from lims.lib.commands import BaseCommand
from samples import chain
from samples.models import Sample


class Command(BaseCommand):
    help = gettext_noop(
        "Recompute the custody hash chain of every sample (or of the named ones), print the first "
        "broken link of each broken chain, and exit with status 1 if any chain is broken."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "codes", nargs="*", metavar="SAMPLE", help=gettext_lazy("sample codes (default: all samples)")
        )

    def handle(self, *args, codes, **options):
        samples = Sample.objects.all()
        if codes:
            samples = samples.filter(code__in=codes)
            missing = sorted(set(codes) - set(samples.values_list("code", flat=True)))
            if missing:
                raise CommandError(_("no such sample: %(codes)s") % {"codes": ", ".join(missing)}, returncode=2)
        checked = broken = 0
        for report in chain.verify_many(samples):
            checked += 1
            if not report.intact:
                broken += 1
                self.stdout.write(self.style.ERROR(report.describe()))
            elif options["verbosity"] > 1:
                self.stdout.write(report.describe())
        summary = _("%(checked)d chain(s) checked, %(broken)d broken") % {"checked": checked, "broken": broken}
        if broken:
            self.stdout.write(self.style.ERROR(summary))
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS(summary))
