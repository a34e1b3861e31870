from django import forms
from django.utils.translation import gettext_lazy as _

from certificates.models import Certificate
from samples.forms import Form, _with_blank


class RequestForm(Form):
    sample = forms.ModelChoiceField(label=_("Sample"), queryset=None, to_field_name="code")

    def __init__(self, *args, samples, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sample"].queryset = samples
        self.fields["sample"].label_from_instance = lambda s: f"{s.code} · {s.lot.lot_number} · {s.lot.exporter}"


class ReasonForm(Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class AmendForm(Form):
    reason = forms.CharField(
        label=_("What changed and why"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Printed on the amendment, with the differences the system finds between the two."),
    )


class CertificateFilterForm(Form):
    q = forms.CharField(label=_("Search"), required=False, help_text=_("Certificate or lot number."))
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=_with_blank(Certificate.Status.choices, _("Any"))
    )
