import pytest

from customs import scale


@pytest.fixture
def cast(
    sampler, technician, reviewer, manager, exporter, exporter2, exporter_org, exporter2_org, customs_org, inspector
):
    """The scale dataset's builder (customs.scale) with the cast of tests/conftest.py: lots alternate
    between alice's Altyn Copper and bob's Steppe Metals."""
    return scale.Cast(
        sampler=sampler, technician=technician, reviewer=reviewer, manager=manager,
        exporters=[exporter_org, exporter2_org], exporter_users=[exporter, exporter2], customs_office=customs_org,
        inspector=inspector,
    )  # fmt: skip
