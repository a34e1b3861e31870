"""Forms of the samples pages. They parse and describe input; the services decide whether it is
acceptable. A form's cleaned_data carries exactly the keyword arguments of the service it feeds.
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from lims import permissions
from lims.exceptions import ApplicationError
from lims.forms import AcceptOrRejectForm, DecimalField, Form, RowsFormSet, field_of, with_blank
from lims.lib.text import validate_printable
from lims.models import Organisation, User
from samples import selectors
from samples.models import Material, Priority, Sample, validate_seal_number
from samples.services import PURPOSE_LETTER, SplitSpec

# The purposes a split may have: every purpose but "composite".
SPLIT_PURPOSES = [(value, label) for value, label in Sample.Purpose.choices if value in PURPOSE_LETTER]
# The splits a sampler usually makes at the loading point, offered in the first rows.
DEFAULT_SPLIT_PURPOSES = [Sample.Purpose.LABORATORY, Sample.Purpose.EXPORTER, Sample.Purpose.ARCHIVE]


class SealNumberField(forms.CharField):
    """Seal numbers are printed in capitals; people type them any way."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("widget", forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        return super().to_python(value).upper()


class LocalDateTimeField(forms.DateTimeField):
    """A time picked on the device, read in the installation's time zone; empty means now."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Time"))
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("Leave empty for now."))
        super().__init__(**kwargs)


# Lots -----------------------------------------------------------------------------------------


class LotForm(Form):
    """A lot as the exporter declares it. Its text fields print on the certificate, so a character a
    certificate cannot print is refused next to its field (lims.lib.text)."""

    exporter: "forms.ModelChoiceField[Organisation]" = forms.ModelChoiceField(label=_("Exporter"), queryset=None)
    lot_number = forms.CharField(label=_("Lot number"), max_length=40, validators=[validate_printable])
    material = forms.ModelChoiceField(label=_("Material"), queryset=Material.objects.filter(active=True))
    hs_code = forms.CharField(
        label=_("HS code"), max_length=16, help_text=_("For example 2603.00; the heading must match the material.")
    )
    origin = forms.CharField(
        label=_("Origin"),
        max_length=200,
        help_text=_("Mine or plant the material comes from."),
        validators=[validate_printable],
    )
    wet_mass_t = DecimalField(label=_("Wet mass (t)"), max_digits=12, decimal_places=3, min_value=0.001)
    wet_mass_source = forms.CharField(
        label=_("Source of the wet mass"),
        max_length=120,
        required=False,
        validators=[validate_printable],
        help_text=_("Weighbridge ticket or draft survey reference, when known; printed beside the wet mass."),
    )
    # A callable: the names (and their order) in the language of each request, not of the import.
    destination_country = forms.ChoiceField(
        label=_("Destination country"), choices=lambda: with_blank(countries, "---------")
    )
    contract_reference = forms.CharField(
        label=_("Contract reference"), max_length=80, required=False, validators=[validate_printable]
    )
    export_licence_number = forms.CharField(
        label=_("Export licence number"), max_length=80, required=False, validators=[validate_printable]
    )
    due_date = forms.DateField(
        label=_("Due date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("When the certificate is needed, if agreed; its samples are due then too."),
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        choices=Priority.choices,
        coerce=int,
        initial=Priority.NORMAL,
        required=False,
        empty_value=Priority.NORMAL.value,  # type: ignore[arg-type]  # an int, not the stubs' str
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        exporters = permissions.exporter_choices(user)
        exporter = field_of(self, "exporter", forms.ModelChoiceField)
        exporter.queryset = exporters
        if len(exporters) == 1:
            # An exporter registers for its own organisation: nothing to choose.
            exporter.initial = exporters[0]
            exporter.empty_label = None


# Samples --------------------------------------------------------------------------------------


class CompositeForm(Form):
    """The composite sample taken from the lot, before it is split."""

    mass_g = DecimalField(label=_("Mass (g)"), max_digits=10, decimal_places=1, min_value=0.1)
    location = forms.CharField(
        label=_("Location"), max_length=200, help_text=_("Where the sample was taken: loading point, wagon, conveyor.")
    )
    occurred_at = LocalDateTimeField()
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SplitForm(Form):
    purpose = forms.ChoiceField(label=_("Purpose"), choices=with_blank(SPLIT_PURPOSES, "---------"))
    mass_g = DecimalField(label=_("Mass (g)"), max_digits=10, decimal_places=1, min_value=0.1)
    seal_number = SealNumberField(label=_("Seal number"), validators=[validate_seal_number])


class BaseSplitFormSet(RowsFormSet):
    def get_form_kwargs(self, index):
        # Every row is optional (a row left as offered is skipped); the first ones come with the
        # usual purposes filled in.
        kwargs = super().get_form_kwargs(index)
        if index is not None and index < len(DEFAULT_SPLIT_PURPOSES):
            kwargs["initial"] = {"purpose": DEFAULT_SPLIT_PURPOSES[index]}
        return kwargs

    def specs(self) -> list[SplitSpec]:
        return [SplitSpec(**row) for row in self.cleaned_data if row]

    def show_refusal(self, exc: ApplicationError) -> None:
        """Show a refusal about one split's value (a seal used before) in the row holding that
        value; a refusal about the splits together goes above the table."""
        if exc.field in self.form.base_fields:
            for form in self.forms:
                value = str(form.cleaned_data.get(exc.field) or "")
                if value and value.upper() in exc.message.upper():
                    form.add_error(exc.field, exc.message)
                    return
        self.non_form_errors().append(exc.message)


SplitFormSet = forms.formset_factory(SplitForm, formset=BaseSplitFormSet, extra=len(DEFAULT_SPLIT_PURPOSES) + 1)


# Custody steps --------------------------------------------------------------------------------


class CustodyStepForm(Form):
    """Where and when a step was taken, and a note; every custody step records these."""

    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    occurred_at = LocalDateTimeField()
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    field_order = ["location", "occurred_at", "note"]

    def __init__(self, *args, user: User, sample: Sample, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.sample = sample


class SealForm(CustodyStepForm):
    seal_number = SealNumberField(label=_("Seal number"))

    field_order = ["seal_number", *CustodyStepForm.field_order]


class ReceiverField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.party_label()


class HandOverForm(CustodyStepForm):
    to_user = ReceiverField(
        label=_("To a person"), queryset=None, required=False, empty_label=_("(an outside carrier, named below)")
    )
    carrier = forms.CharField(
        label=_("Or to an outside carrier"),
        max_length=300,
        required=False,
        help_text=_("Company and waybill number, when the sample travels with a carrier."),
    )
    seal_number_seen = SealNumberField(
        label=_("Seal number seen"), help_text=_("Read it off the seal; it must be the seal applied.")
    )

    field_order = ["to_user", "carrier", "seal_number_seen", *CustodyStepForm.field_order]

    def __init__(self, *args, user: User, sample: Sample, **kwargs):
        super().__init__(*args, user=user, sample=sample, **kwargs)
        # Only those who may hold this sample; the service refuses anyone else, saying why.
        field_of(self, "to_user", forms.ModelChoiceField).queryset = selectors.hand_over_recipients(user, sample)


class RecallForm(CustodyStepForm):
    """Taking back a hand-over: the reason instead of a note."""

    # The service requires the reason; `required` in the page asks for it before sending.
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "required": True}),
        help_text=_("Why the sample comes back to you: a wrong addressee, a carrier that did not come."),
    )
    note = None  # type: ignore[assignment]

    field_order = ["reason", "location", "occurred_at"]


class ReceiveForm(CustodyStepForm):
    seal_number_seen = SealNumberField(
        label=_("Seal number seen"), required=False, help_text=_("Read it off the seal. Leave empty if there is none.")
    )
    seal_intact = forms.BooleanField(label=_("The seal is intact"), required=False, initial=True)

    field_order = ["seal_number_seen", "seal_intact", *CustodyStepForm.field_order]


class DisposeForm(CustodyStepForm):
    # The service requires the reason; `required` in the page asks for it before sending.
    note = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3, "required": True})
    )


# Nonconformances ------------------------------------------------------------------------------


class ResolveForm(AcceptOrRejectForm):
    accept_label = _("Accept the sample for testing despite the problem")
    reject_label = _("Reject the sample")
    reason_help = _("Goes on record and, for an accepted sample, on its certificate.")
