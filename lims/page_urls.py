"""Every page a person opens, found the way a person finds them: the URLconf's pages without parameters
(lists, forms, the home page), then every page their links lead to (a lot, its samples, a sample's
results, a run...), one signed-in user at a time. A page added later is found without anyone listing
it: bench/bench_pages.py times each, tests/e2e/test_tablet.py opens each at tablet width.

A page is an HTML answer (200, text/html) to a GET of an address outside api/ and admin/. Where a
route is linked many times (every lot of the lot list), each of its addresses (or the first `per_route`)
is opened and the largest answer stands for the route: the demo's fullest run, lot or sample, which a page's
size and speed depend on.
"""

from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Protocol
from urllib.parse import urlsplit

from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse

SKIP_PREFIXES = ("api/", "admin/")


class _Client(Protocol):  # django.test.Client(raise_request_exception=False), signed in
    def get(self, path: str, *args, **kwargs): ...


@dataclass(frozen=True)
class Page:
    route: str  # the URL pattern, e.g. "runs/<int:run_pk>/"
    name: str  # the URL name
    url: str  # the address opened: the largest of those found
    size: int  # bytes of its HTML


@dataclass
class Found:
    pages: list[Page] = field(default_factory=list)
    # Routes of pages this user was refused or that answer no HTML (PDFs, JSON, redirects of POST-only
    # actions), and pattern routes no link of theirs led to.
    not_pages: list[str] = field(default_factory=list)
    unreached: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "500 /address/": a server error is never a page


def _patterns(resolver: URLResolver, prefix: str = ""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def _is_page_route(route: str, pattern: URLPattern) -> bool:
    if route.startswith(SKIP_PREFIXES) or pattern.name is None:
        return False
    # DRF views (the API's, and its documentation) answer JSON, wherever they are mounted.
    view_class = getattr(pattern.callback, "view_class", None) or getattr(pattern.callback, "cls", None)
    return not any(
        getattr(cls, "__module__", "").startswith("rest_framework") for cls in getattr(view_class, "__mro__", ())
    )


def page_routes() -> list[tuple[str, str]]:
    """(route, URL name) of every route that may be a page."""
    return [(route, pattern.name) for route, pattern in _patterns(get_resolver()) if _is_page_route(route, pattern)]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def _links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.hrefs


def _route_of(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.route


def discover(client: _Client, *, per_route: int | None = None) -> Found:
    """The pages `client`'s user may open, each route once (see the module's docstring)."""
    routes = dict(page_routes())
    queue: deque[str] = deque()
    for route, name in routes.items():
        if "<" not in route:
            queue.append(reverse(name))
    seen: set[str] = set(queue)
    opened: dict[str, int] = {}  # route -> addresses opened
    best: dict[str, Page] = {}
    refused: set[str] = set()
    errors: list[str] = []
    while queue:
        url = queue.popleft()
        matched = _route_of(url)
        if matched is None or matched not in routes or (per_route and opened.get(matched, 0) >= per_route):
            continue
        route = matched
        opened[route] = opened.get(route, 0) + 1
        response = client.get(url)
        if response.status_code >= 500:
            errors.append(f"{response.status_code} {url}")
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            refused.add(route)
            continue
        body = response.content
        if route not in best or len(body) > best[route].size:
            best[route] = Page(route, routes[route], url, len(body))
        for href in _links(body.decode(response.charset or "utf-8", errors="replace")):
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            if parts.path not in seen:
                seen.add(parts.path)
                queue.append(parts.path)
    return Found(
        pages=sorted(best.values(), key=lambda page: page.route),
        not_pages=sorted(refused - set(best)),
        unreached=sorted(route for route in routes if route not in opened),
        errors=errors,
    )
