import json
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from django.core.management.base import CommandError
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from assays import importers, services
from assays.models import Instrument, Method
from lims.exceptions import ApplicationError
from lims.lib.commands import BaseCommand
from lims.models import User

M = TypeVar("M", bound=Model)


class Command(BaseCommand):
    help = gettext_noop(
        "Parse an instrument file and print a JSON summary with every reading (--dry-run, touches nothing), or "
        "import it as a run in preview for a user. In the dry run's `readings`, values are decimal strings as read "
        "and converted, `basis` is solution or solid, and `chosen` marks the reading that would become the result."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help=gettext_lazy("Parse and summarise only; store nothing.")
        )
        parser.add_argument(
            "--format", choices=list(importers.FORMATS), help=gettext_lazy("Override the detected format.")
        )
        parser.add_argument("--user", help=gettext_lazy("Username of the technician importing (not with --dry-run)."))
        parser.add_argument("--instrument", help=gettext_lazy("Serial number of the instrument."))
        parser.add_argument(
            "--method",
            help=gettext_lazy(
                "Method code, for example icpms-4acid. With --dry-run it brings the method's detection limits, "
                "calibrated ranges and basis into the checks."
            ),
        )
        parser.add_argument("--prep-mass-g", dest="prep_mass_g")
        parser.add_argument("--prep-volume-ml", dest="prep_volume_ml")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from exc
        try:
            if options["dry_run"]:
                method = (
                    self._find(
                        _("no method %(value)r"), Method.objects.filter(code=options["method"]), options["method"]
                    )
                    if options["method"]
                    else None
                )
                prepared = services.run_parse(data=data, filename=path.name, format=options["format"], method=method)
                output = {**prepared.summary(), "readings": prepared.readings()}
                self.stdout.write(json.dumps(output, indent=2, ensure_ascii=False))
                return
            run = self._import(data, path.name, options)
        except ApplicationError as exc:
            lines = [exc.message]
            for problem in exc.extra.get("problems", []):
                where = ", ".join(
                    part
                    for part in (
                        _("row %(row)s") % {"row": problem["row"]} if problem["row"] else "",
                        problem["column"],
                    )
                    if part
                )
                lines.append(f"  {where or _('file')}: {problem['message']}")
            raise CommandError("\n".join(lines)) from exc
        self.stdout.write(
            self.style.SUCCESS(_("Run %(run)s imported for preview: QC %(qc)s.") % {"run": run.pk, "qc": run.qc_status})
        )

    @staticmethod
    def _find(message: str, queryset: QuerySet[M], value: str) -> M:
        """The first row of queryset, or a CommandError: message has a %(value)r placeholder."""
        found = queryset.first()
        if found is None:
            raise CommandError(message % {"value": value})
        return found

    def _import(self, data: bytes, filename: str, options):
        missing = [name for name in ("user", "instrument", "method") if not options[name]]
        if missing:
            raise CommandError(
                _("an import needs %(options)s (or use --dry-run)")
                % {"options": ", ".join(f"--{name}" for name in missing)}
            )
        user = self._find(_("no user %(value)r"), User.objects.filter(username=options["user"]), options["user"])
        instrument = self._find(
            _("no instrument %(value)r"), Instrument.objects.filter(serial=options["instrument"]), options["instrument"]
        )
        method = self._find(_("no method %(value)r"), Method.objects.filter(code=options["method"]), options["method"])
        return services.run_import(
            actor=user,
            data=data,
            filename=filename,
            instrument=instrument,
            method=method,
            format=options["format"],
            prep_mass_g=Decimal(options["prep_mass_g"]) if options["prep_mass_g"] else None,
            prep_volume_ml=Decimal(options["prep_volume_ml"]) if options["prep_volume_ml"] else None,
        )
