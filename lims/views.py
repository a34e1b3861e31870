import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.files.storage import default_storage
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect
from kombu import Connection

logger = logging.getLogger(__name__)

# A probe that waits longer than a load balancer's own timeout (typically 5 s) tells it nothing.
READY_TIMEOUT_SECONDS = 2


@login_required
def home(request):
    """Everybody's work starts on the dashboard of what waits for them (desk)."""
    return redirect("dashboard")


def healthz(request):
    """For load balancers and monitoring: the web process answers. It touches nothing (no session,
    no database), so it is also the floor the benchmarks measure the portal's views against."""
    return JsonResponse({"ok": True})


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _broker() -> None:
    with Connection(
        settings.CELERY_BROKER_URL,
        transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        connect_timeout=READY_TIMEOUT_SECONDS,
    ) as broker:
        broker.ensure_connection(max_retries=1, timeout=READY_TIMEOUT_SECONDS)


def _storage() -> None:
    # A read, not a write: probes come every few seconds from every balancer. The name need not exist.
    default_storage.exists("health/ready")


def _static_files() -> None:
    # With DEBUG off, pages name hashed files from collectstatic's manifest; without it every page fails.
    if hasattr(staticfiles_storage, "read_manifest") and staticfiles_storage.read_manifest() is None:
        raise FileNotFoundError("no staticfiles manifest: run manage.py collectstatic")


READY_CHECKS = {"database": _database, "broker": _broker, "storage": _storage, "static_files": _static_files}


def health_ready(request):
    """For load balancers: this web process can serve (the database answers, tasks can be sent to the
    broker, the file storage answers, static files are collected). 200 when all do; 503 naming what
    failed otherwise, so a balancer takes the process out of rotation. The body names only the kind
    of error (this address needs no account); the log has the rest. `/healthz` stays the bare liveness
    probe: a process whose database is down is not dead, and restarting it would not help."""
    checks = {}
    for name, check in READY_CHECKS.items():
        try:
            check()
        except Exception as exc:
            logger.warning("health check %s failed: %s", name, exc, exc_info=True)
            checks[name] = f"failed: {type(exc).__name__}"
        else:
            checks[name] = "ok"
    ready = all(result == "ok" for result in checks.values())
    return JsonResponse({"ok": ready, "checks": checks}, status=200 if ready else 503)
