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
