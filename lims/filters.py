"""Filters the apps' FilterSets share. A FilterSet sits next to its list's selector and serves both the
list's API view (as its filterset_class) and its web page (which shows the FilterSet's form). It
narrows a queryset the selector has already scoped to what the user may see, so a filter can never
widen it."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """Matches an object id. Deliberately not a model choice: an id the user may not see filters to
    nothing, instead of an error telling the user that the object exists."""

    field_class = forms.IntegerField


class ContainsFilter(django_filters.CharFilter):
    """`q` of a list page: rows where any of `fields` contains the text, ignoring case. (The API's
    `search` parameter does the same over the view's search_fields, word by word.)"""

    def __init__(self, *fields: str, **kwargs):
        kwargs.setdefault("label", _("Search"))
        super().__init__(**kwargs)
        self.search_fields = fields

    def filter(self, qs, value):
        if not value:
            return qs
        match = Q()
        for field in self.search_fields:
            match |= Q(**{f"{field}__icontains": value})
        return qs.filter(match)


def choice_filter(choices, *, label=None, **kwargs) -> django_filters.ChoiceFilter:
    """A filter by one of `choices` (a status, unless `label` says otherwise), offered as a select whose
    empty choice reads "Any"."""
    return django_filters.ChoiceFilter(choices=choices, label=label or _("Status"), empty_label=_("Any"), **kwargs)
