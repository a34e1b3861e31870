"""Publish the signed key set and status list now, as the beat task does every
LIMS_STATUS_PUBLISH_SECONDS (certificates.publication). Needs the status key (LIMS_STATUS_KEY).

    python manage.py publish_status
"""

from django.core.management.base import BaseCommand, CommandError

from certificates import keys, publication


class Command(BaseCommand):
    help = "Sign and store a new key set and status list (needs the status key)."

    def handle(self, *args, **options):
        try:
            number = publication.publish()
        except keys.KeyConfigurationError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"published key set and status list no. {number}")
