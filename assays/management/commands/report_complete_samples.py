from typing import Any

from django.core.management.base import BaseCommand

from assays.services.results import samples_report_complete


class Command(BaseCommand):
    help = (
        "Report every sample in analysis whose panel is complete with approved results but that was left "
        "unreported; prints the codes reported. Safe to run at any time and more than once."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        codes = samples_report_complete()
        for code in codes:
            self.stdout.write(code)
        self.stdout.write(f"{len(codes)} sample(s) reported")
