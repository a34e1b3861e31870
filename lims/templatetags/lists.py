"""Template tags of list pages (lims.web.Listing): a column header that sorts the list, and the links
that download what the list shows. Both keep the query string's filters; a new sort goes back to the
first page, and a download takes all pages.

    {% load lists %}
    <th>...</th> → {% sort_header "mass" _("Wet mass (t)") %}
    {% export_links %}
"""

from django import template
from django.http import HttpRequest
from django.utils.translation import gettext as _

from lims.web import EXPORT_FORMATS, FORMAT_PARAM, SORT_PARAM

register = template.Library()

PAGE_PARAM = "page"


def _query(request: HttpRequest, **values: str) -> str:
    """The request's query string without its page, with `values` set."""
    query = request.GET.copy()
    query.pop(PAGE_PARAM, None)
    query.pop(FORMAT_PARAM, None)
    for name, value in values.items():
        query[name] = value
    return "?" + query.urlencode()


@register.inclusion_tag("lims/_sort_header.html", takes_context=True)
def sort_header(context, key: str, label: str, css_class: str = "") -> dict:
    """A `<th>` whose link sorts the list by `key` (one of its Listing's sorts): ascending first, then
    the other way round; the sorted column says so (aria-sort and an arrow)."""
    request = context["request"]
    listing = context.get("listing")
    current = request.GET.get(SORT_PARAM, "")
    sortable = listing is not None and key in listing.sorts
    direction = "ascending" if current == key else "descending" if current == f"-{key}" else ""
    return {
        "label": label,
        "css_class": css_class,
        "sortable": sortable,
        "direction": direction,
        "href": _query(request, **{SORT_PARAM: f"-{key}" if direction == "ascending" else key}),
    }


@register.inclusion_tag("lims/_export_links.html", takes_context=True)
def export_links(context) -> dict:
    """Links that download every row the list's filters keep, in the order it is sorted, as CSV and
    XLSX; nothing when the page has no Listing."""
    request = context["request"]
    if context.get("listing") is None:
        return {"links": []}
    return {
        "links": [(kind.upper(), _query(request, **{FORMAT_PARAM: kind})) for kind in EXPORT_FORMATS],
        "title": _("Download every row these filters keep"),
    }
