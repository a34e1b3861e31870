"""Forms of batches, and the batch choice of the run upload. They parse input; assays.services.batches
and assays.services.runs decide whether it is acceptable."""

from django import forms
from django.utils.translation import gettext_lazy as _

from assays import selectors
from assays.batch_models import Batch, QCMask
from assays.forms import RunUploadForm
from assays.models import Instrument, Method
from lims.forms import Form, field_of


class BatchForm(Form):
    method: "forms.ModelChoiceField[Method]" = forms.ModelChoiceField(label=_("Method"), queryset=None)
    instrument: "forms.ModelChoiceField[Instrument]" = forms.ModelChoiceField(label=_("Instrument"), queryset=None)
    samples = forms.CharField(
        label=_("Samples"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Sample codes in the order to measure them, one a line (or scan their labels)."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        masked = QCMask.objects.values("method_id")
        field_of(self, "method", forms.ModelChoiceField).queryset = selectors.imported_methods().filter(pk__in=masked)
        field_of(self, "instrument", forms.ModelChoiceField).queryset = selectors.instruments_in_service()

    def clean_samples(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["samples"].replace(",", "\n").splitlines() if line.strip()]


class BatchChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj} · {obj.method.code} · {obj.instrument.name}"


class RunBatchUploadForm(RunUploadForm):
    """The run upload, with the planned batch the file measured, if any."""

    batch: "forms.ModelChoiceField[Batch]" = BatchChoiceField(
        label=_("Batch"),
        queryset=None,
        required=False,
        help_text=_(
            "The planned batch this file measured, if any: its rows are matched with the batch's positions, and "
            "each duplicate is checked against the sample the batch says."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field_of(self, "batch", forms.ModelChoiceField).queryset = Batch.objects.filter(
            status=Batch.Status.PLANNED
        ).select_related("method", "instrument")


class BatchRunForm(RunUploadForm):
    """The run of a batch: its method and instrument are the batch's."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["instrument"], self.fields["method"]
