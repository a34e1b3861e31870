"""A declaration filed from a page in Russian: figures typed with a decimal comma and grouped thousands
are declared as meant, the form filled in from a certificate shows them as Russian writes them and
files exactly the certified figures when sent back untouched; an English page refuses a figure that
reads two ways (lims.forms.DecimalField)."""

from decimal import Decimal

import lxml.html
import pytest
from django.urls import reverse
from django.utils import timezone

from customs.models import Declaration
from tests.customs.test_declare_from_certificate import issued as issued
from tests.customs.test_declare_from_certificate import start_url
from tests.customs.test_web import form_data  # noqa: F401 - fixture

URL = reverse("declaration_create")


@pytest.fixture
def russian_exporter(exporter):
    exporter.language = "ru"
    exporter.save(update_fields=["language"])
    return exporter


def test_figures_typed_the_russian_way_are_declared_as_meant(client, russian_exporter, form_data):  # noqa: F811
    client.force_login(russian_exporter)
    data = form_data(
        rows={"Cu": ("22,50", "%"), "Au": ("5", "g/t"), "Ag": ("40,0", "g/t")},
        dry_mass_t="4\xa0575,000",
        value="20 000 000,00",
    )

    response = client.post(URL, data)

    assert response.status_code == 302
    declaration = Declaration.objects.get()
    assert (declaration.dry_mass_t, declaration.value) == (Decimal("4575.000"), Decimal("20000000.00"))
    declared = {c.analyte.symbol: c.content for c in declaration.components.select_related("analyte")}
    assert declared == {"Cu": Decimal("22.50"), "Au": Decimal("5"), "Ag": Decimal("40.0")}
    # The declaration's page writes them the Russian way.
    page = client.get(response.url).content.decode()
    assert "4\xa0575,000" in page and "20\xa0000\xa0000,00" in page


def test_the_form_filled_in_from_a_certificate_files_the_certified_figures(
    client,
    russian_exporter,
    issued,
    prices,
    customs_org,
):
    client.force_login(russian_exporter)
    page = client.get(start_url(issued))
    inputs = {
        element.name: element.value or ""
        for element in lxml.html.fromstring(page.content).xpath("//form[@method='post']//input|//textarea|//select")
        if element.name
    }
    # Shown as Russian writes them, in text fields the page's language reads back.
    assert inputs["dry_mass_t"] == "4575,000"
    rows = {inputs[f"components-{i}-analyte"]: i for i in range(11)}
    assert inputs[f"components-{rows['Cu']}-content"] == "22,50"
    inputs.update({"number": "55201000/151026/0000888", "value": "20000000,00", "customs_office": str(customs_org.pk)})

    response = client.post(start_url(issued), inputs)

    assert response.status_code == 302, response.content.decode()[:3000]
    declaration = Declaration.objects.get()
    assert declaration.dry_mass_t == Decimal("4575.000")
    declared = {c.analyte.symbol: c.content for c in declaration.components.select_related("analyte")}
    assert declared["Cu"] == Decimal("22.50") and declared["As"] == Decimal("0.182")


def test_an_english_page_refuses_a_figure_that_reads_two_ways(client, exporter, form_data):  # noqa: F811
    client.force_login(exporter)

    response = client.post(URL, form_data(dry_mass_t="4,575"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert "4,575 could mean 4575 or 4.575: enter it without a thousands separator." in response.content.decode()
    assert not Declaration.objects.exists()


def test_a_date_field_shows_its_date_as_the_browser_reads_it_in_every_language(client, russian_exporter):
    """A browser's date picker reads only an ISO date: rendered as Russian writes dates (07.12.2026), the
    declaration date showed empty and the form was refused for want of it."""
    client.force_login(russian_exporter)

    page = lxml.html.fromstring(client.get(URL).content)

    (declared_on,) = page.xpath("//input[@name='declared_on']")
    assert declared_on.get("type") == "date"
    assert declared_on.get("value") == timezone.localdate().isoformat()
