"""The lab manager's form that fixes a control series' baseline (assays.services.baselines)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from assays.models import Run
from lims.forms import Form, field_of
from samples.forms import LocalDateTimeField


class BaselineForm(Form):
    """A period (from and to, in the laboratory's time zone) or chosen runs, and why. The service
    decides whether they hold enough results; its refusal shows next to the field it names."""

    period_start = LocalDateTimeField(label=_("From"), help_text="")
    period_end = LocalDateTimeField(label=_("To"), help_text="")
    runs = forms.ModelMultipleChoiceField(
        label=_("Or these runs"),
        queryset=Run.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Required when a baseline in force is replaced: say why (new lot of the material, instrument repair...)."
        ),
    )

    def __init__(self, *args, runs, **kwargs):
        super().__init__(*args, **kwargs)
        field_of(self, "runs", forms.ModelMultipleChoiceField).queryset = runs
