"""Forms of a sample's retained portions page; samples.portions decides."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from lims.forms import DecimalField, Form
from samples.models import RetainedPortion


class RetainForm(Form):
    prefix = "retain"
    kind = forms.ChoiceField(label=_("Portion"), choices=RetainedPortion.Kind.choices)
    location = forms.CharField(label=_("Storage location"), max_length=200)
    retain_until = forms.DateField(
        label=_("Retain until"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    mass_g = DecimalField(
        label=_("Mass (g)"), required=False, max_digits=10, decimal_places=2, min_value=Decimal("0.01")
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class MoveForm(Form):
    prefix = "move"
    location = forms.CharField(label=_("New location"), max_length=200)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class DisposeForm(Form):
    prefix = "dispose"
    note = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
