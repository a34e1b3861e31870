"""Serve the development RFC 3161 timestamp authority (certificates.tsa) over HTTP.

    python manage.py run_tsa --port 8318
    LIMS_TSA_URL=http://127.0.0.1:8318/ celery -A lims worker ...

`make run` starts it beside the worker. Development keys only (DEBUG=1 or LIMS_GENERATE_DEV_KEYS=1):
its key and certificate are generated under var/keys/ on first use, its root published in
var/keys/published/roots/. Ctrl-C (or SIGTERM) stops it.
"""

import signal

from django.core.management.base import BaseCommand, CommandError

from certificates import keys, tsa


class Command(BaseCommand):
    help = "Serve the development RFC 3161 timestamp authority over HTTP (application/timestamp-query)."
    # It needs its keys and nothing else of the project (no database).
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8318, help="port (default 8318; 0: any free port)")

    def handle(self, *args, host: str, port: int, **options):
        try:
            authority = tsa.dev_authority()
        except keys.KeyConfigurationError as exc:
            raise CommandError(str(exc)) from exc
        try:
            server = tsa.TimestampServer((host, port), authority)
        except OSError as exc:
            raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc

        def stop(signum, frame):
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        self.stdout.write(f"Timestamp authority at {server.url} ({authority.certificate.subject.human_friendly})")
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
