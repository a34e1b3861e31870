"""The open statistics page's server time: GET /statistics/ (the page, ?format=json and ?format=csv) as a
visitor, on the scale dataset (customs/scale.py: BENCH_LOTS lots, default 2,000, so 1,000 declarations
with their citations and findings). Every request computes every cell on record (public.statistics:
five queries whatever the number of declarations); the certificates' contained masses are read from
their snapshots once and then from the cache, so the first request ("cold") reads every cited
snapshot and the others do not. Median and p95 over BENCH_REQUESTS (default 20) requests through
Django's test Client, and the query count of one request.

Floor, measured in the same run through the same client: GET /healthz, a bare Django JSON view; the
ratio is of the medians. Target: p95 under 300 ms warm.

    python bench/bench_statistics.py   a throw-away test database

Run on PostgreSQL (DATABASE_URL): on SQLite the figures say little.

Measured 2026-12-07 (2 cores, PostgreSQL 15, other test runs loading the machine), 1,000 declarations:
page median 137 ms, p95 187 ms (104 KiB); JSON 61 / 75 ms; CSV 56 / 76 ms; 4-5 queries; /healthz 0.7 ms.
The first request, reading the 1,000 cited snapshots, took 2.5 s. Before the contained masses were
cached under one key (a key each: the per-process cache keeps 300, so every request read the
snapshots again): page 346 / 508 ms, JSON 269 / 315 ms.
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
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

from bench.timing import p95, query_count, timed_gets  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "20"))
LOTS = int(os.environ.get("BENCH_LOTS", "2000"))
TARGET_MS = 300


def main() -> int:
    from customs import scale
    from customs.models import Declaration

    databases = setup_databases(verbosity=0, interactive=False)
    try:
        started = time.perf_counter()
        scale.build(lots=LOTS)
        declarations = Declaration.objects.count()
        print(f"dataset: {LOTS} lots, {declarations} declarations, built in {time.perf_counter() - started:.0f} s")
        settings.DEBUG = False
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        visitor = Client()
        # All months on record, so every cell is computed and shown.
        period = "?start=2024-01&end=2026-12"
        cache.clear()
        cold_started = time.perf_counter()
        cold = visitor.get(f"/statistics/{period}")
        cold_ms = (time.perf_counter() - cold_started) * 1000
        print(f"database: {connection.vendor}; {REQUESTS} requests per page")
        print(f"first request, contained masses not cached: {cold.status_code} {cold_ms:.0f} ms")
        print(f"{'page':<32} {'status':>6} {'queries':>7} {'median ms':>9} {'p95 ms':>8} {'ratio':>6} {'KiB':>6}")
        floor = None
        failed, slow = [], []
        pages = [
            ("floor: GET /healthz", "/healthz"),
            ("statistics page", f"/statistics/{period}"),
            ("statistics, JSON", f"/statistics/{period}&format=json"),
            ("statistics, CSV", f"/statistics/{period}&format=csv"),
        ]
        for label, url in pages:
            response = visitor.get(url)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            queries = query_count(visitor, url)
            timings = timed_gets(visitor, url, REQUESTS)
            median, ours = statistics.median(timings) * 1000, p95(timings)
            floor = floor or median
            print(
                f"{label:<32} {response.status_code:>6} {queries:>7} {median:>9.1f} {ours:>8.1f} "
                f"{median / floor:>5.0f}x {len(body) / 1024:>6.0f}",
                flush=True,
            )
            if response.status_code != 200:
                failed.append(f"{label} ({response.status_code})")
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
