"""Query-string filters of the API's lists. They narrow a queryset a selector has already scoped
to what the user may see, so a filter can never widen it."""

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from samples.models import Lot, Nonconformance, Sample


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """Matches an object id. Deliberately not a model choice: an id the user may not see filters to
    nothing, instead of an error telling the user that the object exists."""

    field_class = forms.IntegerField


class LotFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Lot.Status.choices)
    material = django_filters.CharFilter(field_name="material__code", help_text="Material code.")
    exporter = IdFilter(field_name="exporter_id", help_text="Exporter organisation id.")

    class Meta:
        model = Lot
        fields = ["status", "material", "exporter"]


class SampleFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Sample.Status.choices)
    purpose = django_filters.ChoiceFilter(choices=Sample.Purpose.choices)
    lot = IdFilter(field_name="lot_id", help_text="Lot id.")
    custodian = django_filters.ChoiceFilter(
        choices=[("me", "me")], method="filter_custodian", help_text="`me`: samples in the caller's custody."
    )

    class Meta:
        model = Sample
        fields = ["status", "purpose", "lot", "custodian"]

    def filter_custodian(self, queryset, name, value):
        return queryset.filter(current_custodian=self.request.user)


class NonconformanceFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Nonconformance.Status.choices)

    class Meta:
        model = Nonconformance
        fields = ["status"]
