"""Compile the product's translation catalogues (locale/<language>/LC_MESSAGES/*.po) into the .mo files
Django reads, as `compilemessages` does, but without GNU gettext: a fresh clone runs `make run` and
`make test` on a machine that has only Python (polib writes the .mo). The .mo files are build output,
not kept in git. A catalogue whose .mo is newer than its .po is left alone. Every folder of LOCALE_PATHS is
compiled: the product's locale/ and lims/countries/locale (the Kazakh country names django-countries lacks).

Placeholders are checked by the catalogue tests (msgfmt --check-format where GNU gettext is present,
and a check of every msgstr's %(name)s placeholders against its msgid in Python)."""

from pathlib import Path

import polib
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from lims.lib.commands import BaseCommand


class Command(BaseCommand):
    help = gettext_noop("Compile locale/*/LC_MESSAGES/*.po into .mo files (no GNU gettext needed).")

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help=gettext_lazy("Compile even where the .mo is up to date.")
        )

    def handle(self, *args, force: bool = False, **options):
        compiled = 0
        for folder in settings.LOCALE_PATHS:
            for po_path in sorted(Path(folder).glob("*/LC_MESSAGES/*.po")):
                mo_path = po_path.with_suffix(".mo")
                if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                catalogue = polib.pofile(str(po_path))
                # Written next to the .po under a temporary name, then renamed: a server reading the
                # old file never sees half a new one.
                partial = mo_path.with_suffix(".mo.partial")
                catalogue.save_as_mofile(str(partial))
                partial.replace(mo_path)
                compiled += 1
                if options["verbosity"] >= 2:
                    self.stdout.write(
                        _("%(path)s: %(percent)s %% translated")
                        % {"path": po_path, "percent": catalogue.percent_translated()}
                    )
        if options["verbosity"] >= 1:
            self.stdout.write(_("%(count)d catalogue(s) compiled.") % {"count": compiled})
