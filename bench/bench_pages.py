"""Every page, as each demo role sees it: the demo data (seed_demo) in a throw-away test database,
each demo user signed in, every page they may open (lims.page_urls.discover: the URLconf's pages
without parameters and every page their links lead to, the fullest object standing for each detail
page) timed over BENCH_REQUESTS (default 20) requests through Django's test Client: p50 and p95,
the queries one request makes, the size of its HTML. Then, when Chromium and Playwright are there,
the time the browser takes to load it (navigation start to the load event, median of 3), from a
live server in this process.

Floor, measured in the same run: the lightest signed-in page (password/done/: the session, the
user, the header and nothing else), for the same user, p50 over as many requests asked in turns with
the page's, so that both meet the same load. Targets: p95 under 300 ms
on the server, under 1 s in the browser; pages over either are flagged at the end.

    python bench/bench_pages.py                  every demo user
    python bench/bench_pages.py technician       only the named users
    python bench/bench_pages.py --no-browser     server timings only

Run on PostgreSQL (DATABASE_URL): on SQLite the figures say little.
"""

import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lims.settings")
os.environ.setdefault("DEBUG", "1")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_databases, setup_test_environment, teardown_databases  # noqa: E402
from django.urls import reverse  # noqa: E402

from bench.timing import percentile, query_count  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "20"))
SERVER_TARGET_MS = 300
BROWSER_TARGET_MS = 1000
BROWSER_LOADS = 3
CHROMIUM = Path("/usr/bin/chromium")


def timed(client: Client, url: str, floor_url: str) -> tuple[float, float, float]:
    """p50 and p95 of `url`, and p50 of the floor, asked in turns so that both meet the same load."""
    client.get(url)  # warm: caches, the session
    timings, floors = [], []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        client.get(floor_url)
        floors.append(time.perf_counter() - started)
        started = time.perf_counter()
        client.get(url)
        timings.append(time.perf_counter() - started)
    return percentile(timings, 0.5), percentile(timings, 0.95), percentile(floors, 0.5)


class Browser:
    """Chromium on a live server of this process; each user's session cookie set in its context."""

    def __init__(self) -> None:
        from django.test.testcases import LiveServerThread
        from playwright.sync_api import sync_playwright

        self.server = LiveServerThread("127.0.0.1", static_handler=_static_handler(), connections_override={})
        self.server.daemon = True
        self.server.start()
        self.server.is_ready.wait()
        if self.server.error:
            raise self.server.error
        self.url = f"http://127.0.0.1:{self.server.port}"
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop runs in this thread
        self.playwright = sync_playwright().start()
        self.chromium = self.playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )

    def page_for(self, client: Client):
        context = self.chromium.new_context(base_url=self.url, viewport={"width": 820, "height": 1180})
        context.add_cookies(
            [
                {"name": name, "value": morsel.value, "url": self.url}
                for name, morsel in client.cookies.items()
                if name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME)
            ]
        )
        return context.new_page()

    def load_ms(self, page, url: str) -> float:
        page.goto(url)  # warm: static files cached, as on a device in use
        loads = []
        for _ in range(BROWSER_LOADS):
            page.goto(url, wait_until="load")
            loads.append(
                page.evaluate(
                    "() => { const t = performance.getEntriesByType('navigation')[0]; return t.loadEventEnd - t.startTime; }"
                )
            )
        return statistics.median(loads)

    def close(self) -> None:
        self.chromium.close()
        self.playwright.stop()
        self.server.terminate()
        # The server's request threads close their connections as they finish, after the browser's
        # last kept-alive socket does: the test database is dropped once they have. One that lingers
        # (a request thread the server no longer joins) is a connection of this process to its own
        # throw-away database: ended, so that the database can be dropped.
        if connection.vendor != "postgresql":
            return
        others = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        with connection.cursor() as cursor:
            for _ in range(50):
                cursor.execute(f"SELECT count(*) {others}")
                if not cursor.fetchone()[0]:
                    return
                time.sleep(0.1)
            cursor.execute(f"SELECT pg_terminate_backend(pid) {others}")


def _static_handler():
    from django.contrib.staticfiles.handlers import StaticFilesHandler

    return StaticFilesHandler


def main(argv: list[str]) -> int:
    from certificates import keys
    from lims.demo import USERS
    from lims.models import User
    from lims.page_urls import discover

    wanted = [name for name in argv if not name.startswith("--")] or list(USERS)
    unknown = sorted(set(wanted) - set(USERS))
    if unknown:
        print(f"no such demo user: {', '.join(unknown)}")
        return 2
    use_browser = "--no-browser" not in argv
    databases = setup_databases(verbosity=0, interactive=False)
    var = tempfile.TemporaryDirectory()
    settings.VAR_DIR = Path(var.name)
    settings.MEDIA_ROOT = Path(var.name) / "media"
    settings.LIMS_GENERATE_DEV_KEYS = True
    keys.reset_cache()
    browser = None
    slow, failed = [], []
    try:
        started = time.perf_counter()
        call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115 - closed at exit
        print(f"demo seeded in {time.perf_counter() - started:.0f} s; database: {connection.vendor}")
        # Pages a role may not open answer 403 while they are found; each would log its traceback.
        logging.getLogger("django.request").setLevel(logging.CRITICAL)
        # As served, DEBUG off; the test client's host allowed.
        setup_test_environment(debug=False)
        settings.DEBUG = False
        if use_browser:
            try:
                browser = Browser()
            except Exception as error:  # the server figures stand without the browser's
                print(f"browser timings left out: {error}")
        print(f"{REQUESTS} requests per page; floor: password/done/ (header only) for the same user")
        print(
            f"{'user':<11} {'page':<52} {'status':>6} {'queries':>7} {'KB':>6} {'p50 ms':>7} {'p95 ms':>7}"
            f" {'floor':>6} {'ratio':>6} {'browser':>8}"
        )
        for username in wanted:
            client = Client(raise_request_exception=False)
            client.force_login(User.objects.get(username=username))
            found = discover(client)
            # The published keys answer 503 until the beat task has published them: not the pages' fault.
            failed += [f"{username} {error}" for error in found.errors if not error.startswith("503 ")]
            floor_url = reverse("password_change_done")
            page = browser.page_for(client) if browser else None
            for item in found.pages:
                status = client.get(item.url).status_code
                queries = query_count(client, item.url)
                p50, p95, floor_p50 = timed(client, item.url, floor_url)
                loaded = browser.load_ms(page, item.url) if browser and page else float("nan")
                print(
                    f"{username:<11} {item.url:<52} {status:>6} {queries:>7} {item.size / 1024:>6.0f} {p50:>7.1f}"
                    f" {p95:>7.1f} {floor_p50:>6.1f} {p50 / floor_p50:>5.1f}x {loaded:>8.0f}",
                    flush=True,
                )
                if p95 > SERVER_TARGET_MS:
                    slow.append(f"{username} {item.url} (server p95 {p95:.0f} ms)")
                if loaded > BROWSER_TARGET_MS:
                    slow.append(f"{username} {item.url} (browser {loaded:.0f} ms)")
            if page:
                page.context.close()
        print(
            f"over {SERVER_TARGET_MS} ms (server p95) or {BROWSER_TARGET_MS} ms (browser): {', '.join(slow) or 'none'}"
        )
        if failed:
            print(f"server errors: {', '.join(failed)}")
            return 1
    finally:
        if browser:
            browser.close()
        teardown_databases(databases, verbosity=0)
        var.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
