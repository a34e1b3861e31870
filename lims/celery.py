"""The Celery application; its configuration is the CELERY_* block of lims/settings.py.

Memory of a solo worker. Rendering leaves native memory behind (WeasyPrint's Pango, HarfBuzz and
fontconfig caches and the allocator's fragmentation: about 0.5 MB a certificate, measured with
bench/bench_worker.py --count, none of it Python objects), so a long-lived worker grows without
bound. Prefork children are replaced past CELERY_WORKER_MAX_MEMORY_PER_CHILD (Celery's own
max_memory_per_child); the solo pool of `make run` has no children, so it replaces itself: after a
task that leaves the process past the same limit, the worker stops taking tasks, finishes the one it
has (acknowledged as usual), shuts down cleanly and executes itself again with the same arguments
and the same process id (so whatever started it, and stops it, still holds the right process).
"""

import atexit
import logging
import os
import sys

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lims.settings")

app = Celery("lims")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)
_solo_worker_pid: int | None = None


def resident_kb() -> int:
    """This process's resident set size (VmRSS), in kB; 0 where /proc is not available."""
    try:
        with open(f"/proc/{os.getpid()}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


@signals.worker_ready.connect
def _note_solo_pool(sender=None, **_):
    """Remember the process of a solo worker: the only kind that must replace itself."""
    global _solo_worker_pid
    from celery.concurrency.solo import TaskPool as SoloPool

    if isinstance(getattr(sender, "pool", None), SoloPool):
        _solo_worker_pid = os.getpid()


@signals.task_postrun.connect
def _replace_a_large_solo_worker(**_):
    if _solo_worker_pid != os.getpid():
        return
    limit = app.conf.worker_max_memory_per_child
    size = resident_kb()
    if not limit or size <= limit:
        return
    from celery.worker import state

    logger.warning(
        "solo worker at %d MB, past %d MB: restarting once this task is acknowledged", size // 1024, limit // 1024
    )
    atexit.register(_execute_again)
    state.should_stop = 0


def _execute_again() -> None:
    """At exit, after Celery's clean shutdown: the same program, arguments and process id."""
    sys.stdout.flush()
    sys.stderr.flush()
    # `python -m celery` leaves celery/__main__.py in argv[0]; run as a script it would put the
    # package's own directory first on sys.path.
    program = ["-m", "celery"] if sys.argv[0].endswith("__main__.py") else [sys.argv[0]]
    os.execv(sys.executable, [sys.executable, *program, *sys.argv[1:]])  # noqa: S606 - ourselves, again
