"""A split's journey from the loading point to the laboratory, through the pages only.

Alice of Altyn Copper registers a lot. Sam, the laboratory's sampler at the loading point, takes a
composite sample of it and splits it for the laboratory, the exporter and the archive, sealing each
split; he hands the laboratory split to Tess, confirming its seal. Tess receives it at the
laboratory, checks the seal, and finds its whole custody on the sample's page, verified. When the
seal she reads is not the one Sam applied, the split waits on hold for Max, the lab manager.
"""

from samples import chain
from samples.models import Nonconformance, Sample
from tests.conftest import in_transit_to, next_seal, register_splits
from tests.e2e.conftest import expect, login  # not from playwright: without it, the tests skip


def message(page):
    """The note the page shows after a step: what happened, or what went wrong."""
    return page.locator(".messages .message")


def register_sample(page, *, seals: dict[str, str]) -> None:
    """Fill the composite and one row per split. The first rows come with the purposes asked for;
    the spare row left empty is skipped."""
    page.get_by_role("link", name="Register a sample").click()
    composite = page.get_by_role("group", name="Composite sample")
    composite.get_by_label("Mass (g)").fill("2000")
    composite.get_by_label("Location").fill("Loading bay 3")
    rows = page.locator("table.splits tbody tr")
    for row, (purpose, seal) in zip(rows.all(), seals.items(), strict=False):
        expect(row.get_by_label("Purpose")).to_have_value(purpose)
        row.get_by_label("Mass (g)").fill("250")
        row.get_by_label("Seal number").fill(seal)
    page.get_by_role("button", name="Register and split").click()


def split_item(page, code_suffix: str):
    return page.locator(".tree-item.split").filter(has=page.locator("a.code", has_text=code_suffix))


def timeline(page):
    return page.locator("ol.timeline .event-action")


def test_a_split_travels_from_the_loading_point_to_the_laboratory(page, live_server, exporter, sampler, technician):
    lot_number = "AKT-2026-0415"
    seals = {"laboratory": next_seal(), "exporter": next_seal(), "archive": next_seal()}

    # Alice registers a lot; the form knows which organisation she registers it for.
    # She signs in to her dashboard and goes to her lots.
    login(page, live_server, exporter)
    page.get_by_role("link", name="Lots", exact=True).click()
    page.get_by_role("link", name="Register a lot").click()
    expect(page.get_by_label("Exporter").locator("option:checked")).to_have_text("Altyn Copper LLP")
    page.get_by_label("Lot number").fill(lot_number)
    page.get_by_label("Material").select_option(label="Copper concentrate")
    page.get_by_label("HS code").fill("2603.00")
    page.get_by_label("Origin").fill("Aktogay concentrator")
    page.get_by_label("Wet mass (t)").fill("5000")
    page.get_by_label("Destination country").select_option(label="China")
    page.get_by_label("Contract reference").fill("C-2026-17")
    page.get_by_label("Export licence number").fill("EL-0042")
    page.get_by_role("button", name="Register lot").click()
    expect(message(page)).to_have_text(f"Lot {lot_number} is registered.")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Lot {lot_number}")

    # Sam finds the lot in the list and registers a composite split three ways, each split sealed.
    login(page, live_server, sampler)
    page.get_by_role("link", name="Lots", exact=True).click()
    page.get_by_role("link", name=lot_number).click()
    register_sample(page, seals=seals)
    expect(message(page)).to_contain_text("is registered and split into")
    expect(page.locator(".tree-item:not(.split) .badge")).to_have_text("Split")
    for suffix, (purpose, seal) in zip(("-L1", "-E1", "-A1"), seals.items(), strict=True):
        split = split_item(page, suffix)
        expect(split.locator(".badge")).to_have_text("Sealed")
        expect(split.locator(".meta")).to_contain_text(f"{purpose.capitalize()} · 250.0 g · seal {seal}")
    lab_split = split_item(page, "-L1").locator("a.code")
    lab_code = lab_split.inner_text()

    # He hands the laboratory split to Tess, reading its seal off the bag.
    lab_split.click()
    page.get_by_role("link", name="Hand over").click()
    page.get_by_label("To a person").select_option(label="Tess Tech (Kazakh Independent Laboratory)")
    page.get_by_label("Seal number seen").fill(seals["laboratory"].lower())
    page.get_by_label("Location").fill("Loading bay 3")
    page.get_by_role("button", name="Hand over").click()
    expect(message(page)).to_have_text(f"Handed over: {lab_code}.")
    expect(page.locator("h1 .badge")).to_have_text("In transit")
    expect(page.locator(".facts")).to_contain_text("Tess Tech (Kazakh Independent Laboratory)")

    # Tess finds it among the samples in her custody and receives it: same seal, intact.
    login(page, live_server, technician)
    page.get_by_role("link", name="Samples", exact=True).click()
    page.get_by_label("In my custody").check()
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name=lab_code).click()
    page.get_by_role("link", name="Receive").click()
    page.get_by_label("Seal number seen").fill(seals["laboratory"])
    expect(page.get_by_label("The seal is intact")).to_be_checked()
    page.get_by_label("Location").fill("Lab reception")
    page.get_by_role("button", name="Receive").click()

    # The page shows the sample received and its whole custody, each link verified.
    expect(message(page)).to_have_text(f"Received: {lab_code}.")
    expect(page.locator("h1 .badge")).to_have_text("Received")
    expect(timeline(page)).to_have_text(["Collected", "Sealed", "Handed over", "Received"])
    expect(page.locator("#event-3")).to_contain_text(
        "Sam Sampler (Kazakh Independent Laboratory) → Tess Tech (Kazakh Independent Laboratory)"
    )
    expect(page.locator("#event-4")).to_contain_text(f"{seals['laboratory']} · intact")
    expect(page.locator(".chain-ok")).to_contain_text("Chain verified: 4 events, every link matches its hash.")
    # The composite's own chain ends where the splits' begin.
    page.locator(".facts").get_by_role("link", name=lab_code.removesuffix("-L1")).click()
    expect(timeline(page)).to_have_text(["Collected", "Split"])
    expect(page.locator(".chain-ok")).to_be_visible()

    # What the pages said is what the database holds, and the chain recomputes.
    sample = Sample.objects.get(code=lab_code)
    assert (sample.status, sample.current_custodian, sample.seal_number) == (
        Sample.Status.RECEIVED,
        technician,
        seals["laboratory"],
    )
    assert chain.verify(sample).intact
    assert all(chain.verify(s).intact for s in Sample.objects.filter(lot__lot_number=lot_number))


def test_a_split_under_another_seal_is_held_for_the_manager(page, live_server, lot, sampler, technician, manager):
    sample = in_transit_to(lot, sampler, technician)
    someone_elses_seal = next_seal()

    # Tess reads a different number off the seal than the one Sam applied.
    login(page, live_server, technician)
    page.goto(f"/samples/{sample.code}/")
    page.get_by_role("link", name="Receive").click()
    page.get_by_label("Seal number seen").fill(someone_elses_seal)
    page.get_by_role("button", name="Receive").click()

    # The page tells her to leave it alone, and why.
    expect(message(page)).to_have_text(
        f"The seal check failed: {sample.code} is on hold and a nonconformance was raised "
        "for the lab manager. Do not start work on it."
    )
    expect(page.locator("h1 .badge")).to_have_text("On hold")
    problem = page.locator(".problem")
    expect(problem).to_contain_text("Seal number does not match")
    expect(problem).to_contain_text(f"Seal {someone_elses_seal} was found where {sample.seal_number} was applied.")
    expect(timeline(page)).to_have_text(["Collected", "Sealed", "Handed over", "Put on hold"])
    expect(page.locator(".chain-ok")).to_be_visible()

    # Max finds it in his nonconformance list, open and waiting for his decision.
    login(page, live_server, manager)
    page.get_by_role("link", name="Nonconformances").click()
    row = page.locator("table.list tbody tr").filter(has_text=sample.code)
    expect(row).to_contain_text("Seal number does not match")
    expect(row.locator(".badge")).to_have_text("Open")
    expect(row.get_by_role("link", name="Resolve")).to_be_visible()

    sample.refresh_from_db()
    assert sample.status == Sample.Status.ON_HOLD
    assert sample.nonconformances.get().kind == Nonconformance.Kind.SEAL_MISMATCH
    assert chain.verify(sample).intact


def test_a_split_handed_to_the_wrong_person_is_recalled(page, live_server, lot, sampler, sampler2, exporter, exporter2):
    """Sam may hand alice's exporter split to alice, never to Bob of a rival exporter (the list does
    not offer him). He hands the laboratory split to Sid by mistake and takes it back with a reason
    before Sid has it: the split is sealed in Sam's hands again, the recall a verified link."""
    _, (lab_split, exporter_split) = register_splits(lot, sampler, purposes=("laboratory", "exporter"))
    login(page, live_server, sampler)

    page.goto(f"{live_server.url}/samples/{exporter_split.code}/hand-over/")
    offered = page.get_by_label("To a person").locator("option")
    expect(offered.filter(has_text="Alice Exporter (Altyn Copper LLP)")).to_have_count(1)
    expect(offered.filter(has_text="Steppe Metals")).to_have_count(0)

    page.goto(f"{live_server.url}/samples/{lab_split.code}/hand-over/")
    expect(page.get_by_label("To a person").locator("option").filter(has_text="Altyn Copper")).to_have_count(0)
    page.get_by_label("To a person").select_option(label="Sid Second (Kazakh Independent Laboratory)")
    page.get_by_label("Seal number seen").fill(lab_split.seal_number)
    page.get_by_role("button", name="Hand over").click()
    expect(message(page)).to_have_text(f"Handed over: {lab_split.code}.")

    page.get_by_role("link", name="Recall hand-over").click()
    expect(page.locator("main")).to_contain_text("Handed to Sid Second (Kazakh Independent Laboratory) by Sam Sampler")
    page.get_by_label("Reason").fill("Meant for Tess, not Sid.")
    page.get_by_role("button", name="Recall hand-over").click()

    expect(message(page)).to_have_text(f"Recalled: {lab_split.code}.")
    expect(page.locator("h1 .badge")).to_have_text("Sealed")
    expect(page.locator(".facts")).to_contain_text("Sam Sampler (Kazakh Independent Laboratory)")
    expect(timeline(page)).to_have_text(["Collected", "Sealed", "Handed over", "Recalled"])
    expect(page.locator("#event-4")).to_contain_text("Meant for Tess, not Sid.")
    expect(page.locator(".chain-ok")).to_contain_text("Chain verified: 4 events")

    lab_split.refresh_from_db()
    assert (lab_split.status, lab_split.current_custodian) == (Sample.Status.SEALED, sampler)
    assert chain.verify(lab_split).intact
