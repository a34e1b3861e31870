"""Forms of the assays pages. They parse input; assays.services decides whether it is acceptable."""

import re
from decimal import Decimal

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from assays import importers, selectors
from assays.models import Instrument, Method, Qualifier, Unit
from assays.services import ManualEntry
from lims.exceptions import ApplicationError
from lims.forms import DecimalField, Form, ReasonForm, field_of, typed_decimal, with_blank


class RunUploadForm(Form):
    file = forms.FileField(label=_("Instrument file"), help_text=_("CSV, TXT or XLSX export of the run."))
    instrument: "forms.ModelChoiceField[Instrument]" = forms.ModelChoiceField(label=_("Instrument"), queryset=None)
    method: "forms.ModelChoiceField[Method]" = forms.ModelChoiceField(label=_("Method"), queryset=None)
    format = forms.ChoiceField(
        label=_("Format"),
        required=False,
        help_text=_("Detected from the content; choose only to override."),
    )
    prep_mass_g = DecimalField(
        label=_("Digested mass (g)"),
        required=False,
        max_digits=8,
        decimal_places=4,
        min_value=Decimal("0.0001"),
        help_text=_(
            "Of the CRM digests. Samples take theirs from their preparation record; this figure applies to a "
            "sample only when its method does not require the aliquot to be weighed at preparation."
        ),
    )
    prep_volume_ml = DecimalField(
        label=_("Final volume (mL)"), required=False, max_digits=8, decimal_places=2, min_value=Decimal("0.01")
    )
    ccv_nominal = DecimalField(
        label=_("CCV nominal concentration"),
        required=False,
        max_digits=14,
        decimal_places=6,
        help_text=_("In the file's unit; used for check standards whose name does not state it."),
    )

    def __init__(self, *args, max_bytes: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes
        field_of(self, "instrument", forms.ModelChoiceField).queryset = selectors.instruments_in_service()
        field_of(self, "method", forms.ModelChoiceField).queryset = selectors.imported_methods()
        field_of(self, "format", forms.ChoiceField).choices = with_blank(
            [(name, name) for name in importers.FORMATS], _("Detect")
        )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # The declared size is checked before a byte is read: a 2 GB upload is refused at once.
        if upload.size > self.max_bytes:
            raise forms.ValidationError(
                _("The file is %(size)s; the limit is %(limit)s.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(self.max_bytes)}
            )
        return upload


class DecisionForm(ReasonForm):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    confirm_flags = forms.BooleanField(label=_("I checked the flagged value and confirm it"), required=False)


class BulkReviewForm(ReasonForm):
    """One decision on every entered result of a sample, a run, a batch or a method (assays.services.review);
    the filter travels in hidden fields, as the review page was filtered."""

    decision = forms.ChoiceField(choices=[("approve", _("Approve all")), ("reject", _("Reject all"))])
    confirm_flags = forms.BooleanField(label=_("I checked the flagged values and confirm them"), required=False)
    sample = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    run = forms.IntegerField(required=False, widget=forms.HiddenInput)
    method = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    batch = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ReadingChoiceForm(Form):
    reading = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Why this reading"), max_length=500)

    def __init__(self, *args, run, **kwargs):
        super().__init__(*args, **kwargs)
        self.run = run

    def clean_reading(self):
        reading = self.run.readings.filter(pk=self.cleaned_data["reading"]).select_related("analyte").first()
        if reading is None:
            raise forms.ValidationError(_("Choose a reading of this run."))
        return reading

    @property
    def group_key(self) -> str:
        """The sample and analyte whose choice was sent (assays.selectors.SelectionGroup.key), so the
        page shows a refusal in that group's form; "" when the reading sent is none of the run's."""
        reading = self.cleaned_data.get("reading") if hasattr(self, "cleaned_data") else None
        sent = str(self.data.get("reading", ""))
        if reading is None and sent.isdigit():
            reading = self.run.readings.filter(pk=int(sent)).select_related("analyte").first()
        return f"{reading.sample_name}|{reading.analyte.symbol}" if reading is not None else ""


_CELL = re.compile(r"^\s*(<)?\s*(.+?)\s*$")


def parse_cell(text: str) -> tuple[str, Decimal]:
    """`12.5` -> ("", 12.5); `<0.05` -> ("<", 0.05). The number as the page's language writes it
    (lims.forms.typed_decimal): a comma is read as the decimal point, as people type on Russian and
    Kazakh keyboards, except where it could be a thousands separator (1,234 on an English page)."""
    match = _CELL.match(text)
    try:
        if not match:
            raise ValueError(text)
        value = typed_decimal(match.group(2))
    except ValueError as exc:
        raise forms.ValidationError(_("Enter a number, or < and the detection limit (for example <0.05).")) from exc
    qualifier = Qualifier.BELOW_DL if match.group(1) else Qualifier.NONE
    if qualifier == Qualifier.BELOW_DL and value <= 0:
        raise forms.ValidationError(_("A detection limit is a positive number."))
    if qualifier == Qualifier.NONE and value < 0:
        raise forms.ValidationError(_("A content cannot be negative."))
    return qualifier, value


class ManualGridForm(forms.Form):
    """The grid of manual entry: one row per sample, one column per analyte of the method, each
    cell a value (or <DL) and its expanded uncertainty; one unit per column. Empty cells are
    skipped. Every bad cell gets its own error, and nothing is saved while any is bad."""

    error_css_class = "has-error"

    def __init__(self, *args, samples, analytes, units: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.samples = list(samples)
        self.analytes = list(analytes)
        for analyte in self.analytes:
            self.fields[self.unit_name(analyte)] = forms.ChoiceField(
                label=_("Unit of %(analyte)s") % {"analyte": analyte.symbol},
                choices=Unit.choices,
                initial=units.get(analyte.pk),
            )
        for sample in self.samples:
            for analyte in self.analytes:
                self.fields[self.cell_name(sample, analyte)] = forms.CharField(
                    label=f"{sample.code} {analyte.symbol}", required=False, max_length=30
                )
                self.fields[self.cell_name(sample, analyte, "u")] = forms.CharField(
                    label=_("uncertainty"), required=False, max_length=30
                )

    @staticmethod
    def cell_name(sample, analyte, part="v") -> str:
        return f"c-{sample.pk}-{analyte.pk}-{part}"

    @staticmethod
    def unit_name(analyte) -> str:
        return f"unit-{analyte.pk}"

    def clean(self):
        cleaned = super().clean()
        self.entries = []
        for sample in self.samples:
            for analyte in self.analytes:
                name, u_name = self.cell_name(sample, analyte), self.cell_name(sample, analyte, "u")
                text, u_text = cleaned.get(name, ""), cleaned.get(u_name, "")
                if not text:
                    if u_text:
                        self.add_error(name, _("Enter the value this uncertainty belongs to."))
                    continue
                try:
                    qualifier, value = parse_cell(text)
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
                    continue
                uncertainty = None
                if u_text:
                    try:
                        _q, uncertainty = parse_cell(u_text)
                        if _q:
                            raise forms.ValidationError(_("An uncertainty is a plain number."))
                    except forms.ValidationError as exc:
                        self.add_error(u_name, exc)
                        continue
                self.entries.append(
                    ManualEntry(
                        sample=sample, analyte=analyte, value=value, qualifier=qualifier,
                        unit=cleaned.get(self.unit_name(analyte), ""), uncertainty=uncertainty,
                    )
                )  # fmt: skip
        if not self.errors and not self.entries:
            raise forms.ValidationError(_("The grid is empty: enter at least one result."))
        return cleaned

    def rows(self):
        """For the template: each sample with its cells (bound fields) in analyte order."""
        for sample in self.samples:
            yield (
                sample,
                [(self[self.cell_name(sample, a)], self[self.cell_name(sample, a, "u")]) for a in self.analytes],
            )

    def unit_fields(self):
        return [self[self.unit_name(a)] for a in self.analytes]

    def show_refusal(self, exc: ApplicationError) -> None:
        """Put a service's refusal about one sample and analyte next to that cell, others above the grid."""
        code, symbol = exc.extra.get("sample"), exc.extra.get("analyte")
        for sample in self.samples:
            for analyte in self.analytes:
                if sample.code == code and analyte.symbol == symbol:
                    self.add_error(self.cell_name(sample, analyte), exc.message)
                    return
        self.add_error(None, exc.message)
