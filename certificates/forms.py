"""Forms of the certificates pages. They parse input; certificates.services decides whether it is acceptable.

A revocation or amendment reason goes onto a signed document (the amendment, the signed status list):
the form refuses, next to the field, a character a certificate cannot print (lims.lib.text), as the
service does."""

from django import forms
from django.utils.translation import gettext_lazy as _

from certificates import languages as certificate_languages
from lims.forms import Form, ReasonForm, field_of
from lims.lib.text import validate_printable_lines
from samples.models import Sample


class RequestForm(Form):
    sample: "forms.ModelChoiceField[Sample]" = forms.ModelChoiceField(
        label=_("Sample"), queryset=None, to_field_name="code"
    )
    # Every allowed pair in either order (certificates.languages), the configured default first and
    # chosen; left out (an older client), the service takes the default.
    languages = forms.ChoiceField(
        label=_("Languages"),
        choices=(),
        required=False,
        help_text=_(
            "The certificate is printed in both: the first language first, the second after it in a lighter style."
        ),
    )

    def __init__(self, *args, samples, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sample"].queryset = samples
        field_of(self, "languages", forms.ChoiceField).choices = certificate_languages.choices()
        self.fields["languages"].initial = certificate_languages.value(certificate_languages.default())
        self.fields["sample"].label_from_instance = lambda s: f"{s.code} · {s.lot.lot_number} · {s.lot.exporter}"


class RevokeForm(ReasonForm):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        validators=[validate_printable_lines],
        help_text=_("Shown to inspectors on the verification portal and in the signed status list."),
    )


class AmendForm(ReasonForm):
    reason = forms.CharField(
        label=_("What changed and why"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        validators=[validate_printable_lines],
        help_text=_("Printed on the amendment, with the differences the system finds between the two."),
    )
