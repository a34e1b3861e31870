"""`make stack` (deploy/stack.sh and the Procfile) brings the production shape up: a person logs in
through it in a browser, and `manage.py check --deploy` is clean under its settings.

The browser test runs the script itself on free ports, a throw-away database `stack_e2e` and a
throw-away stack directory, as an operator runs it from a fresh clone (PostgreSQL and Redis answer
already here; the script would start them otherwise)."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.conftest import require_or_skip
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "stack.sh"
# From a fresh start to every process ready: migrations, collectstatic, key generation, eight processes.
START_TIMEOUT = 240


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stack_environment(stack_dir: Path, **variables: str) -> dict[str, str]:
    """The caller's environment without the test settings (tests/environment.py), plus these."""
    test_only = ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    environment = {k: v for k, v in os.environ.items() if k not in test_only}
    return {**environment, "LIMS_STACK_DIR": str(stack_dir), "PY": sys.executable, **variables}


def read_env_file(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if line and not line.startswith("#"))


def test_check_deploy_is_clean_under_the_stacks_settings(tmp_path):
    written = subprocess.run(
        [str(SCRIPT), "--env"], env=stack_environment(tmp_path), capture_output=True, text=True, timeout=120
    )
    assert written.returncode == 0, written.stderr
    stack_env = read_env_file(Path(written.stdout.strip()))
    # The web process's environment names no private key and may not generate one.
    assert not [name for name in stack_env if name.startswith(("LIMS_SIGNING", "LIMS_TOKEN", "LIMS_STATUS_KEY"))]
    assert "LIMS_GENERATE_DEV_KEYS" not in stack_env

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env={**stack_environment(tmp_path), **stack_env}, capture_output=True, text=True, timeout=180,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.fixture
def stack_database():
    """A fresh `stack_e2e` on the suite's PostgreSQL, dropped afterwards."""
    url = os.environ.get("DATABASE_URL", "")
    require_or_skip(url.startswith("postgres"), "DATABASE_URL does not name a PostgreSQL server")
    require_or_skip(bool(os.environ.get("REDIS_URL")), "REDIS_URL is not set")
    import psycopg

    parts = urlsplit(url)
    server = urlunsplit(parts._replace(path="/postgres"))

    def drop():
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute("DROP DATABASE IF EXISTS stack_e2e WITH (FORCE)")

    drop()
    yield urlunsplit(parts._replace(path="/stack_e2e"))
    drop()


@pytest.fixture
def stack(tmp_path, stack_database):
    """deploy/stack.sh running; yields (base URL, the administrator's one-time password)."""
    require_or_skip(Path("/usr/bin/openssl").exists(), "openssl is not installed")
    port = free_port()
    redis = os.environ["REDIS_URL"]
    log = tmp_path / "stack.log"
    environment = stack_environment(
        tmp_path / "stack",
        PORT=str(port),
        TSA_PORT=str(free_port()),
        DATABASE_URL=stack_database,
        REDIS_URL=redis,
        CACHE_URL=redis,
        WEB_CONCURRENCY="1",
        LIMS_PDF_CONCURRENCY="1",
    )
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(SCRIPT)], cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"https://127.0.0.1:{port}"
    try:
        password = wait_until_ready(process, log, base)
        yield base, password
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # honcho stops every process it started
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_until_ready(process: subprocess.Popen, log: Path, base: str) -> str:
    import ssl
    import urllib.request

    insecure = ssl.create_default_context()
    insecure.check_hostname = False
    insecure.verify_mode = ssl.CERT_NONE  # the stack's self-signed certificate
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, f"deploy/stack.sh stopped:\n{log.read_text()[-5000:]}"
        try:
            with urllib.request.urlopen(f"{base}/health/ready", context=insecure, timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    break
        except OSError:
            pass
        time.sleep(1)
    else:
        raise AssertionError(f"the stack did not become ready:\n{log.read_text()[-5000:]}")
    found = re.search(r"First login: user admin, one-time password (\S+)", log.read_text())
    assert found, log.read_text()[-5000:]
    return found[1]


def test_an_administrator_logs_in_through_the_stack(stack):
    require_or_skip(CHROMIUM.exists(), f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        require_or_skip(False, "the playwright package is not installed")
    base, password = stack

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(ignore_https_errors=True, locale="en-GB")
        page = context.new_page()
        failures = []
        page.on("response", lambda r: r.status >= 400 and failures.append(f"{r.status} {r.url}"))
        # Chromium reports what the Content-Security-Policy refused on the console.
        page.on("console", lambda m: "Content Security Policy" in m.text and failures.append(m.text))

        page.goto(f"{base}/login/")
        page.get_by_label("Username").fill("admin")
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()

        # Logged in: the page names who, over Secure cookies, with static files from collectstatic.
        expect(page.locator(".account")).to_contain_text("admin", timeout=15_000)
        hsts = page.request.get(f"{base}/login/").headers.get("strict-transport-security", "")
        assert "max-age=31536000" in hsts
        # Pages with scripts of their own, the admin and Swagger UI run under the policy without a refusal.
        for address, shown in (
            ("/verify/", "#by-number"),
            ("/api/docs/", ".swagger-ui .info"),
            ("/admin/", "#content"),
        ):
            page.goto(f"{base}{address}")
            expect(page.locator(shown).first).to_be_visible(timeout=15_000)
        browser.close()
    assert not failures, failures
