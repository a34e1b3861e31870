import time

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from customs import scale as dataset
from lims.lib.commands import BaseCommand


class Command(BaseCommand):
    help = gettext_noop(
        "Write a dataset at a country's scale into this database, for benchmarks (customs/scale.py): at "
        "--scale 1, 10,000 lots, 40,000 samples with custody chains, 1,000,000 readings, 350,000 results, "
        "10,000 certificates (snapshot rows, no PDF) and 5,000 declarations. Not a record: no service "
        "runs and nothing is audited; use a database of its own."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", type=float, default=1.0, help=gettext_lazy("fraction of the full size (0.01: 100 lots)")
        )

    def handle(self, *args, scale: float, **options):
        if not 0 < scale <= 10:
            raise CommandError(_("--scale is a fraction of the full size, above 0 and at most 10"))
        if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
            self.stderr.write(_("Not PostgreSQL: rows go in with bulk_create, slowly; use a small --scale."))
        started = time.perf_counter()
        if dataset.exists():
            raise CommandError(_("This database holds a scale dataset already; build into an empty one."))
        counts = dataset.build(lots=max(1, round(dataset.FULL_LOTS * scale)), log=self.stdout.write)
        summary = ", ".join(f"{count:,} {name}" for name, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"{summary} in {time.perf_counter() - started:.0f} s"))
