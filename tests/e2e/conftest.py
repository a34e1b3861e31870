"""Browser journeys: Playwright (sync API) drives Debian's Chromium against pytest-django's live
server, so a journey goes through the same pages, forms, redirects and static files a person uses.

Every test here is marked `e2e` and runs on a transactional database: the live server answers from
its own thread, which sees only committed rows. `serialized_rollback` brings back what the data
migrations load (roles, materials) after each test's flush.

A journey takes the `page` fixture and logs people in with `login()`:

    def test_it_works(page, live_server, sampler):
        login(page, live_server, sampler)
        page.get_by_role("link", name="Samples").click()
"""

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connections

from tests.conftest import PASSWORD, require_or_skip

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # the test skips (or fails under CI) and says why
    expect = sync_playwright = None

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
# Pages answer in milliseconds; a step that has not happened after this long will not happen.
TIMEOUT_MS = 10_000
SCREENSHOTS = "test-results"

_HERE = Path(__file__).parent
_call_failed = pytest.StashKey[bool]()


def pytest_collection_modifyitems(items):
    # This hook sees the whole session's items, not just this folder's.
    for item in items:
        if _HERE in item.path.parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        item.stash[_call_failed] = True
    return report


@pytest.fixture(autouse=True)
def _cookies_over_plain_http(settings):
    """Tests run with DEBUG off, so the session and CSRF cookies are marked Secure; the live server
    speaks plain HTTP, over which browsers drop Secure cookies and every login would fail. Chromium
    spares loopback addresses, but not every browser does, nor would a --liveserver address another
    device can reach. The server runs in this process, so it reads the overridden settings."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


@pytest.fixture(scope="package")
def browser():
    """Chromium, shared by the journeys in this folder. Not by the whole session: while Playwright
    runs, its event loop runs in this thread, and the tests pytest-django runs after these (those
    without a database) would find it there: asyncio.run(), which PDF signing calls, refuses to
    start inside a running loop."""
    require_or_skip(sync_playwright is not None, "the playwright package is not installed")
    require_or_skip(CHROMIUM.exists(), f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    expect.set_options(timeout=TIMEOUT_MS)
    with pytest.MonkeyPatch.context() as env:
        # With the loop running, Django takes every ORM call of this thread (fixtures building
        # users, a journey checking the database, the flush after each test) for a call from async
        # code and refuses it. The calls are synchronous; the loop only carries messages to the
        # browser.
        env.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        thread_connections = {alias: connections[alias] for alias in connections}
        playwright = sync_playwright().start()
        # With the loop running, Django also looks the thread's connections up in another,
        # context-local store (asgiref's Local) and would open second ones: those lack the
        # serialized contents of the test database, so the next test would start without roles
        # and materials. Keep the thread's own.
        for alias, connection in thread_connections.items():
            connections[alias] = connection
        try:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
        finally:
            playwright.stop()


@pytest.fixture
def page(browser, live_server, request):
    """A fresh browser (no cookies) in English and the laboratory's time zone, as the lab's
    devices are set up. A server error or a missing static file fails the test even when the
    journey's assertions would not notice; a failed test leaves a screenshot in test-results/."""
    context = browser.new_context(base_url=live_server.url, locale="en-GB", timezone_id=django_settings.TIME_ZONE)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems = []
    static = f"{live_server.url}/{django_settings.STATIC_URL.lstrip('/')}"

    def check(response):
        if response.status >= 500 or (response.status >= 400 and response.url.startswith(static)):
            problems.append(f"{response.status} {response.request.method} {response.url}")

    def check_failed(request):
        # An aborted request is one the page no longer wanted: it navigated on.
        if request.failure != "net::ERR_ABORTED":
            problems.append(f"{request.failure} {request.method} {request.url}")

    page.on("response", check)
    page.on("requestfailed", check_failed)
    yield page
    if request.node.stash.get(_call_failed, False):
        path = request.config.rootpath / SCREENSHOTS / (re.sub(r"[^\w.-]+", "_", request.node.nodeid) + ".png")
        page.screenshot(path=path, full_page=True)
        print(f"screenshot of the page at failure: {path}")
    context.close()
    assert not problems, f"the browser met server errors or missing files: {problems}"


def login(page, live_server, user) -> None:
    """Log `user` in through the login form, as a person does. Whoever is logged in on this page
    logs out first, as when a tablet is handed to the next person."""
    log_out = page.get_by_role("button", name="Log out")
    if log_out.count():
        log_out.click()
        page.wait_for_url("**/login/")
    else:
        page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # The page names who is logged in; a wrong password would leave the login form instead.
    expect(page.locator(".account")).to_contain_text(str(user))
