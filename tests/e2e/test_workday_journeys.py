"""A working day, at tablet size (820 x 1180, the loading point's and the bench's tablets): each person
starts from the dashboard of what waits for them, and no page they pass through scrolls sideways.

- Tess, the technician: Rita rejects her copper titration in the review queue (Tess is told in the
  product and by e-mail, sent by a real worker); Tess's dashboard shows the sample to receive and the
  result to redo; she scans the sample's code into the header's search field (a scanner types it and
  presses Enter), receives it, then reads the rejection's reason and enters the retest.
- Ivan, the inspector: his dashboard lists the flagged declarations, the longest waiting first; he
  works them from there until the section is empty.
(Alice filing a declaration from a certificate is in test_declaration_journey.py.)
"""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from assays.models import Result
from customs.models import Declaration
from samples.models import Sample
from tests.assays.conftest import manual
from tests.conftest import in_transit_to, received, sealed_split
from tests.customs.conftest import file, make_certificate, make_prices
from tests.e2e.conftest import expect, login
from tests.integration.test_notification_worker import wait_for_mail, with_email
from tests.integration.test_worker_redis import worker  # noqa: F401 - the fixture

TABLET = {"width": 820, "height": 1180}
REASON = "Titration end point overshot; repeat with a fresh aliquot."


def message(page):
    return page.locator(".messages .message")


def fits(page) -> None:
    """The page is no wider than the tablet: nothing scrolls sideways."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= TABLET["width"], f"{page.url} is {width} px wide at a {TABLET['width']} px viewport"


def section(page, key):
    return page.locator(f"#desk-{key}")


def test_a_technicians_day_from_the_dashboard(
    page,
    live_server,
    worker,  # noqa: F811
    lot,
    sampler,
    technician,
    reviewer,
):
    page.set_viewport_size(TABLET)
    with_email(technician)
    arriving = in_transit_to(lot, sampler, technician)
    titrated = received(lot, sampler, technician)
    (copper,) = manual(technician, "titration-cu", titrated, Cu="22.85")

    # Rita rejects the copper in her review queue, saying why.
    login(page, live_server, reviewer)
    page.get_by_role("link", name="Review", exact=True).click()
    fits(page)
    # Copper waits for the sample's moisture before approval, but may be rejected now.
    row = page.locator("table.review tbody tr", has_text=titrated.code)
    expect(row).to_contain_text("Cu")
    row.get_by_label("Reason").fill(REASON)
    row.get_by_role("button", name="Reject").click()
    expect(message(page)).to_have_text(f"{titrated.code} Cu: Rejected (retest).")

    # The worker e-mails Tess after the rejection commits.
    (email,) = wait_for_mail(1)
    assert email.to == [technician.email]
    assert titrated.code in email.subject and f"Reason: {REASON}" in email.body

    # Tess lands on her dashboard: a sample to receive, a result to redo, and the bell says so.
    login(page, live_server, technician)
    expect(page.get_by_role("heading", level=1)).to_have_text("Waiting for you")
    fits(page)
    expect(section(page, "receive").locator("[data-count]")).to_have_text("1")
    expect(section(page, "receive").get_by_role("link", name=arriving.code)).to_be_visible()
    redo = section(page, "results_to_redo")
    expect(redo.locator("[data-count]")).to_have_text("1")
    expect(redo).to_contain_text(f"{titrated.code} Cu")
    expect(redo).to_contain_text(REASON)
    # Told of both samples handed to her and of the rejection.
    expect(page.locator(".bell .bell-count")).to_have_text("3")

    # She scans the arriving sample's label: the scanner types the code and Enter.
    search = page.locator("#header-search-q")
    search.click()
    page.keyboard.type(f"  {arriving.code.lower()}")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/samples/{arriving.code}/")
    fits(page)
    page.get_by_role("link", name="Receive").click()
    fits(page)
    page.get_by_label("Seal number seen").fill(arriving.seal_number)
    page.get_by_label("Location").fill("Lab reception")
    page.get_by_role("button", name="Receive").click()
    expect(message(page)).to_have_text(f"Received: {arriving.code}.")
    arriving.refresh_from_db()
    assert (arriving.status, arriving.current_custodian) == (Sample.Status.RECEIVED, technician)

    # Back on the dashboard nothing waits at reception; she opens the result to redo.
    page.get_by_role("link", name="Dashboard").click()
    expect(section(page, "receive").locator("[data-count]")).to_have_text("0")
    section(page, "results_to_redo").get_by_role("link", name=f"{titrated.code} Cu").click()
    fits(page)
    expect(page.locator(f"#rejection-{copper.pk} .reason")).to_have_text(REASON)
    page.locator(f"#rejection-{copper.pk}").get_by_role("link", name="Enter the retest").click()
    fits(page)
    expect(page.locator(f".rejections #rejection-{copper.pk} .reason")).to_have_text(REASON)
    page.get_by_label(f"{titrated.code} Cu", exact=True).fill("22.62")
    page.get_by_role("button", name="Save the results").click()
    expect(message(page)).to_have_text("1 result(s) entered; they await review.")

    retest = Result.objects.get(retest_of=copper)
    assert (retest.value_as_received, retest.entered_by, retest.status) == (
        Decimal("22.62"), technician, Result.Status.ENTERED,
    )  # fmt: skip
    page.get_by_role("link", name="Dashboard").click()
    expect(section(page, "results_to_redo").locator("[data-count]")).to_have_text("0")


def test_an_inspector_works_the_flagged_declarations_from_the_dashboard(
    page, live_server, exporter, inspector, lot, sampler, manager, customs_org
):
    page.set_viewport_size(TABLET)
    certificate = make_certificate(sealed_split(lot, sampler), requested_by=manager)
    make_prices()
    # Two declarations leave out the certified rare earths (flagged); one declares everything (cleared).
    older = file(exporter, [certificate], lot=lot, customs_office=customs_org, components={"Cu": "22.50 %"})
    newer = file(exporter, [certificate], lot=lot, customs_office=customs_org, components={"Cu": "22.50 %"})
    Declaration.objects.filter(pk=older.pk).update(filed_at=timezone.now() - timedelta(days=3))
    assert {older.status, newer.status} == {Declaration.Status.FLAGGED}

    login(page, live_server, inspector)
    expect(page.get_by_role("heading", level=1)).to_have_text("Waiting for you")
    fits(page)
    flagged = section(page, "flagged_declarations")
    expect(flagged.locator("[data-count]")).to_have_text("2")
    # The longest waiting first.
    expect(flagged.locator(".desk-items li a")).to_have_text([older.number, newer.number])
    expect(page.locator(".nav .pending-badge")).to_have_text("2")

    for declaration, decision in ((older, "Reject the declaration"), (newer, "Accept the declaration")):
        page.get_by_role("link", name="Dashboard").click()
        section(page, "flagged_declarations").get_by_role("link", name=declaration.number).click()
        fits(page)
        page.get_by_label(decision).check()
        page.get_by_label("Reason").fill("Referee sample ordered." if "Reject" in decision else "Explained by broker.")
        page.get_by_role("button", name="Record decision").click()
        expect(message(page)).to_contain_text(f"Declaration {declaration.number}:")

    page.get_by_role("link", name="Dashboard").click()
    expect(section(page, "flagged_declarations").locator("[data-count]")).to_have_text("0")
    expect(section(page, "flagged_declarations")).to_contain_text("Nothing waiting.")
    expect(page.locator(".nav .pending-badge")).to_have_count(0)
    assert {d.status for d in Declaration.objects.filter(pk__in=[older.pk, newer.pk])} == {
        Declaration.Status.REJECTED, Declaration.Status.ACCEPTED,
    }  # fmt: skip


def test_an_exporter_declares_from_a_certificate_without_retyping(
    page, live_server, exporter, lot, sampler, manager, customs_org
):
    page.set_viewport_size(TABLET)
    certificate = make_certificate(sealed_split(lot, sampler), requested_by=manager)
    make_prices()
    number = "55201000/071226/0000713"

    # Alice's dashboard shows the certificate issued for her lot; she declares from it.
    login(page, live_server, exporter)
    fits(page)
    issued = section(page, "certificates_issued")
    expect(issued.locator("[data-count]")).to_have_text("1")
    issued.get_by_role("link", name=certificate.number).click()
    fits(page)
    page.get_by_role("link", name="Declare from this certificate").click()
    fits(page)

    # Lot, HS code, certified dry mass, the certificate cited and every element it reports are filled in.
    expect(page.locator("#prefilled")).to_contain_text(f"Filled in from certificate {certificate.number}")
    expect(page.get_by_label("Lot:", exact=True).locator("option:checked")).to_contain_text(lot.lot_number)
    expect(page.get_by_label("Net dry mass (t)")).to_have_value("4575.000")
    expect(page.get_by_label("Certificates cited")).to_have_value(certificate.number)
    # A fixed row for each element the certificate reports (moisture aside), its certified value beside it.
    certified = page.locator("table.components tr.certified-row")
    expect(certified).to_have_count(11)
    filled = {}
    for row in certified.all():
        symbol = row.locator("th").inner_text().strip()
        filled[symbol] = (row.get_by_label("Content").input_value(), row.get_by_label("Unit").input_value())
    assert {s: filled[s] for s in ("Cu", "Au", "La", "As")} == {
        "Cu": ("22.50", "%"), "Au": ("5.00", "g/t"), "La": ("118.00", "ppm"), "As": ("0.182", "%"),
    }  # fmt: skip
    # Below its detection limit, lutetium has no figure to declare.
    assert filled["Lu"][0] == ""

    # She types only what the certificate cannot know: the declaration's number and customs value.
    page.get_by_label("Declaration number").fill(number)
    page.get_by_label("Customs value").fill("20000000.00")
    page.get_by_role("button", name="File declaration").click()
    expect(message(page)).to_contain_text(f"Declaration {number} is checked: no blocking finding.")
    fits(page)
    expect(page.locator(".facts")).to_contain_text("20,000,000.00")

    declaration = Declaration.objects.get(number=number)
    declared = {c.analyte.symbol: (c.content, c.unit) for c in declaration.components.select_related("analyte")}
    assert declared == {symbol: (Decimal(value), unit) for symbol, (value, unit) in filled.items() if value}
    assert (declaration.lot, declaration.dry_mass_t, declaration.status) == (
        lot, Decimal("4575.000"), Declaration.Status.CLEARED,
    )  # fmt: skip
