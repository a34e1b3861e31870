"""Search (desk.search): a sample code, a seal number, a lot number, a certificate number or a
declaration number, typed in any case with spaces around it or entered by a barcode scanner (the code,
then Enter), goes straight to its object when exactly one matches; several give a list, none a message.
A label's QR code holds the sample code; a certificate's holds its token and prints its verification
address: both find the certificate. bob (Steppe Metals) never finds anything of alice's (Altyn Copper)."""

import pytest
from django.urls import reverse

from tests.conftest import make_lot, sealed_split
from tests.customs.conftest import file, make_certificate, make_prices


def search(client, user, text):
    client.force_login(user)
    return client.get(reverse("search"), {"q": text})


@pytest.fixture
def world(lot, sampler, manager, exporter, customs_org):
    make_prices()
    sample = sealed_split(lot, sampler)
    certificate = make_certificate(
        sample, requested_by=manager, number="KZL-2026-000417", qr_token="LIMS2:6BFOXN*TS0BI$ZDZRH"
    )
    declaration = file(exporter, [certificate], lot=lot, customs_office=customs_org)
    return {"sample": sample, "certificate": certificate, "declaration": declaration, "lot": lot}


@pytest.mark.parametrize(
    "typed",
    [
        lambda w: w["sample"].code,
        lambda w: f"  {w['sample'].code.lower()} ",
        # A scanner types the label's QR content, then Enter (some a tab too).
        lambda w: f"{w['sample'].code}\r\n",
        lambda w: f"{w['sample'].code}\t",
        # The seal's number, as printed and in lower case.
        lambda w: w["sample"].seal_number,
        lambda w: w["sample"].seal_number.lower(),
    ],
)
def test_a_sample_is_found_by_its_code_or_seal(client, world, exporter, typed):
    response = search(client, exporter, typed(world))

    assert response.status_code == 302
    assert response.url == reverse("sample_detail", kwargs={"code": world["sample"].code})


@pytest.mark.parametrize(
    "typed",
    [
        "KZL-2026-000417",
        " kzl-2026-000417 ",
        "https://lims.example.org/verify/?number=KZL-2026-000417",
        "LIMS2:6BFOXN*TS0BI$ZDZRH",
    ],
)
def test_a_certificate_is_found_by_its_number_address_or_qr_code(client, world, exporter, typed):
    response = search(client, exporter, typed)

    assert response.status_code == 302
    assert response.url == reverse("certificate_detail", kwargs={"cert_pk": world["certificate"].pk})


def test_a_lot_and_a_declaration_are_found_by_their_numbers(client, world, exporter, inspector):
    lot_response = search(client, exporter, world["lot"].lot_number.lower())
    declaration_response = search(client, inspector, world["declaration"].number)

    assert lot_response.url == reverse("lot_detail", kwargs={"lot_pk": world["lot"].pk})
    assert declaration_response.url == reverse("declaration_detail", kwargs={"declaration_pk": world["declaration"].pk})


def test_the_laboratory_never_finds_a_declaration(client, world, manager):
    response = search(client, manager, world["declaration"].number)

    assert response.status_code == 200
    assert response.context["hits"] == []


def test_two_lots_of_one_number_give_a_list(client, lot, exporter2, exporter2_org, manager):
    other = make_lot(actor=exporter2, exporter_org=exporter2_org, lot_number=lot.lot_number)

    response = search(client, manager, lot.lot_number)

    assert response.status_code == 200
    assert sorted(hit.url for hit in response.context["hits"]) == sorted(
        reverse("lot_detail", kwargs={"lot_pk": pk}) for pk in (lot.pk, other.pk)
    )
    assert b"2 matches for" in response.content


def test_nothing_found_says_so(client, world, exporter):
    response = search(client, exporter, "KZL-26-999999")

    assert response.status_code == 200
    assert response.context["hits"] == []
    assert "Nothing you may see is named" in response.content.decode()


def test_bob_finds_nothing_of_alices(client, world, exporter2):
    sample = world["sample"]
    for text in (
        sample.code,
        sample.seal_number,
        world["lot"].lot_number,
        world["certificate"].number,
        world["certificate"].qr_token,
        f"https://lims.example.org/verify/?number={world['certificate'].number}",
        world["declaration"].number,
    ):
        response = search(client, exporter2, text)
        assert response.status_code == 200, text
        assert response.context["hits"] == [], text


def test_an_empty_or_overlong_query_is_no_error(client, exporter):
    assert search(client, exporter, "").status_code == 200
    assert search(client, exporter, "   ").context["hits"] == []
    assert search(client, exporter, "X" * 5000).status_code == 200
    assert search(client, exporter, "https://[::1/").status_code == 200
