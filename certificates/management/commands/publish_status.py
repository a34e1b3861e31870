"""Publish the signed key set and status list now, as the beat task does every
LIMS_STATUS_PUBLISH_SECONDS (certificates.publication). Needs the status key (LIMS_STATUS_KEY).

    python manage.py publish_status
"""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from certificates import keys, publication
from lims.lib.commands import BaseCommand


class Command(BaseCommand):
    help = gettext_noop("Sign and store a new key set and status list (needs the status key).")

    def handle(self, *args, **options):
        try:
            number = publication.publish()
        except keys.KeyConfigurationError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(_("published key set and status list no. %(number)s") % {"number": number})
