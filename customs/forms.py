"""Forms of the customs pages. They parse input; customs.services decides whether it is acceptable.
The declaration form's cleaned_data and the component formset's specs() are the keyword arguments
of services.declaration_file. A declaration may start from a certificate (selectors.Prefill): the
form and the rows are filled in from it, and the exporter changes what they declare before filing."""

from dataclasses import dataclass
from decimal import Decimal
from typing import cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assays.models import Analyte, Unit
from customs import selectors
from customs.services import ComponentSpec
from lims.exceptions import ApplicationError
from lims.forms import AcceptOrRejectForm, DecimalField, Form, RowsFormSet, field_of, with_blank
from lims.models import Organisation, User

# The components every copper-concentrate declaration names, offered in the first rows.
DEFAULT_COMPONENTS = ["Cu", "Au", "Ag"]
# Rows of the component table; rows left empty are skipped.
COMPONENT_ROWS = 24
# Rows for other elements after a certificate's own.
SPARE_ROWS = 5
# The page's one list of elements, which every row's element field offers.
ELEMENT_LIST = "declarable-elements"
# Certificates offered to start from; an older one is started from its own page.
START_CHOICES = 100


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
    declared_on = forms.DateField(
        label=_("Declaration date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    dry_mass_t = DecimalField(label=_("Net dry mass (t)"), max_digits=12, decimal_places=3, min_value=Decimal("0.001"))
    value = DecimalField(label=_("Customs value"), max_digits=16, decimal_places=2, min_value=Decimal("0.01"))
    currency = forms.CharField(label=_("Currency"), max_length=3, min_length=3, initial="USD")
    certificate_numbers = CertificateNumbersField(
        label=_("Certificates cited"), help_text=_("One certificate number per line, as in box 44.")
    )

    def __init__(self, *args, user: User, prefill: selectors.Prefill | None = None, **kwargs):
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
        if prefill is not None:
            # What the certificate states; the exporter changes what they declare otherwise.
            self.initial.update(
                lot=prefill.lot,
                hs_code=prefill.hs_code or self.fields["hs_code"].initial,
                dry_mass_t=prefill.dry_mass_t,
                certificate_numbers=prefill.certificate.number,
            )

    def clean_currency(self):
        return self.cleaned_data["currency"].upper()


class ElementField(forms.Field):
    """An element by its symbol, typed or picked from the page's list of elements (one <datalist> that
    every row shares, instead of a select of every analyte in every row). Its value is the Analyte; the
    form gives it the analytes to look symbols up in (ComponentForm's `analytes`)."""

    widget = forms.TextInput(attrs={"list": ELEMENT_LIST, "autocomplete": "off", "spellcheck": "false", "size": 8})
    default_error_messages = {
        "unknown": _("%(value)s is not an element that can be declared: type its symbol, such as La."),
    }

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.analytes: dict[str, Analyte] = {}

    def prepare_value(self, value):
        return value.symbol if isinstance(value, Analyte) else value

    def to_python(self, value) -> Analyte | None:
        text = "" if value in self.empty_values else str(value).strip()
        if not text:
            return None
        # "La", or "La (Lanthanum)" as a list may show it; case only where it is unambiguous (Co is not CO).
        symbol = text.split(" (", 1)[0].strip()
        found = self.analytes.get(symbol)
        if found is None:
            folded = [a for s, a in self.analytes.items() if symbol.casefold() in (s.casefold(), a.name.casefold())]
            found = folded[0] if len(folded) == 1 else None
        if found is None:
            raise forms.ValidationError(self.error_messages["unknown"], code="unknown", params={"value": text})
        return found


class ComponentForm(Form):
    """One row of declared components. A row of the certificate's table (`fixed`) names its element in a
    hidden field and shows what the certificate states (`certified`); a spare row has the element field."""

    analyte = ElementField(label=_("Element"))
    content = DecimalField(label=_("Content"), max_digits=20, decimal_places=8, min_value=Decimal(0))
    unit = forms.ChoiceField(label=_("Unit"), choices=with_blank(Unit.choices, "---------"))

    def __init__(self, *args, analytes: dict[str, Analyte], fixed: bool = False, certified: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        field_of(self, "analyte", ElementField).analytes = analytes
        self.fixed, self.certified = fixed, certified
        if fixed:
            self.fields["analyte"].widget = forms.HiddenInput()

    def has_changed(self):
        """A row counts once a content is typed, or another element than the one offered is chosen; an
        offered row (Cu, Au, Ag, or a certificate's element) left without a content is skipped."""
        if self["content"].data not in (None, ""):
            return True
        offered = self.initial.get("analyte")
        chosen = str(self["analyte"].data or "").strip()
        return bool(chosen) and chosen != getattr(offered, "symbol", "")

    @property
    def element(self) -> Analyte | None:
        """The element a row of the certificate's table is about, to name it on the page."""
        return self.initial.get("analyte")


@dataclass(frozen=True)
class OfferedRow:
    analyte: Analyte
    content: Decimal | None
    unit: str
    certified: str = ""
    fixed: bool = False


class BaseComponentFormSet(RowsFormSet):
    """The rows of declared components: first the rows offered (the certificate's elements, or the usual
    Cu, Au, Ag), then spare rows. Every row may be left empty; the analytes are read once for all rows."""

    element_list = ELEMENT_LIST

    def __init__(self, *args, offered: list[OfferedRow], analytes: dict[str, Analyte], **kwargs):
        self.offered, self.analytes = offered, analytes
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        # Every row is an "extra" form, so an offered row left untouched is skipped, not refused.
        kwargs = {**super().get_form_kwargs(index), "analytes": self.analytes}
        if index is not None and index < len(self.offered):
            row = self.offered[index]
            kwargs.update(
                initial={"analyte": row.analyte, "content": row.content, "unit": row.unit},
                fixed=row.fixed,
                certified=row.certified,
            )
        return kwargs

    @property
    def from_certificate(self) -> bool:
        return any(row.fixed for row in self.offered)

    @property
    def elements(self) -> list[Analyte]:
        """What the page's list of elements offers: the active ones."""
        return [analyte for analyte in self.analytes.values() if analyte.active]

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


def component_formset(data, *, prefill: selectors.Prefill | None) -> BaseComponentFormSet:
    """The component rows of the declaration form: started from a certificate, one fixed row per element
    it reports, filled in with its content and unit, and SPARE_ROWS more; otherwise COMPONENT_ROWS rows,
    the first offering the usual components."""
    analytes = selectors.declarable_elements()
    if prefill is not None:
        offered = [
            OfferedRow(analytes[c.symbol], c.content, c.unit, c.certified, fixed=True)
            for c in prefill.components
            if c.symbol in analytes
        ]
        rows = len(offered) + SPARE_ROWS
    else:
        offered = [
            OfferedRow(analytes[symbol], None, analytes[symbol].default_unit)
            for symbol in DEFAULT_COMPONENTS
            if symbol in analytes
        ]
        rows = COMPONENT_ROWS
    # formset_factory() makes a subclass of BaseComponentFormSet; the stubs say only BaseFormSet.
    formset_class = cast(
        type[BaseComponentFormSet], forms.formset_factory(ComponentForm, formset=BaseComponentFormSet, extra=rows)
    )
    return formset_class(data, prefix="components", offered=offered, analytes=analytes)


class StartForm(Form):
    """The certificate a declaration starts from (?certificate=<number>): a choice of the user's
    certificates in force, newest first; any other number of theirs may be given in the address."""

    certificate = forms.CharField(label=_("Start from certificate"), max_length=40, required=False)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        certificates = selectors.certificates_to_declare(user)[:START_CHOICES]
        choices = [("", _("Choose a certificate"))] + [
            (c.number, f"{c.number} · {c.sample.lot.lot_number}") for c in certificates
        ]
        given = self.data.get("certificate") if self.is_bound else None
        if given and given not in {number for number, _label in choices}:
            choices.append((given, given))
        self.fields["certificate"].widget = forms.Select(choices=choices)
        self.offers = len(choices) > 1


class DecisionForm(AcceptOrRejectForm):
    accept_label = _("Accept the declaration")
    reject_label = _("Reject the declaration")
    reason_help = _("Goes on record with the declaration and in the audit trail.")
