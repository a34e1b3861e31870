"""Forms of a sample's preparation page, one per step. They parse input; assays.services.preparation
decides whether it is acceptable (a balance past its calibration, a dry mass above the wet one)."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from assays.models import Balance, Method, PreparationStep
from assays.services.preparation import PLAIN_STEPS
from lims.forms import DecimalField, Form, field_of


def _grams(label, **kwargs) -> DecimalField:
    return DecimalField(label=label, max_digits=10, decimal_places=4, min_value=Decimal(0), **kwargs)


class _StepForm(Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, methods=None, **kwargs):
        super().__init__(*args, **kwargs)
        if "balance" in self.fields:
            field_of(self, "balance", forms.ModelChoiceField).queryset = Balance.objects.filter(active=True)
        if "method" in self.fields:
            field_of(self, "method", forms.ModelChoiceField).queryset = (
                methods if methods is not None else Method.objects.none()
            )


class DryingForm(_StepForm):
    prefix = "drying"
    balance: "forms.ModelChoiceField[Balance]" = forms.ModelChoiceField(label=_("Balance"), queryset=None)
    tare_g = _grams(_("Tray tare (g)"))
    wet_g = _grams(_("Tray and wet sample (g)"))
    dry_g = _grams(_("Tray and dry sample (g)"))
    temperature_c = DecimalField(label=_("Temperature (°C)"), max_digits=5, decimal_places=1)
    duration_min = forms.IntegerField(label=_("Time (min)"), min_value=1)


class SizingForm(_StepForm):
    prefix = "sizing"
    method: "forms.ModelChoiceField[Method]" = forms.ModelChoiceField(label=_("Method"), queryset=None)
    balance: "forms.ModelChoiceField[Balance]" = forms.ModelChoiceField(label=_("Balance"), queryset=None)
    screened_g = _grams(_("Mass screened (g)"))
    retained_g = _grams(_("Mass retained on the screen (g)"))


class AliquotForm(_StepForm):
    prefix = "aliquot"
    method: "forms.ModelChoiceField[Method]" = forms.ModelChoiceField(label=_("Method"), queryset=None)
    balance: "forms.ModelChoiceField[Balance]" = forms.ModelChoiceField(label=_("Balance"), queryset=None)
    mass_g = DecimalField(label=_("Digested mass (g)"), max_digits=8, decimal_places=4, min_value=Decimal(0))
    volume_ml = DecimalField(label=_("Final volume (mL)"), max_digits=8, decimal_places=2, min_value=Decimal(0))


class PlainStepForm(_StepForm):
    prefix = "step"
    kind = forms.ChoiceField(
        label=_("Step"), choices=[(k, label) for k, label in PreparationStep.Kind.choices if k in PLAIN_STEPS]
    )
    equipment = forms.CharField(label=_("Equipment"), required=False, max_length=120)
    method: "forms.ModelChoiceField[Method]" = forms.ModelChoiceField(
        label=_("Method"), queryset=None, required=False, help_text=_("Leave empty when the step serves every method.")
    )
