"""Serve the development RFC 3161 timestamp authority (certificates.tsa) over HTTP.

    python manage.py run_tsa --port 8318
    LIMS_TSA_URL=http://127.0.0.1:8318/ celery -A lims worker ...

`make run` starts it beside the worker. Development keys only (DEBUG=1 or LIMS_GENERATE_DEV_KEYS=1):
its key and certificate are generated under var/keys/ on first use, its root published in
var/keys/published/roots/. Ctrl-C (or SIGTERM) stops it.
"""

import signal

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from certificates import keys, tsa
from lims.lib.commands import BaseCommand


class Command(BaseCommand):
    help = gettext_noop("Serve the development RFC 3161 timestamp authority over HTTP (application/timestamp-query).")
    # It needs its keys and nothing else of the project (no database).
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--host", default="127.0.0.1", help=gettext_lazy("address to listen on (default 127.0.0.1)")
        )
        parser.add_argument(
            "--port", type=int, default=8318, help=gettext_lazy("port (default 8318; 0: any free port)")
        )

    def handle(self, *args, host: str, port: int, **options):
        try:
            authority = tsa.dev_authority()
        except keys.KeyConfigurationError as exc:
            raise CommandError(str(exc)) from exc
        try:
            server = tsa.TimestampServer((host, port), authority)
        except OSError as exc:
            raise CommandError(
                _("cannot listen on %(address)s: %(error)s") % {"address": f"{host}:{port}", "error": exc.strerror}
            ) from exc

        def stop(signum, frame):
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        self.stdout.write(
            _("Timestamp authority at %(url)s (%(subject)s)")
            % {"url": server.url, "subject": authority.certificate.subject.human_friendly}
        )
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
