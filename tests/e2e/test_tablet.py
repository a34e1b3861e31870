"""At tablet width (820 x 1180, a tablet held upright at the loading point or on the bench), every page
each demo role opens fits the screen: the page never scrolls sideways, and no code (a sample code, a
certificate or lot number, a seal, a hash) breaks inside itself onto two lines.

The pages are found, not listed (lims.page_urls.discover: the URLconf's pages without parameters and
every page their links lead to, as each role sees them), so a page added later is held to this too.
The demo data (seed_demo) fills them as a person sees them.
"""

import re
import threading
from contextlib import redirect_stdout
from io import StringIO

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connections
from django.test import Client, override_settings

from lims.demo import USERS
from lims.models import User
from lims.page_urls import discover

TABLET = {"width": 820, "height": 1180}

# What the browser measures on each page: how wide the document is beside the window, the element
# reaching furthest right (outside any box that scrolls or clips its content), and every word of a
# code whose pieces sit on more than one line.
MEASURE = r"""
() => {
  const width = window.innerWidth;
  const selectorOf = (el) => {
    const parts = [];
    for (let node = el; node && node.nodeType === 1 && parts.length < 5; node = node.parentElement) {
      let part = node.tagName.toLowerCase();
      if (node.id) { parts.unshift(part + "#" + node.id); break; }
      const classes = [...node.classList].slice(0, 3);
      if (classes.length) part += "." + classes.join(".");
      parts.unshift(part);
    }
    return parts.join(" > ");
  };
  // The element reaching furthest right, among those not inside a box that scrolls or clips.
  let widest = null, right = width;
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    // A box that lets its content overflow (a <pre>, a nowrap cell) reaches as far as its content.
    const reach = getComputedStyle(el).overflowX === "visible" ? Math.max(box.right, box.left + el.scrollWidth) : box.right;
    if (box.width === 0 || reach <= right) continue;
    let clipped = false;
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      const overflow = getComputedStyle(up).overflowX;
      if (overflow !== "visible") { clipped = true; break; }
    }
    if (!clipped) { widest = el; right = reach; }
  }
  // Codes broken inside a word: a word whose rectangles sit on more than one line.
  const broken = [];
  let codes = 0;
  for (const el of document.querySelectorAll(".code, code, .hash")) {
    if (!el.getClientRects().length) continue;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let text = walker.nextNode(); text; text = walker.nextNode()) {
      for (const match of text.data.matchAll(/\S+/g)) {
        const range = document.createRange();
        range.setStart(text, match.index);
        range.setEnd(text, match.index + match[0].length);
        codes += 1;
        const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        if (tops.size > 1) broken.push(`${match[0]} in ${selectorOf(el)}`);
      }
    }
  }
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: width,
    widest: widest ? `${selectorOf(widest)} (right edge at ${Math.round(right)} px)` : null,
    broken,
    codes,
    header: Math.round(document.querySelector("header.topbar")?.getBoundingClientRect().height || 0),
  };
}"""


@pytest.fixture
def demo(keys_dir, dispatched):
    """seed_demo, certificates issued. In a thread of its own: signing runs an event loop, which may not
    start in this thread while Playwright's runs here."""
    failed: list[BaseException] = []

    def seed() -> None:
        try:
            with override_settings(DEBUG=True), redirect_stdout(StringIO()):  # seed_demo runs only with DEBUG on
                call_command("seed_demo")
        except BaseException as error:  # raised again in the test's thread
            failed.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=seed)
    thread.start()
    thread.join()
    if failed:
        raise failed[0]


def signed_in(page, live_server, username: str) -> Client:
    """`username` signed in, in the test's client (to find the pages) and in the browser (the same session)."""
    client = Client(raise_request_exception=False)
    client.force_login(User.objects.get(username=username))
    page.context.clear_cookies()
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    return client


def test_every_page_of_every_role_fits_a_tablet(page, live_server, demo):
    page.set_viewport_size(TABLET)
    problems, covered, codes = [], {}, 0
    # Every demo user, one per role and more (lims.demo's, and those other apps' demos add: a broker).
    usernames = list(User.objects.order_by("pk").values_list("username", flat=True))
    assert set(USERS) <= set(usernames)
    for username in usernames:
        # Each person comes from an address of their own; here all come from one, and the public
        # portal's per-address limit (verify pages, the log's files) would answer 429 to the later ones.
        cache.clear()
        client = signed_in(page, live_server, username)
        found = discover(client)
        assert not [error for error in found.errors if not error.startswith("503 ")], found.errors
        for item in found.pages:
            response = page.goto(item.url)
            assert response is not None and response.status == 200, (
                f"{username} {item.url}: {response and response.status}"
            )
            # Still signed in: a page that lost the session would measure the login form instead.
            assert "/login/" not in page.url, f"{username} {item.url} went to {page.url}"
            seen = page.evaluate(MEASURE)
            codes += seen["codes"]
            if seen["scrollWidth"] > seen["innerWidth"]:
                problems.append(
                    f"{username} {item.url}: the page is {seen['scrollWidth']} px wide in a {seen['innerWidth']} px "
                    f"window; widest: {seen['widest']}"
                )
            problems += [f"{username} {item.url}: code broken over two lines: {word}" for word in seen["broken"]]
        covered[username] = [item.url for item in found.pages]
    print("pages opened at 820 px:", {username: len(urls) for username, urls in covered.items()})
    for username, urls in covered.items():
        print(f"{username}: {' '.join(urls)}")
    # The walk itself: every role found its pages, the laboratory its runs and an exporter its lots,
    # and codes were there to measure; otherwise the assertions below would hold vacuously.
    assert all(covered.values())
    assert any(re.fullmatch(r"/runs/\d+/", url) for url in covered["technician"])
    assert any(re.fullmatch(r"/lots/\d+/", url) for url in covered["exporter"])
    assert codes > 100
    assert not problems, "\n".join(problems)
