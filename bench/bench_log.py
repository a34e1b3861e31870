"""The transparency log at a million leaves (certificates.transparency), on a throw-away test
database (PostgreSQL when DATABASE_URL names one):

  (a) building it: 1,000,000 leaves appended through transparency.append_many in batches of
      BENCH_LOG_BATCH (default 10,000) per transaction (leaf, its hash, the subtree hashes it
      completes; the real append path, bulk inserts): appends per second;
  (b) appends one at a time, each in a transaction of its own (the services' case): per second;
  (c) an inclusion proof of a random leaf against the signed checkpoint (transparency.inclusion_at:
      the subtrees it needs in two indexed queries, the path, checked against the root);
  (d) a consistency proof between two random sizes (transparency.consistency);
  (e) the floor: one primary-key lookup of a leaf's hash.
Targets: (a) at least 1,000 appends/s; (c) under 10 ms (median and p95 printed).

    python bench/bench_log.py                   1,000,000 leaves (BENCH_LOG_LEAVES to change)
"""

import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lims.settings")
os.environ["LIMS_VAR_DIR"] = tempfile.mkdtemp(prefix="bench-log-")
# DEBUG off (Django would keep every statement in memory), development keys (the log key) on, under
# the throw-away VAR_DIR.
os.environ["DEBUG"] = "0"
os.environ["LIMS_GENERATE_DEV_KEYS"] = "1"
os.environ.setdefault("SECRET_KEY", "bench-log-" + os.urandom(16).hex())

import django  # noqa: E402 - after the environment it reads

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

from bench.timing import percentile  # noqa: E402
from certificates import transparency  # noqa: E402
from certificates.models import LogEntry  # noqa: E402

LEAVES = int(os.environ.get("BENCH_LOG_LEAVES", 1_000_000))
BATCH = int(os.environ.get("BENCH_LOG_BATCH", 10_000))
SAMPLES = 500


def leaf(n: int) -> dict:
    return {"v": 1, "event": "issued", "number": f"KZL-2026-{n:07d}", "time": "2026-12-07T17:59:03Z",
            "pdf_sha256": f"{n:064x}", "snapshot_sha256": f"{n + 1:064x}", "kid": "00112233aabbccdd",
            "token_kid": "8899aabbccddeeff"}  # fmt: skip


def timed(call, arguments) -> list[float]:
    seconds = []
    for argument in arguments:
        started = time.perf_counter()
        call(*argument)
        seconds.append(time.perf_counter() - started)
    return seconds


def report(label: str, seconds: list[float]) -> None:
    print(f"{label:<48} median {statistics.median(seconds) * 1000:7.3f} ms   p95 {percentile(seconds, 0.95):7.3f} ms")


def main() -> None:
    databases = setup_databases(verbosity=0, interactive=False)
    try:
        print(f"database: {connection.vendor}; {LEAVES:,} leaves in batches of {BATCH:,}")
        started = time.perf_counter()
        for first in range(0, LEAVES, BATCH):
            with transaction.atomic():
                transparency.append_many([(leaf(n), None) for n in range(first, min(LEAVES, first + BATCH))])
        built = time.perf_counter() - started
        print(f"(a) batch appends                                {LEAVES / built:10,.0f} /s  ({built:.1f} s)")
        started = time.perf_counter()
        singles = 300
        for n in range(singles):
            with transaction.atomic():
                transparency.append(leaf(LEAVES + n))
        print(f"(b) single appends, a transaction each           {singles / (time.perf_counter() - started):10,.0f} /s")
        checkpoint = transparency.sign_checkpoint()
        assert checkpoint is not None
        size = checkpoint.size
        rng = random.Random(15)
        indexes = [(rng.randrange(size),) for _ in range(SAMPLES)]
        pairs = [tuple(sorted((rng.randrange(1, size + 1), rng.randrange(1, size + 1)))) for _ in range(SAMPLES)]
        for _ in range(50):  # warm caches and the connection
            transparency.inclusion_at(rng.randrange(size))
        report(f"(c) inclusion proof, tree of {size:,}", timed(transparency.inclusion_at, indexes))
        report(f"(d) consistency proof, up to {size:,}", timed(transparency.consistency, pairs))
        report(
            "(e) floor: primary-key lookup of a leaf hash",
            timed(lambda i: LogEntry.objects.filter(index=i).values_list("leaf_hash", flat=True).first(), indexes),
        )
        started = time.perf_counter()
        leaves, _checkpoints, problems = transparency.recompute()
        print(f"verify_log over {leaves:,} leaves: {time.perf_counter() - started:.1f} s, problems: {len(problems)}")
    finally:
        teardown_databases(databases, verbosity=0)


if __name__ == "__main__":
    main()
