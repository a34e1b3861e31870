"""Celery throughput: certificates issued per minute by one worker process and by two, in one run,
with the CPU seconds each certificate costs; and, with --count, the memory of one `make run`-style
worker (`--pool solo`) over many issues.

Real workers: `celery -A lims worker --pool solo -Q pdf` subprocesses (one process each, so their CPU
is read from /proc/<pid>/stat and their RSS from /proc/<pid>/status), on the Redis that REDIS_URL
names (use a database of your own: it is flushed before and after) and a throw-away PostgreSQL
database made from DATABASE_URL (test_<name>, dropped at the end), with the demo data, development
keys and the local timestamp authority (in this process, over HTTP) in a temporary directory.

The certificates are copies of the demo's pending amendment (same sample and frozen snapshot, no
`supersedes`), requested in bulk so the workers never wait on the requester: each is numbered,
rendered, signed (PAdES B-LTA) and stored like any other. Each worker issues one certificate to warm
up (fonts, keys) before the timed batch.

Floor, measured in the same run: the issue task of one certificate called in this process on a warm
cache (as bench/bench_certificate.py measures it), as certificates per minute of one process.

    REDIS_URL=redis://127.0.0.1:6379/9 DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench \\
        python bench/bench_worker.py [--certificates N] [--count N]

--certificates N   certificates per timed batch (default 20)
--count N          also issue N certificates through one solo worker and print its RSS every tenth
                   of the way (the memory of `make run`'s worker, where max_memory_per_child does
                   not apply)

Scaling: two worker processes can issue twice as fast only with two cores free for them (issuing is
CPU-bound: WeasyPrint and the signature). On a machine whose other cores are busy (a CI runner, a
shared laptop), the second worker adds little and the figure to read is CPU seconds per certificate:
certificates per minute per core = 60 / that. To measure scaling, run this on a machine with at least
three idle cores (two workers and PostgreSQL, Redis and this process beside them), check with `top`
that nothing else runs, and compare "2 workers" with "1 worker": near 2x means the workers scale;
well below with idle cores left means a shared bottleneck (database locks, the timestamp authority).
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lims.settings")
os.environ.setdefault("DEBUG", "1")

import django

django.setup()

import redis  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a live process (/proc/<pid>/stat, fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def request_copies(template, n: int) -> list[int]:
    """n pending certificates with the template's sample and snapshot, requested at once."""
    from certificates.models import Certificate

    return [
        certificate.pk
        for certificate in Certificate.objects.bulk_create(
            Certificate(
                sample_id=template.sample_id,
                snapshot=template.snapshot,
                snapshot_sha256=template.snapshot_sha256,
                requested_by_id=template.requested_by_id,
                status=Certificate.Status.PENDING,
            )
            for _ in range(n)
        )
    ]


def issue_all(ids: list[int], timeout: float) -> float:
    """Send the issue tasks and wait until every one is issued; the seconds it took."""
    from certificates import tasks
    from certificates.models import Certificate

    started = time.perf_counter()
    for pk in ids:
        tasks.issue_certificate.apply_async(args=[pk])
    while True:
        done = Certificate.objects.filter(pk__in=ids, status=Certificate.Status.ISSUED).count()
        if done == len(ids):
            return time.perf_counter() - started
        failed = list(Certificate.objects.filter(pk__in=ids, status=Certificate.Status.FAILED).values_list("failure"))
        if failed or time.perf_counter() - started > timeout:
            raise SystemExit(f"issued {done} of {len(ids)}; failed: {failed[:3]}")
        time.sleep(0.2)


class Workers:
    def __init__(self, n: int, env: dict, log_dir: Path):
        self.processes = [
            subprocess.Popen(  # noqa: S603 - our own worker command
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "lims",
                    "worker",
                    "--pool",
                    "solo",
                    "-Q",
                    "pdf",
                    "--without-mingle",
                    "--without-gossip",
                    "--loglevel",
                    "WARNING",
                    "-n",
                    f"bench{i}@%h",
                ],
                cwd=ROOT,
                env=env,
                stdout=open(log_dir / f"worker{i}.log", "w"),  # noqa: SIM115 - the worker holds it
                stderr=subprocess.STDOUT,
            )
            for i in range(n)
        ]

    def cpu(self) -> float:
        return sum(cpu_seconds(p.pid) for p in self.processes)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(timeout=30)


def main(argv: list[str]) -> int:
    from certificates import keys, services, tasks, tsa
    from certificates.models import Certificate
    from lims.models import User

    n = int(argv[argv.index("--certificates") + 1]) if "--certificates" in argv else 20
    count = int(argv[argv.index("--count") + 1]) if "--count" in argv else 0
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        print("needs DATABASE_URL (PostgreSQL) and REDIS_URL (a Redis database of its own)", file=sys.stderr)
        return 2
    broker = redis.Redis.from_url(settings.REDIS_URL)
    broker.flushdb()
    databases = setup_databases(verbosity=0, interactive=False)
    var = tempfile.TemporaryDirectory()
    settings.VAR_DIR = Path(var.name)
    settings.MEDIA_ROOT = Path(var.name) / "media"
    settings.LIMS_GENERATE_DEV_KEYS = True
    keys.reset_cache()
    server = tsa.serve_in_thread(tsa.dev_authority())
    settings.LIMS_TSA_URL = server.url
    url = urlsplit(os.environ["DATABASE_URL"])
    env = {
        **os.environ, "DEBUG": "1", "LIMS_VAR_DIR": var.name, "LIMS_GENERATE_DEV_KEYS": "1",
        "LIMS_TSA_URL": server.url, "DATABASE_URL": urlunsplit(url._replace(path="/" + connection.settings_dict["NAME"])),
    }  # fmt: skip
    workers = None
    try:
        call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115 - closed at exit
        manager = User.objects.get(username="manager")
        current = Certificate.objects.filter(status="issued").earliest("pk")
        template = services.certificate_amend(actor=manager, certificate=current, reason="Benchmark.")
        # The floor: the task in this process, warm (its first call loads fonts and keys).
        floor = []
        for pk in request_copies(template, 4):
            started = time.perf_counter()
            tasks.issue_certificate(pk)
            floor.append(time.perf_counter() - started)
        floor_s = sorted(floor[1:])[1]
        print(
            f"database: postgresql; {n} certificates a batch; solo worker processes, queue pdf; {os.cpu_count()} cores"
        )
        print(f"floor: issue task in process, warm: {floor_s:.2f} s = {60 / floor_s:.0f} certificates/min")
        rates = {}
        for processes in (1, 2):
            workers = Workers(processes, env, Path(var.name))
            issue_all(request_copies(template, processes * 2), timeout=300)  # warm every worker
            cpu_before = workers.cpu()
            seconds = issue_all(request_copies(template, n), timeout=60 * n)
            cpu = workers.cpu() - cpu_before
            workers.stop()
            workers = None
            rates[processes] = 60 * n / seconds
            print(
                f"{processes} worker{'s' if processes > 1 else ' '}: {rates[processes]:6.1f} certificates/min, "
                f"{seconds / n:.2f} s wall and {cpu / n:.2f} CPU s a certificate (workers' own CPU)"
            )
        print(f"scaling 1 -> 2 workers: {rates[2] / rates[1]:.2f}x (2.00x needs two free cores; see the docstring)")
        if count:
            memory(count, template, env, Path(var.name))
    finally:
        if workers is not None:
            workers.stop()
        server.shutdown()
        server.server_close()
        teardown_databases(databases, verbosity=0)
        var.cleanup()
        broker.flushdb()
    return 0


def memory(count: int, template, env: dict, log_dir: Path) -> None:
    """RSS of one solo worker every tenth of `count` issues, after a warm-up issue."""
    workers = Workers(1, env, log_dir)
    try:
        pid = workers.processes[0].pid
        issue_all(request_copies(template, 1), timeout=300)
        start = rss_mb(pid)
        step = max(1, count // 10)
        print(f"solo worker RSS over {count} certificates: after warm-up {start:.0f} MB")
        for done in range(step, count + 1, step):
            issue_all(request_copies(template, step), timeout=60 * step)
            print(f"  after {done:5d}: {rss_mb(pid):6.0f} MB ({rss_mb(pid) - start:+.0f} MB)")
        limit = settings.CELERY_WORKER_MAX_MEMORY_PER_CHILD / 1024
        print(f"(prefork children are replaced past {limit:.0f} MB; a solo worker is not)")
    finally:
        workers.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
