import sys

from django.core.management.base import BaseCommand, CommandError

from samples import chain
from samples.models import Sample


class Command(BaseCommand):
    help = (
        "Recompute the custody hash chain of every sample (or of the named ones), print the first "
        "broken link of each broken chain, and exit with status 1 if any chain is broken."
    )

    def add_arguments(self, parser):
        parser.add_argument("codes", nargs="*", metavar="SAMPLE", help="sample codes (default: all samples)")

    def handle(self, *args, codes, **options):
        samples = Sample.objects.all()
        if codes:
            samples = samples.filter(code__in=codes)
            missing = sorted(set(codes) - set(samples.values_list("code", flat=True)))
            if missing:
                raise CommandError(f"no such sample: {', '.join(missing)}", returncode=2)
        checked = broken = 0
        for report in chain.verify_many(samples):
            checked += 1
            if not report.intact:
                broken += 1
                self.stdout.write(self.style.ERROR(report.describe()))
            elif options["verbosity"] > 1:
                self.stdout.write(report.describe())
        summary = f"{checked} chain(s) checked, {broken} broken"
        if broken:
            self.stdout.write(self.style.ERROR(summary))
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS(summary))
