"""The laboratory's figures typed on pages in Russian: the manual entry grid and the preparation weights
take a decimal comma and grouped thousands, and an English page refuses a figure that reads two ways
(1,234) instead of guessing (lims.forms.typed_decimal)."""

from decimal import Decimal

import pytest

from assays.models import Result
from tests.assays.test_preparation import balance as balance
from tests.assays.test_web_results import cell, post_grid, unit

D = Decimal


@pytest.fixture
def russian_technician(technician):
    technician.language = "ru"
    technician.save(update_fields=["language"])
    return technician


def test_the_grid_takes_decimal_commas_in_russian(client, russian_technician, sample):
    client.force_login(russian_technician)

    response = post_grid(
        client,
        {
            unit("Au"): "ppb",
            cell(sample, "Au"): "5 200,5",
            cell(sample, "Au", "u"): "100,5",
            cell(sample, "Ag"): "<1,5",
        },
    )

    assert response.status_code == 302
    au = sample.results.get(analyte__symbol="Au")
    assert (au.value_as_received, au.uncertainty_as_received) == (D("5.2005"), D("0.1005"))
    ag = sample.results.get(analyte__symbol="Ag")
    assert (ag.qualifier, ag.detection_limit_as_received) == ("<", D("1.5"))


def test_the_grid_refuses_a_figure_that_reads_two_ways_in_english(client, technician, sample):
    client.force_login(technician)

    response = post_grid(client, {cell(sample, "Au"): "1,234", cell(sample, "Ag"): "40"})

    assert response.status_code == 400
    assert "1,234 could mean 1234 or 1.234: enter it without a thousands separator." in response.content.decode()
    assert not Result.objects.exists()


def test_preparation_weights_typed_in_russian(client, russian_technician, sample, balance):
    client.force_login(russian_technician)
    url = f"/samples/{sample.code}/preparation/"
    form = {
        "drying-balance": balance.pk, "drying-tare_g": "120,00", "drying-wet_g": "620,00", "drying-dry_g": "580,00",
        "drying-temperature_c": "105,0", "drying-duration_min": "240", "drying-note": "",
    }  # fmt: skip

    response = client.post(f"{url}drying/", form)

    assert response.status_code == 302
    assert Result.objects.get(sample=sample, analyte__symbol="H2O").value_as_received == D("8.00")
    # The page writes the moisture the Russian way.
    assert "8,00 %" in client.get(url).content.decode()


def test_a_preparation_weight_that_is_no_number_says_what_to_type(client, russian_technician, sample, balance):
    client.force_login(russian_technician)
    form = {
        "drying-balance": balance.pk, "drying-tare_g": "120 g", "drying-wet_g": "620,00", "drying-dry_g": "580,00",
        "drying-temperature_c": "105", "drying-duration_min": "240",
    }  # fmt: skip

    response = client.post(f"/samples/{sample.code}/preparation/drying/", form)

    assert response.status_code == 400
    assert "Введите число, например 22,50." in response.content.decode()
