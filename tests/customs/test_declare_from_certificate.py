"""Declaring from a certificate: alice starts her declaration from her certificate in force and the form
is filled in from its frozen snapshot (lot, HS code, certified dry mass, every element it reports in its
units); what she changes before filing is what is declared, and the checks judge it as any declaration.
bob's certificate numbers are 404 to her; a revoked or superseded certificate fills in nothing."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certificates.models import Certificate
from customs.models import Declaration
from samples.models import Lot
from tests.conftest import make_lot, sealed_split
from tests.customs.conftest import RESULTS, make_certificate, make_snapshot

URL = reverse("declaration_create")


def start_url(certificate) -> str:
    return f"{URL}?certificate={certificate.number}"


def offered(page) -> list[tuple[str, str | None, str, str]]:
    """The component rows as the page offers them: element, content, unit, what the certificate states."""
    rows = []
    for form in page.context["formset"].forms:
        element = form["analyte"].value()
        if not element:
            continue
        content = form["content"].value()
        rows.append((element, None if content is None else str(content), form["unit"].value(), form.certified))
    return rows


def as_sent(page) -> dict:
    """What the browser sends back from the page untouched: every field with the value it shows."""
    data = {}
    for form in (page.context["form"], *page.context["formset"].forms):
        for field in form:
            value = field.value()
            data[field.html_name] = "" if value is None else str(value)
    management = page.context["formset"].management_form
    data.update({field.html_name: str(field.value()) for field in management})
    return data


@pytest.fixture
def issued(lab_sample, manager):
    """alice's certificate in force, stating the results of tests/customs/conftest.py and HS 2603.00.000.0."""
    return make_certificate(
        lab_sample, requested_by=manager, snapshot=make_snapshot(lab_sample, hs_code="2603.00.000.0")
    )


def test_the_form_is_filled_in_from_the_certificates_snapshot(client, exporter, lot, issued):
    # The live lot changes after the certificate was issued: the form states what the certificate states.
    Lot.objects.filter(pk=lot.pk).update(hs_code="2603.00.000.9", wet_mass_t=Decimal("9999.000"))
    client.force_login(exporter)

    page = client.get(start_url(issued))

    assert page.status_code == 200
    form = page.context["form"]
    assert form["lot"].value() == lot.pk
    assert form["hs_code"].value() == "2603.00.000.0"
    assert form["dry_mass_t"].value() == Decimal("4575.000")
    assert form["certificate_numbers"].value() == issued.number
    # Every element but moisture, in the certificate's order and units, its stated value as the content;
    # Lu, below detection, states no value to declare.
    assert offered(page) == [
        ("Cu", "22.50", "%", "22.50 %"),
        ("Au", "5.00", "g/t", "5.00 g/t"),
        ("Ag", "40.0", "g/t", "40.0 g/t"),
        ("La", "118.00", "ppm", "118.00 ppm"),
        ("Ce", "236.00", "ppm", "236.00 ppm"),
        ("Nd", "96.50", "ppm", "96.50 ppm"),
        ("Tm", "0.04", "ppm", "0.04 ppm"),
        ("Lu", None, "ppm", "<0.020 ppm"),
        ("As", "0.182", "%", "0.182 %"),
        ("Sb", "212.00", "ppm", "212.00 ppm"),
        ("Mo", "610.00", "ppm", "610.00 ppm"),
    ]
    assert all(row.fixed for row in page.context["formset"].forms[:11])
    assert not any(row.fixed for row in page.context["formset"].forms[11:])
    body = page.content.decode()
    assert "Filled in from certificate" in body and issued.number in body
    # One list of elements for the whole page, no select of every element in every row.
    assert body.count("<datalist") == 1 and body.count('list="declarable-elements"') == 5


def test_what_the_exporter_changes_is_what_is_declared_and_checked(client, exporter, issued, prices, customs_org):
    client.force_login(exporter)
    page = client.get(start_url(issued))
    data = as_sent(page)
    data.update({"number": "55201000/151026/0000777", "value": "20000000.00"})
    rows = {data[f"components-{i}-analyte"]: i for i in range(11)}
    data[f"components-{rows['Cu']}-content"] = "20.00"  # 11 % below the certified 22.50 %: more than 5 %
    data[f"components-{rows['Mo']}-content"] = ""  # Mo left out: not declared
    data.update({"components-11-analyte": "Pr", "components-11-content": "30", "components-11-unit": "ppm"})

    response = client.post(start_url(issued), data)

    declaration = Declaration.objects.get(number="55201000/151026/0000777")
    assert response.status_code == 302
    declared = [(c.analyte.symbol, c.content_text, c.unit) for c in declaration.components.order_by("position")]
    assert declared == [
        ("Cu", "20", "%"), ("Au", "5", "g/t"), ("Ag", "40", "g/t"), ("La", "118", "ppm"), ("Ce", "236", "ppm"),
        ("Nd", "96.5", "ppm"), ("Tm", "0.04", "ppm"), ("As", "0.182", "%"), ("Sb", "212", "ppm"), ("Pr", "30", "ppm"),
    ]  # fmt: skip
    assert (declaration.hs_code, declaration.dry_mass_t) == ("2603.00.000.0", Decimal("4575.000"))
    assert [c.number for c in declaration.citations.all()] == [issued.number]
    # The checks are those of any declaration: Cu differs from the certificate, Mo is missing.
    assert declaration.status == Declaration.Status.FLAGGED
    cu = declaration.findings.get(rule="content", analyte="Cu")
    assert (cu.severity, cu.figures["difference_pct"]) == ("blocking", "11.11")
    assert declaration.findings.get(rule="undeclared", severity="warning").figures["elements"][0]["analyte"] == "Mo"


def test_the_untouched_form_files_an_honest_declaration(client, exporter, issued, prices, customs_org):
    client.force_login(exporter)
    data = {**as_sent(client.get(start_url(issued))), "number": "55201000/151026/0000778", "value": "20000000.00"}

    assert client.post(start_url(issued), data).status_code == 302

    declaration = Declaration.objects.get(number="55201000/151026/0000778")
    assert declaration.status == Declaration.Status.CLEARED
    assert not declaration.findings.filter(severity="blocking").exists()


def test_another_organisations_certificate_is_404(client, exporter2, exporter, issued):
    client.force_login(exporter2)
    assert client.get(start_url(issued)).status_code == 404
    assert client.post(start_url(issued), {}).status_code == 404
    # Told apart from no certificate at all by nothing.
    assert client.get(f"{URL}?certificate=KZL-2026-999999").status_code == 404

    client.force_login(exporter)
    assert client.get(start_url(issued)).status_code == 200


def test_a_revoked_certificate_fills_in_nothing(client, exporter, lab_sample, manager):
    revoked = make_certificate(lab_sample, requested_by=manager, status=Certificate.Status.REVOKED)
    client.force_login(exporter)

    page = client.get(start_url(revoked))

    assert page.status_code == 409
    [error] = page.context["start"].errors["certificate"]
    assert error.startswith(f"Certificate {revoked.number} was revoked on ")
    assert "Issued against the wrong contract." in error and "cannot fill in a declaration" in error
    assert page.context["prefill"] is None and not page.context["formset"].from_certificate
    assert page.context["form"]["certificate_numbers"].value() is None
    assert error in page.content.decode()


def test_a_superseded_certificate_names_the_one_in_force(client, exporter, lab_sample, manager):
    old = make_certificate(lab_sample, requested_by=manager, status=Certificate.Status.SUPERSEDED)
    new = make_certificate(lab_sample, requested_by=manager, supersedes=old, amendment_reason="Au corrected.")
    client.force_login(exporter)

    page = client.get(start_url(old))

    assert page.status_code == 409
    assert page.context["start"].errors["certificate"] == [
        f"Certificate {old.number} was superseded by {new.number}: declare from the certificate in force."
    ]


def test_a_certificate_not_yet_issued_fills_in_nothing(client, exporter, lab_sample, manager):
    pending = make_certificate(lab_sample, requested_by=manager, status=Certificate.Status.PENDING, number="KZL-P-1")
    client.force_login(exporter)
    page = client.get(start_url(pending))
    assert page.status_code == 409
    assert "is not issued (pending)" in str(page.context["start"].errors["certificate"])


def test_the_form_offers_the_exporters_certificates_in_force(
    client, exporter, exporter2, lot2, sampler, lab_sample, issued, manager
):
    revoked = make_certificate(lab_sample, requested_by=manager, status=Certificate.Status.REVOKED)
    bobs = make_certificate(sealed_split(lot2, sampler), requested_by=manager)
    client.force_login(exporter)

    page = client.get(URL)

    choices = [number for number, _label in page.context["start"].fields["certificate"].widget.choices]
    assert choices == ["", issued.number]
    body = page.content.decode()
    assert revoked.number not in body and bobs.number not in body
    assert "Fill in from certificate" in body


def test_a_number_too_long_is_refused_next_to_the_field(client, exporter):
    client.force_login(exporter)
    page = client.get(f"{URL}?certificate={'K' * 41}")
    assert page.status_code == 400
    assert page.context["start"].errors["certificate"]


def test_the_certificates_page_offers_the_exporter_to_declare(client, exporter, inspector, manager, issued, lab_sample):
    link = f'href="{start_url(issued)}"'
    client.force_login(exporter)
    body = client.get(reverse("certificate_detail", kwargs={"cert_pk": issued.pk})).content.decode()
    assert link in body and "Declare from this certificate" in body

    # Not to those who do not declare, nor for a certificate no longer in force.
    for user in (inspector, manager):
        client.force_login(user)
        assert (
            "Declare from this certificate"
            not in client.get(reverse("certificate_detail", kwargs={"cert_pk": issued.pk})).content.decode()
        )
    revoked = make_certificate(lab_sample, requested_by=manager, status=Certificate.Status.REVOKED)
    client.force_login(exporter)
    assert (
        "Declare from this certificate"
        not in client.get(reverse("certificate_detail", kwargs={"cert_pk": revoked.pk})).content.decode()
    )


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_form_pages_query_count_does_not_grow(client, exporter, exporter_org, issued, lab_sample, manager, sampler):
    client.force_login(exporter)
    client.get(URL)  # the session, warmed
    plain, started = _queries(client, URL), _queries(client, start_url(issued))

    # More lots, more certificates, and a certificate reporting more elements.
    for _ in range(3):
        other = make_lot(actor=exporter, exporter_org=exporter_org)
        make_certificate(sealed_split(other, sampler), requested_by=manager)
    more = [*RESULTS, ("Pr", "30.00", "ppm", "0.05", True, None), ("Sm", "6.00", "ppm", "0.05", True, None)]
    bigger = make_certificate(lab_sample, requested_by=manager, snapshot=make_snapshot(lab_sample, results=more))

    assert _queries(client, URL) == plain
    assert _queries(client, start_url(bigger)) == started
    assert len(client.get(start_url(bigger)).context["formset"].offered) == 13
