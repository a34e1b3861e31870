"""Publish the open statistics now, as the daily beat task does (public.publication): each closed
month whose figures changed since its last publication, signed with the transparency log's key and
logged. Needs the log key.

    python manage.py publish_statistics
"""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from certificates import keys
from lims.lib.commands import BaseCommand
from public import publication


class Command(BaseCommand):
    help = gettext_noop("Sign, log and store the statistics of each closed month that changed (needs the log key).")

    def handle(self, *args, **options):
        try:
            made = publication.publish()
        except keys.KeyConfigurationError as exc:
            raise CommandError(str(exc)) from exc
        if not made:
            self.stdout.write(_("no month changed since its last publication"))
        for item in made:
            self.stdout.write(
                _("published the statistics of %(period)s as no. %(number)s")
                % {"period": item.period, "number": item.number}
            )
