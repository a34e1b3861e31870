"""The run upload page offers the planned batches: a run uploaded with one is matched to it, and a batch
planned on another instrument is refused next to the batch field."""

import lxml.html
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assays.batch_models import BatchRun
from assays.models import Instrument, Run
from tests.assays.conftest import icpms_symbols
from tests.assays.test_batch_matching import measured_file
from tests.assays.test_web_batches import batch, media, samples  # noqa: F401 - fixtures


def test_the_run_upload_offers_the_planned_batches(client, technician, instrument, batch, samples):  # noqa: F811
    client.force_login(technician)
    data = measured_file(samples, icpms_symbols())
    other = Instrument.objects.create(
        name="ICP-MS 2", model="Agilent 7900", serial="SG-2", calibration_due=instrument.calibration_due
    )
    form = {
        "file": SimpleUploadedFile("run.csv", data, content_type="text/csv"),
        "instrument": other.pk,
        "method": batch.method.pk,
        "batch": batch.pk,
        "prep_mass_g": "0.25",
        "prep_volume_ml": "50",
        "ccv_nominal": "10",
    }
    refused = client.post(reverse("run_upload"), form)
    # The batch is planned on the other instrument: said next to the batch, nothing stored.
    assert refused.status_code == 400
    field = lxml.html.fromstring(refused.content).xpath("//div[contains(@class, 'has-error')]")[0]
    assert f"Batch {batch.pk} is planned on {instrument}, not on the instrument chosen." in field.text_content()
    assert not Run.objects.exists()
    form["instrument"], form["file"] = instrument.pk, SimpleUploadedFile("run.csv", data, content_type="text/csv")
    response = client.post(reverse("run_upload"), form)
    assert response.status_code == 302
    assert BatchRun.objects.get().batch == batch
