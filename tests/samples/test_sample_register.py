from decimal import Decimal

import pytest

from lims.exceptions import ApplicationError, Conflict, NotPermitted
from samples import services
from samples.models import CustodyEvent, Lot, Sample, Seal
from tests.conftest import next_seal, register_splits


def spec(purpose="laboratory", mass="250.0", seal=None):
    return services.SplitSpec(purpose=purpose, mass_g=Decimal(mass), seal_number=seal or next_seal())


def test_it_collects_a_composite_and_seals_each_split(lot, sampler):
    composite, splits = register_splits(lot, sampler, purposes=("laboratory", "exporter", "archive"))

    composite.refresh_from_db()
    lot.refresh_from_db()
    assert composite.status == Sample.Status.SPLIT
    assert composite.purpose == Sample.Purpose.COMPOSITE
    assert [s.code for s in splits] == [f"{composite.code}-L1", f"{composite.code}-E1", f"{composite.code}-A1"]
    for split in splits:
        split.refresh_from_db()
        assert split.parent == composite
        assert split.status == Sample.Status.SEALED
        assert split.current_custodian == sampler
        # Each split has its own seal, registered once.
        assert Seal.objects.get(number=split.seal_number).sample == split
        assert list(split.events.values_list("action", flat=True)) == ["collect", "seal"]
    assert len({s.seal_number for s in splits}) == 3
    # The first sample moves the lot into sampling.
    assert lot.status == Lot.Status.SAMPLING


def test_codes_are_fit_for_barcodes(lot, sampler):
    composite, splits = register_splits(lot, sampler)
    for code in [composite.code, *(s.code for s in splits)]:
        # Upper-case letters, digits and hyphens: Code 39 and QR alphanumeric mode.
        assert code.replace("-", "").isalnum() and code.upper() == code


def test_two_splits_of_one_purpose_get_numbered(lot, sampler):
    _composite, splits = register_splits(lot, sampler, purposes=("laboratory", "laboratory"))
    assert [s.code[-2:] for s in splits] == ["L1", "L2"]


def test_it_refuses_a_repeated_seal_and_writes_nothing(lot, sampler):
    seal = next_seal()
    with pytest.raises(ApplicationError) as exc:
        services.sample_register(
            actor=sampler, lot=lot, mass_g=Decimal(1000), location="Bay", splits=[spec(seal=seal), spec(seal=seal)]
        )
    assert exc.value.field == "splits"
    # Atomic: no composite, no event, no seal left behind.
    assert not Sample.objects.exists()
    assert not CustodyEvent.objects.exists()
    assert not Seal.objects.exists()


def test_it_refuses_a_seal_used_before(lot, sampler):
    _, (first,) = register_splits(lot, sampler, purposes=("laboratory",))
    with pytest.raises(ApplicationError) as exc:
        services.sample_register(
            actor=sampler, lot=lot, mass_g=Decimal(1000), location="Bay", splits=[spec(seal=first.seal_number)]
        )
    assert exc.value.field == "seal_number"
    assert Sample.objects.count() == 2


@pytest.mark.parametrize("seal", ["12345678", "KZS00012345", "kz-1", "KZS-123", "KZS-00012345X"])
def test_it_refuses_a_seal_number_in_the_wrong_format(lot, sampler, seal):
    with pytest.raises(ApplicationError) as exc:
        services.sample_register(actor=sampler, lot=lot, mass_g=Decimal(1000), location="Bay", splits=[spec(seal=seal)])
    assert exc.value.field == "seal_number"
    assert not Sample.objects.exists()


def test_splits_cannot_weigh_more_than_the_composite(lot, sampler):
    with pytest.raises(ApplicationError) as exc:
        services.sample_register(
            actor=sampler, lot=lot, mass_g=Decimal(400), location="Bay", splits=[spec(mass="250"), spec(mass="250")]
        )
    assert exc.value.field == "splits"


def test_a_composite_needs_a_location_and_splits(lot, sampler):
    with pytest.raises(ApplicationError) as exc:
        services.sample_register(actor=sampler, lot=lot, mass_g=Decimal(400), location=" ", splits=[spec()])
    assert exc.value.field == "location"
    with pytest.raises(ApplicationError) as exc:
        services.sample_register(actor=sampler, lot=lot, mass_g=Decimal(400), location="Bay", splits=[])
    assert exc.value.field == "splits"
    assert not Sample.objects.exists()


def test_a_split_cannot_be_split_again(lot, sampler):
    _, (split,) = register_splits(lot, sampler, purposes=("laboratory",))
    with pytest.raises(Conflict):
        services.sample_split(actor=sampler, sample=split, splits=[spec()])


def test_exporters_and_technicians_do_not_take_samples(lot, exporter, technician):
    for user in (exporter, technician):
        with pytest.raises(NotPermitted):
            services.sample_register(actor=user, lot=lot, mass_g=Decimal(400), location="Bay", splits=[spec()])


def test_a_closed_lot_takes_no_samples(lot, sampler):
    Lot.objects.filter(pk=lot.pk).update(status=Lot.Status.CLOSED)
    lot.refresh_from_db()
    with pytest.raises(Conflict):
        register_splits(lot, sampler)
