"""Filing a declaration: who may, for which lot, what is refused (and then nothing is stored), and
what goes on record."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from customs.models import CitedCertificate, Declaration, DeclaredComponent, Finding
from customs.services import ComponentSpec
from lims.exceptions import ApplicationError, NotPermitted
from lims.models import AuditEvent
from tests.customs.conftest import components, file


def nothing_stored():
    return not any(m.objects.exists() for m in (Declaration, DeclaredComponent, CitedCertificate, Finding))


def test_the_exporter_files_for_her_lot(declare, exporter, lot, exporter_org):
    declaration = declare()

    assert (declaration.exporter, declaration.lot, declaration.filed_by) == (exporter_org, lot, exporter)
    assert [c.analyte.symbol for c in declaration.components.all()][:3] == ["Cu", "Au", "Ag"]
    assert declaration.checked_at is not None


def test_a_broker_files_for_the_exporter_it_belongs_to(declare, broker, exporter_org):
    declaration = declare(actor=broker, declarant="Khorgos Customs Brokers LLP")

    assert declaration.filed_by == broker and declaration.exporter == exporter_org


def test_a_broker_does_nothing_else(broker):
    from lims import permissions

    assert not permissions.can(broker, "lot.register")
    assert not permissions.can(broker, "declaration.decide")


def test_nobody_files_for_another_exporters_lot(exporter2, lot, customs_org, certificate, prices):
    with pytest.raises(ApplicationError) as refused:
        file(exporter2, [certificate], lot=lot, customs_office=customs_org)
    assert refused.value.field == "lot"
    assert nothing_stored()


@pytest.mark.parametrize("who", ["inspector", "manager", "technician"])
def test_inspectors_and_the_laboratory_do_not_file(request, who, lot, customs_org, certificate, prices):
    with pytest.raises(NotPermitted):
        file(request.getfixturevalue(who), [certificate], lot=lot, customs_office=customs_org)
    assert nothing_stored()


def test_filing_is_recorded(declare, exporter):
    declaration = declare(components={"Cu": "22.5 %", "Au": "5 g/t", "Ag": "40 g/t"})

    event = AuditEvent.objects.get(action="declaration.file")
    assert (event.actor, event.object_id) == (exporter, str(declaration.pk))
    assert event.data["status"] == "flagged"
    assert event.data["findings"]["blocking"] == 1  # the undeclared rare earths


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"hs_code": "26.03"}, "hs_code"),
        ({"currency": "dollars"}, "currency"),
        ({"declarant": "  "}, "declarant"),
        ({"components": {}}, "components"),
        ({"certificate_numbers": ["", " "]}, "certificate_numbers"),
        ({"dry_mass_t": Decimal("0.000")}, "dry_mass_t"),
    ],
)
def test_bad_input_is_refused_with_the_field_to_blame(declare, changes, field):
    with pytest.raises(ApplicationError) as refused:
        declare(**changes)
    assert refused.value.field == field
    assert nothing_stored()


def test_a_component_declared_twice_is_refused(declare):
    with pytest.raises(ApplicationError, match="Cu is declared twice") as refused:
        declare(components=components({"Cu": "22.5 %"}) * 2)
    assert refused.value.extra["analyte"] == "Cu"
    assert nothing_stored()


def test_a_unit_that_is_not_a_content_is_refused(declare):
    (cu,) = components({"Cu": "22.5 %"})
    with pytest.raises(ApplicationError, match="not a content of a solid"):
        declare(components=[ComponentSpec(cu.analyte, cu.content, "mg/L")])


def test_a_declaration_number_is_filed_once(declare):
    declare(number="55201000/151026/0000001")
    with pytest.raises(ApplicationError) as refused:
        declare(number="55201000/151026/0000001")
    assert refused.value.field == "number"
    assert Declaration.objects.count() == 1


def test_the_date_cannot_be_in_the_future(declare):
    with pytest.raises(ApplicationError) as refused:
        declare(declared_on=timezone.localdate() + timedelta(days=1))
    assert refused.value.field == "declared_on"


def test_the_office_must_be_a_customs_office(declare, lab):
    with pytest.raises(ApplicationError) as refused:
        declare(customs_office=lab)
    assert refused.value.field == "customs_office"


def test_the_same_certificate_cited_twice_counts_once(declare, certificate):
    declaration = declare(certificate_numbers=[certificate.number, f" {certificate.number} "])
    assert list(declaration.citations.values_list("number", flat=True)) == [certificate.number]
