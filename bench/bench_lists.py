"""Every list (pages, API endpoints, admin changelists; lims.list_urls finds them) on the scale dataset
(customs/scale.py): its query count and p95 latency over BENCH_REQUESTS (default 20) requests through
Django's test Client, the first page with the default order and no filter, plus one search by code
on the lists that search codes.

Floor, measured in the same run: for each list, a trivial indexed SELECT of one page (25 rows, newest
id first) of the same table, p95 over as many runs. Target: p95 under 100 ms at full size, and a
query count that does not grow with rows (tests/lims/test_list_queries.py holds that).

    python bench/bench_lists.py              a throw-away test database with 500 lots (about 20 s to build)
    python bench/bench_lists.py --full       the same with 10,000 lots, 1,000,000 readings (a minute or two)
    python bench/bench_lists.py --existing   the database DATABASE_URL names as it is, holding a dataset
                                             from `manage.py build_scale_dataset` (nothing is written)

Pages and API lists are asked as the dataset's lab manager, declarations as its customs inspector (the
laboratory sees none); admin changelists as a superuser (the manager may open few of them, and a
refusal measures nothing). Run on PostgreSQL (DATABASE_URL): on
SQLite the figures say little.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lims.settings")
os.environ.setdefault("DEBUG", "1")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_databases, setup_test_environment, teardown_databases  # noqa: E402

from bench.timing import p95, query_count, timed_gets  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "20"))
SMALL_LOTS, FULL_LOTS = 500, 10_000
TARGET_MS = 100
# Searches by code, as a person types the start of a code (the lists' `q`, the API's `search`, the
# admin's `q`): the newest lot's numbers are filled in once the dataset exists.
SEARCHES = {
    "sample_list": "q={sample}",
    "api_sample_list": "search={sample}",
    "lot_list": "q={lot}",
    "api_lot_list": "search={lot}",
    "result_list": "sample={sample}",
    "api_result_list": "sample={sample}",
    "samples_sample_changelist": "q={sample}",
    "assays_result_changelist": "q={sample}",
}


def model_of(response):
    """The model a list response shows, to time the floor on its table."""
    context = getattr(response, "context", None) or {}
    if "cl" in context:
        return context["cl"].model
    if "page_obj" in context:
        return context["page_obj"].paginator.object_list.model
    view = (getattr(response, "renderer_context", None) or {}).get("view")
    if hasattr(view, "get_queryset"):
        return view.get_queryset().model
    return None


def floor(model) -> float:
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    timings = []
    with connection.cursor() as cursor:
        for _ in range(REQUESTS):
            started = time.perf_counter()
            cursor.execute(f"SELECT * FROM {table} ORDER BY {pk} DESC LIMIT 25")  # noqa: S608 - names from models
            cursor.fetchall()
            timings.append(time.perf_counter() - started)
    return p95(timings)


def measure(client: Client, url: str) -> tuple[int, int, float, object]:
    response = client.get(url)  # warm: caches, the session
    queries = query_count(client, url)
    return response.status_code, queries, p95(timed_gets(client, url, REQUESTS)), model_of(response)


def main(argv: list[str]) -> int:
    from customs import scale
    from lims.list_urls import list_urls
    from lims.models import User
    from samples.models import Lot, Sample

    existing = "--existing" in argv
    databases = None
    if not existing:
        databases = setup_databases(verbosity=0, interactive=False)
    try:
        if existing:
            if not scale.exists():
                print("--existing: this database holds no scale dataset (manage.py build_scale_dataset)")
                return 2
        else:
            lots = FULL_LOTS if "--full" in argv else SMALL_LOTS
            started = time.perf_counter()
            scale.build(lots=lots)
            print(f"dataset: {lots} lots built in {time.perf_counter() - started:.0f} s")
        # As served, DEBUG off; the test client's host allowed and the templates' context kept (to
        # find the table each page shows).
        setup_test_environment(debug=False)
        cast = scale.Cast.ensure()
        admin, _ = User.objects.get_or_create(username="scale-admin", defaults={"is_staff": True, "is_superuser": True})
        manager = Client()
        manager.force_login(cast.manager)
        superuser = Client()
        superuser.force_login(admin)
        inspector = Client()
        inspector.force_login(cast.inspector)
        newest_lot = Lot.objects.filter(lot_number__startswith=f"{scale.PREFIX}-LOT-").latest("registered_at")
        codes = {"sample": newest_lot.samples.order_by("code").first().code, "lot": newest_lot.lot_number}
        run_pk = newest_lot.samples.filter(readings__isnull=False).values_list("readings__run", flat=True).first()
        found = list_urls({"run_pk": run_pk, "code": Sample.objects.filter(lot=newest_lot).first().code})
        print(f"database: {connection.vendor}; {Lot.objects.count()} lots; {REQUESTS} requests per list")
        print(f"{'list':<48} {'status':>6} {'queries':>7} {'p95 ms':>8} {'floor ms':>8} {'ratio':>6}")
        slow, failed = [], []
        for item in found.lists:
            client = superuser if item.kind == "admin" else manager
            # Declarations are between exporters and customs: the laboratory sees none, an inspector all.
            if "declaration" in item.name and item.kind != "admin":
                client = inspector
            urls = [(item.name, item.url)]
            if item.name in SEARCHES:
                urls.append((f"{item.name} search", f"{item.url}?{SEARCHES[item.name].format(**codes)}"))
            for name, url in urls:
                status, queries, ours, model = measure(client, url)
                base = floor(model) if model is not None else float("nan")
                label = f"{item.kind} {name}"
                print(
                    f"{label:<48} {status:>6} {queries:>7} {ours:>8.1f} {base:>8.2f} {ours / base:>6.0f}x", flush=True
                )
                if status != 200:
                    failed.append(f"{label} ({status})")
                if ours > TARGET_MS:
                    slow.append(f"{label} ({ours:.0f} ms)")
        print(f"over {TARGET_MS} ms at p95: {', '.join(slow) if slow else 'none'}")
        print(f"lists not measured (URL parameters unknown): {', '.join(found.skipped) or 'none'}")
        if failed:
            print(f"not answered with 200: {', '.join(failed)}")
            return 1
    finally:
        if databases is not None:
            teardown_databases(databases, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
