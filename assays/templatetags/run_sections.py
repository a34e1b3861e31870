"""The run's page pages each of its sections on its own query parameter (assays.views._run_page)."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def section_page(context, param: str, number: int) -> str:
    """This page's query string with `param` set to `number`: paging one section keeps the others'
    pages and the filters."""
    query = context["request"].GET.copy()
    query[param] = number
    return f"?{query.urlencode()}"
