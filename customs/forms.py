"""Forms of the customs pages. They parse input; customs.services decides whether it is acceptable.
The declaration form's cleaned_data and the component formset's specs() are the keyword arguments
of services.declaration_file."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assays.models import Analyte, Unit
from customs import selectors
from customs.checks import MOISTURE
from customs.services import ComponentSpec
from lims.exceptions import ApplicationError
from lims.forms import AcceptOrRejectForm, Form, RowsFormSet, field_of, with_blank
from lims.models import Organisation, User

# The components every copper-concentrate declaration names, offered in the first rows.
DEFAULT_COMPONENTS = ["Cu", "Au", "Ag"]
# Rows of the component table; rows left empty are skipped.
COMPONENT_ROWS = 24


class LotChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.lot_number} ({obj.exporter})"


class CertificateNumbersField(forms.Field):
    """Box 44 of the declaration: one certificate number per line. Its value is the list of numbers
    (not text: hence no CharField)."""

    widget = forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false"})

    def to_python(self, value) -> list[str]:
        text = "" if value in self.empty_values else str(value)
        return [line.strip() for line in text.splitlines() if line.strip()]

    def validate(self, value):
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        for number in value:
            if len(number) > 40:
                raise forms.ValidationError(
                    _("%(number)s is too long for a certificate number.") % {"number": number}, code="max_length"
                )


class DeclarationForm(Form):
    number = forms.CharField(
        label=_("Declaration number"),
        max_length=40,
        help_text=_("As registered by customs, e.g. 55201000/231126/0000101."),
    )
    declarant = forms.CharField(label=_("Declarant"), max_length=200)
    lot = LotChoiceField(label=_("Lot"), queryset=None, help_text=_("A declaration covers one lot."))
    customs_office: "forms.ModelChoiceField[Organisation]" = forms.ModelChoiceField(
        label=_("Customs office"), queryset=None
    )
    hs_code = forms.CharField(label=_("HS code"), max_length=16, initial="2603.00")
    declared_on = forms.DateField(label=_("Declaration date"), widget=forms.DateInput(attrs={"type": "date"}))
    dry_mass_t = forms.DecimalField(
        label=_("Net dry mass (t)"), max_digits=12, decimal_places=3, min_value=Decimal("0.001")
    )
    value = forms.DecimalField(label=_("Customs value"), max_digits=16, decimal_places=2, min_value=Decimal("0.01"))
    currency = forms.CharField(label=_("Currency"), max_length=3, min_length=3, initial="USD")
    certificate_numbers = CertificateNumbersField(
        label=_("Certificates cited"), help_text=_("One certificate number per line, as in box 44.")
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        field_of(self, "lot", forms.ModelChoiceField).queryset = selectors.lots_to_declare(user)
        offices = selectors.customs_offices()
        customs_office = field_of(self, "customs_office", forms.ModelChoiceField)
        customs_office.queryset = offices
        self.fields["declared_on"].initial = timezone.localdate
        if user.organisation is not None:
            self.fields["declarant"].initial = user.organisation.name
        if len(offices) == 1:
            customs_office.initial = offices[0]

    def clean_currency(self):
        return self.cleaned_data["currency"].upper()


class AnalyteChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.symbol} ({obj.name})"


class ComponentForm(Form):
    analyte = AnalyteChoiceField(
        label=_("Element"), queryset=Analyte.objects.filter(active=True).exclude(symbol=MOISTURE).order_by("symbol")
    )
    content = forms.DecimalField(label=_("Content"), max_digits=20, decimal_places=8, min_value=Decimal(0))
    unit = forms.ChoiceField(label=_("Unit"), choices=with_blank(Unit.choices, "---------"))

    def has_changed(self):
        """A row counts once a content is typed, or another element than the one offered is chosen;
        an offered row (Cu, Au, Ag) left without a content is skipped, whatever its select shows."""
        if self["content"].data not in (None, ""):
            return True
        offered = self.initial.get("analyte")
        chosen = self["analyte"].data
        return bool(chosen) and str(chosen) != str(getattr(offered, "pk", ""))


class BaseComponentFormSet(RowsFormSet):
    def get_form_kwargs(self, index):
        # The first rows come with the usual components and their units; untouched, they are skipped.
        kwargs = super().get_form_kwargs(index)
        if index is not None and index < len(DEFAULT_COMPONENTS):
            analyte = Analyte.objects.filter(symbol=DEFAULT_COMPONENTS[index]).first()
            if analyte:
                kwargs["initial"] = {"analyte": analyte, "unit": analyte.default_unit}
        return kwargs

    def clean(self):
        seen = {}
        for form in self.forms:
            analyte = form.cleaned_data.get("analyte") if form.cleaned_data else None
            if analyte is None:
                continue
            if analyte.pk in seen:
                form.add_error("analyte", _("%(symbol)s is declared in another row too.") % {"symbol": analyte.symbol})
            seen[analyte.pk] = form
        if not seen and not any(form.errors for form in self.forms):
            raise forms.ValidationError(_("Declare at least one component."))

    def specs(self) -> list[ComponentSpec]:
        return [ComponentSpec(**row) for row in self.cleaned_data if row]

    def show_refusal(self, exc: ApplicationError) -> None:
        """A refusal about one component goes in its row, others above the table."""
        symbol = exc.extra.get("analyte")
        for form in self.forms:
            analyte = form.cleaned_data.get("analyte") if form.cleaned_data else None
            if symbol and analyte and analyte.symbol == symbol:
                form.add_error(None, exc.message)
                return
        self.non_form_errors().append(exc.message)


ComponentFormSet = forms.formset_factory(ComponentForm, formset=BaseComponentFormSet, extra=COMPONENT_ROWS)


class DecisionForm(AcceptOrRejectForm):
    accept_label = _("Accept the declaration")
    reject_label = _("Reject the declaration")
    reason_help = _("Goes on record with the declaration and in the audit trail.")
