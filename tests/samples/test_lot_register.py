from decimal import Decimal

import pytest

from lims.exceptions import ApplicationError, NotPermitted
from lims.models import AuditEvent
from samples import services
from samples.models import Lot, Material
from tests.conftest import make_lot


def test_it_registers_a_lot_for_the_exporters_own_organisation(exporter, exporter_org):
    lot = make_lot(actor=exporter, exporter_org=exporter_org, lot_number="AC-1")

    lot.refresh_from_db()
    assert lot.status == Lot.Status.REGISTERED
    assert lot.registered_by == exporter
    # The write is on the audit record.
    assert AuditEvent.objects.filter(action="lot.register", object_id=str(lot.pk), actor=exporter).exists()


def test_it_refuses_an_exporter_registering_for_another_organisation(exporter, exporter2_org):
    with pytest.raises(NotPermitted):
        make_lot(actor=exporter, exporter_org=exporter2_org)
    assert not Lot.objects.exists()


def test_lab_staff_register_for_any_exporter(sampler, exporter_org, exporter2_org):
    make_lot(actor=sampler, exporter_org=exporter_org)
    make_lot(actor=sampler, exporter_org=exporter2_org)
    assert Lot.objects.count() == 2


def test_technicians_and_inspectors_do_not_register_lots(technician, inspector, exporter_org):
    for user in (technician, inspector):
        with pytest.raises(NotPermitted):
            make_lot(actor=user, exporter_org=exporter_org)


def test_lot_numbers_are_unique_per_exporter_only(exporter, exporter_org, sampler, exporter2_org):
    make_lot(actor=exporter, exporter_org=exporter_org, lot_number="L-7")
    with pytest.raises(ApplicationError) as exc:
        make_lot(actor=exporter, exporter_org=exporter_org, lot_number="l-7")
    assert exc.value.field == "lot_number"
    # Another exporter may use the same number.
    make_lot(actor=sampler, exporter_org=exporter2_org, lot_number="L-7")


@pytest.mark.parametrize("hs_code", ["2603", "2603.00", "2603.00.000.0"])
def test_it_accepts_hs_codes_of_the_materials_heading(exporter, exporter_org, hs_code):
    assert make_lot(actor=exporter, exporter_org=exporter_org, hs_code=hs_code).hs_code == hs_code


@pytest.mark.parametrize("hs_code", ["26030", "2603-00", "26.03", "abcd.00", "2603.0"])
def test_it_refuses_malformed_hs_codes(exporter, exporter_org, hs_code):
    with pytest.raises(ApplicationError) as exc:
        make_lot(actor=exporter, exporter_org=exporter_org, hs_code=hs_code)
    assert exc.value.field == "hs_code"


def test_it_refuses_an_hs_code_of_another_heading(exporter, exporter_org):
    # Copper concentrate is 2603; declaring it as 2616 (precious-metal ores) would be a misdeclaration.
    with pytest.raises(ApplicationError) as exc:
        make_lot(actor=exporter, exporter_org=exporter_org, hs_code="2616.90")
    assert exc.value.field == "hs_code"
    assert "2603" in exc.value.message


def test_it_refuses_bad_masses_and_countries(exporter, exporter_org):
    with pytest.raises(ApplicationError) as exc:
        make_lot(actor=exporter, exporter_org=exporter_org, wet_mass_t=Decimal("0"))
    assert exc.value.field == "wet_mass_t"
    with pytest.raises(ApplicationError) as exc:
        make_lot(actor=exporter, exporter_org=exporter_org, destination_country="XX")
    assert exc.value.field == "destination_country"


def test_it_refuses_a_retired_material(exporter, exporter_org):
    material = Material.objects.get(code="copper-ore")
    material.active = False
    material.save()
    with pytest.raises(ApplicationError) as exc:
        make_lot(actor=exporter, exporter_org=exporter_org, material=material)
    assert exc.value.field == "material"


def test_it_refuses_a_non_exporter_as_exporter(sampler, lab):
    with pytest.raises(ApplicationError) as exc:
        services.lot_register(
            actor=sampler, exporter=lab, lot_number="X", material=Material.objects.get(code="copper-ore"),
            hs_code="2603.00", origin="Mine", wet_mass_t=Decimal(1), destination_country="CN",
        )  # fmt: skip
    assert exc.value.field == "exporter"
