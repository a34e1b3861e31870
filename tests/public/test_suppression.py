"""Small cells: a lot's composition is never published alone, and cannot be recovered by subtracting
one published figure from another. The attacker here collects every composition figure the open
data gives (every cell, month and total, under every filter and combination of filters) and tries
every difference of two of them."""

import itertools
from decimal import Decimal

import pytest
from django.test import Client

from assays import units
from public import statistics
from tests.public.conftest import contained

pytestmark = pytest.mark.django_db

MASSES = ("dry_mass_t", "cu_t", "au_kg", "treo_kg")


def published(client, scenario, exporters, **fixed) -> dict[str, set[Decimal]]:
    """Every figure of each mass the JSON states, over the combinations of filters."""
    figures: dict[str, set[Decimal]] = {name: set() for name in MASSES}
    choices = {
        "exporter": ["", *exporters],
        "destination": ["", "CN", "RU"],
        "start": [scenario.m1, scenario.m2],
        "end": [scenario.m1, scenario.m2, scenario.now],
    }
    for values in itertools.product(*choices.values()):
        params = {**dict(zip(choices, values, strict=True)), **fixed, "format": "json"}
        if params["start"] > params["end"]:
            continue
        data = Client().get("/statistics/", params).json()
        for item in [*data["cells"], *data["months"], data["total"]]:
            for name in MASSES:
                if item.get(name) is not None:
                    figures[name].add(Decimal(item[name]))
    return figures


def recoverable(figures: set[Decimal]) -> set[Decimal]:
    """What a reader gets from the published figures: each of them, and each difference of two."""
    return figures | {abs(a - b) for a, b in itertools.combinations(figures, 2)}


def secret(scenario, *names) -> dict[str, Decimal]:
    """The composition of the suppressed lots `names` together, as it would be published."""
    total = {name: Decimal(0) for name in MASSES}
    for name in names:
        for key, value in contained(scenario.certificates[name]).items():
            if key in total:
                total[key] += value
    return {key: units.round_to(value, 3) for key, value in total.items()}


def test_a_suppressed_cell_shows_counts_but_no_composition(scenario):
    data = Client().get("/statistics/", {"format": "json", "start": scenario.m1}).json()

    suppressed = [c for c in data["cells"] if c["composition"] == "suppressed"]
    # alice's one lot to Russia, bob's two lots, alice's one lot of m2.
    assert sorted((c["exporter"], c["destination"], c["lots"]) for c in suppressed) == [
        ("Altyn Copper LLP", "CN", 1),
        ("Altyn Copper LLP", "RU", 1),
        ("Steppe Metals JSC", "CN", 2),
    ]
    for cell in suppressed:
        assert cell["declarations"] >= 1
        assert all(cell[name] is None for name in statistics.COMPOSITION)
    page = Client().get("/statistics/", {"start": scenario.m1}).content.decode()
    assert "Composition suppressed" in page and "fewer than 3 lots" in page


def test_no_difference_of_published_figures_recovers_a_suppressed_lot(scenario, exporter_org, exporter2_org):
    client = Client()
    figures = published(client, scenario, [exporter_org.pk, exporter2_org.pk])

    targets = {
        "alice's lot to Russia": secret(scenario, "r1"),
        "bob's first lot": secret(scenario, "b1"),
        "bob's second lot": secret(scenario, "b2"),
        "bob's two lots": secret(scenario, "b1", "b2"),
        "alice's lot of last month": secret(scenario, "w1"),
    }
    for name in MASSES:
        found = recoverable(figures[name])
        for target, values in targets.items():
            assert values[name] not in found, f"{target}: {name} {values[name]} is recoverable"
    # The shown cell's figures are published (the attacker's haul is not empty).
    assert secret(scenario, "a1", "a2", "a3")["cu_t"] in figures["cu_t"]


def test_without_suppression_the_same_attack_recovers_the_lot(scenario, exporter_org, exporter2_org, monkeypatch):
    # The attack above is a real one: with cells of one lot allowed, it finds alice's Russian lot.
    monkeypatch.setattr(statistics, "MIN_LOTS", 1)
    figures = published(Client(), scenario, [exporter_org.pk, exporter2_org.pk], destination="")

    assert secret(scenario, "r1")["cu_t"] in recoverable(figures["cu_t"])


def test_totals_over_shown_cells_only_say_what_they_leave_out(scenario, exporter_org):
    alice = (
        Client()
        .get("/statistics/", {"format": "json", "start": scenario.m1, "end": scenario.m1, "exporter": exporter_org.pk})
        .json()
    )

    # alice has four lots in m1: three to China (shown) and one to Russia (suppressed). Her total is
    # the Chinese cell's, and says it leaves one lot out: were it her four lots, the difference with
    # the Chinese cell would be the Russian lot.
    assert alice["total"]["lots"] == 4 and alice["total"]["suppressed_lots"] == 1
    assert Decimal(alice["total"]["cu_t"]) == secret(scenario, "a1", "a2", "a3")["cu_t"]
