"""The declaration form's server time: GET /declarations/new/ as an exporter, empty and started from
one of the exporter's certificates (?certificate=<number>), on the scale dataset (customs/scale.py:
500 lots, 20 exporters, 35 results per certificate). Median and p95 over BENCH_REQUESTS (default 30)
requests through Django's test Client, and the query count of one request.

Floor, measured in the same run through the same client: GET /healthz, a bare Django JSON view; the
ratio is of the medians. Target: p95 under 300 ms, a query count that does not grow with the element list
or the certificate.

Before the element list became one <datalist> (a select of 93 elements in each of 24 rows): 34 queries,
125 KiB, median 220-390 ms, p95 370-610 ms; after: 9 queries (10 from a certificate), 36 KiB (51 KiB
with the certificate's 35 elements), median 95-155 ms, p95 145-220 ms (a 2-CPU machine under load). With
the navigation's dashboard badge and notification bell since: 12 (13) queries, median 73 (129) ms.

    python bench/bench_declaration_form.py   a throw-away test database (about 20 s to build)

Run on PostgreSQL (DATABASE_URL): on SQLite the figures say little.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lims.settings")
os.environ.setdefault("DEBUG", "1")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

from bench.timing import p95, query_count, timed_gets  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "30"))
LOTS = 500
TARGET_MS = 300


def measure(client: Client, url: str) -> tuple[int, int, float, float, int]:
    """Status, queries, median ms, p95 ms and size in bytes of GET `url`."""
    response = client.get(url)  # warm: caches, the session, compiled templates
    queries = query_count(client, url)
    timings = timed_gets(client, url, REQUESTS)
    return response.status_code, queries, statistics.median(timings) * 1000, p95(timings), len(response.content)


def main() -> int:
    from certificates.models import Certificate
    from customs import scale

    databases = setup_databases(verbosity=0, interactive=False)
    try:
        started = time.perf_counter()
        scale.build(lots=LOTS)
        print(f"dataset: {LOTS} lots built in {time.perf_counter() - started:.0f} s")
        # As served: DEBUG off, templates not instrumented (setup_test_environment() would copy the context
        # at every template rendered, each widget's included); only the test client's host allowed.
        settings.DEBUG = False
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        cast = scale.Cast.ensure()
        exporter = Client()
        exporter.force_login(cast.exporter_users[0])
        certificate = (
            Certificate.objects.filter(
                sample__lot__exporter=cast.exporters[0], status=Certificate.Status.ISSUED, number__isnull=False
            )
            .order_by("-issued_at")
            .first()
        )
        pages = [("floor: GET /healthz", "/healthz"), ("declaration form, empty", "/declarations/new/")]
        if certificate is not None:
            pages.append(
                ("declaration form, from a certificate", f"/declarations/new/?certificate={certificate.number}")
            )
        else:
            print("the exporter has no issued certificate: the prefilled form is not measured")
        print(f"database: {connection.vendor}; {REQUESTS} requests per page")
        print(f"{'page':<40} {'status':>6} {'queries':>7} {'median ms':>9} {'p95 ms':>8} {'ratio':>6} {'KiB':>6}")
        floor = None
        failed, slow = [], []
        for label, url in pages:
            status, queries, median, ours, size = measure(exporter, url)
            floor = floor or median
            print(
                f"{label:<40} {status:>6} {queries:>7} {median:>9.1f} {ours:>8.1f} {median / floor:>5.0f}x {size / 1024:>6.0f}",
                flush=True,
            )
            if status != 200:
                failed.append(f"{label} ({status})")
            if ours > TARGET_MS:
                slow.append(f"{label} ({ours:.0f} ms)")
        print(f"over {TARGET_MS} ms at p95: {', '.join(slow) if slow else 'none'}")
        if failed:
            print(f"not answered with 200: {', '.join(failed)}")
            return 1
    finally:
        teardown_databases(databases, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
