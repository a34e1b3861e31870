"""Every list of the project, found by walking the URLconf and the admin site, so a new list is
measured (bench/bench_lists.py) and held to a constant number of queries
(tests/lims/test_list_queries.py) without anyone adding it anywhere:

- a page is a list when its view pages rows with lims.web (list_page(), page_of() or list_rows());
- an API endpoint is a list when its view is a DRF ListAPIView, or an APIView named *ListApi;
- every admin changelist is a list;
- a page that shows counts and rows without paging them (a dashboard) says so with
  `view.measured_as_list = True`, and is measured as a list.

URL parameters (`run_pk`, `code`, ...) are filled from `kwargs`; a list whose parameters it does not
name is left out (and reported in `skipped`).
"""

import inspect
from dataclasses import dataclass, field

from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.generics import ListAPIView

PAGING = {"list_page", "page_of", "list_rows"}


@dataclass(frozen=True)
class ListUrl:
    kind: str  # "page", "api" or "admin"
    name: str
    url: str


@dataclass
class Found:
    lists: list[ListUrl] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _patterns(resolver: URLResolver, prefix: str = "", namespace: str = ""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _patterns(pattern, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern, namespace


def _kind(callback) -> str | None:
    if getattr(callback, "measured_as_list", False):
        return "page"
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        if issubclass(view_class, ListAPIView) or view_class.__name__.endswith("ListApi"):
            return "api"
        return None
    function = inspect.unwrap(callback)
    code = getattr(function, "__code__", None)
    if code is not None and PAGING & set(code.co_names):
        return "page"
    return None


def list_urls(kwargs: dict | None = None) -> Found:
    kwargs = kwargs or {}
    found = Found()
    for route, pattern, namespace in _patterns(get_resolver()):
        if namespace.startswith("admin:") or pattern.name is None:
            continue
        kind = _kind(pattern.callback)
        if kind is None:
            continue
        params = set(pattern.pattern.converters)
        if not params <= set(kwargs):
            found.skipped.append(route)
            continue
        url = reverse(f"{namespace}{pattern.name}", kwargs={name: kwargs[name] for name in params})
        found.lists.append(ListUrl(kind, pattern.name, url))
    for model in admin.site._registry:
        opts = model._meta
        name = f"{opts.app_label}_{opts.model_name}_changelist"
        found.lists.append(ListUrl("admin", name, reverse(f"admin:{name}")))
    return found
