"""A declaration's journey through the pages: Alice of Altyn Copper files a customs declaration of
her lot citing its certificate of analysis, declaring copper, gold and silver but leaving out the
rare earths the certificate reports; the declaration is flagged at once. Ivan, the customs
inspector, finds it in his queue, sees declared and certified side by side, and rejects it with a
reason, which goes on the declaration and in the audit trail.
"""

from customs.models import Declaration
from lims.models import AuditEvent
from tests.conftest import sealed_split
from tests.customs.conftest import make_certificate, make_prices
from tests.e2e.conftest import expect, login  # not from playwright: without it, the tests skip

NUMBER = "55201000/231126/0000901"
REASON = "La, Ce and Nd certified above their reporting limits were left out; referee sample ordered."


def message(page):
    return page.locator(".messages .message")


def test_an_undeclared_rare_earth_is_flagged_and_rejected(
    page, live_server, exporter, inspector, lot, sampler, manager, customs_org
):
    certificate = make_certificate(sealed_split(lot, sampler), requested_by=manager)
    make_prices()

    # Alice files the declaration; the form knows her lot, office, HS code and currency.
    login(page, live_server, exporter)
    page.get_by_role("link", name="Declarations").click()
    page.get_by_role("link", name="File a declaration").click()
    page.get_by_label("Declaration number").fill(NUMBER)
    expect(page.get_by_label("Declarant")).to_have_value("Altyn Copper LLP")
    page.get_by_label("Lot:", exact=True).select_option(label=f"{lot.lot_number} (Altyn Copper LLP)")
    expect(page.get_by_label("Customs office").locator("option:checked")).to_have_text("Khorgos Customs Post")
    page.get_by_label("Net dry mass (t)").fill("4575.000")
    page.get_by_label("Customs value").fill("20000000.00")
    page.get_by_label("Certificates cited").fill(certificate.number)
    rows = page.locator("table.components tbody tr")
    for row, (symbol, content) in zip(rows.all(), [("Cu", "22.50"), ("Au", "5.00"), ("Ag", "40.0")], strict=False):
        expect(row.get_by_label("Element")).to_have_value(symbol)
        row.get_by_label("Content").fill(content)
    page.get_by_role("button", name="File declaration").click()

    # Checked at once: flagged, and she sees why.
    expect(message(page)).to_contain_text(f"Declaration {NUMBER} is flagged for review")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Flagged for review")
    expect(page.locator(".findings")).to_contain_text("Rare-earth elements among them: La, Ce, Nd")
    expect(page.get_by_role("link", name="Review")).to_have_count(0)

    # Ivan finds it in his queue and reviews it: declared and certified side by side.
    login(page, live_server, inspector)
    page.get_by_role("link", name="Customs queue").click()
    page.get_by_role("link", name=NUMBER).click()
    la = page.locator("table.comparison tr", has=page.get_by_role("rowheader", name="La", exact=True))
    expect(la).to_contain_text("118.00 ppm")
    expect(la).to_contain_text("Rare earth, not declared")
    expect(page.locator("table.valuation")).to_contain_text("Cu 22.5 %: payable 21.5 %")

    page.get_by_label("Reject the declaration").check()
    page.get_by_label("Reason").fill(REASON)
    page.get_by_role("button", name="Record decision").click()

    expect(message(page)).to_have_text(f"Declaration {NUMBER}: rejected.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rejected")
    expect(page.locator(".facts")).to_contain_text(REASON)
    page.get_by_role("link", name="Customs queue").click()
    expect(page.get_by_text("No declaration is waiting for review.")).to_be_visible()

    declaration = Declaration.objects.get(number=NUMBER)
    assert (declaration.status, declaration.decided_by, declaration.decision_reason) == ("rejected", inspector, REASON)
    assert AuditEvent.objects.get(action="declaration.reject", object_id=str(declaration.pk)).actor == inspector
