"""Each closed month's figures are published as a canonical JSON document, signed with the log key
and recorded as a "statistics" leaf of the transparency log; a change of a month's figures is a new,
different publication, and the page says whether the live figures still match the last one."""

import base64
import hashlib
import json
from io import StringIO

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client

from certificates import transparency
from certificates.models import LogEntry
from customs.models import Declaration
from public import statistics
from public.models import Publication
from public.tasks import publish_statistics
from tests.customs.conftest import file

pytestmark = pytest.mark.django_db
EM_DASH = "\u2014"


def verify_signed_note(note: str, vkey: str) -> str:
    """The body of `note` if it carries a valid signature of the C2SP verifier key `vkey`, checked
    here from the specification (signed-note), without the product's code."""
    name, key_hash_hex, encoded = vkey.split("+", 2)  # base64 may hold "+" too
    raw = base64.b64decode(encoded)
    assert raw[0] == 0x01  # Ed25519
    public_key = Ed25519PublicKey.from_public_bytes(raw[1:])
    assert hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4].hex() == key_hash_hex
    body, separator, signatures = note.rpartition("\n\n")
    assert separator
    body += "\n"
    for line in signatures.splitlines():
        prefix = f"{EM_DASH} {name} "
        if line.startswith(prefix):
            blob = base64.b64decode(line[len(prefix) :])
            if blob[:4].hex() == key_hash_hex:
                public_key.verify(blob[4:], body.encode())  # raises InvalidSignature
                return body
    raise AssertionError("no signature of the log key")


def test_each_closed_month_is_published_signed_and_logged(scenario, keys_dir):
    out = StringIO()
    call_command("publish_statistics", stdout=out)

    publications = list(Publication.objects.order_by("number"))
    # m1 and m2 are over; this month is not published.
    assert [(p.number, p.period) for p in publications] == [(1, scenario.m1), (2, scenario.m2)]
    assert f"published the statistics of {scenario.m1} as no. 1" in out.getvalue()
    vkey = transparency.verifier_key()
    for publication in publications:
        document = publication.document.encode("ascii")
        # The document is the month's canonical figures, and its hash is the log leaf's.
        figures = statistics.compute()
        assert document == statistics.document(publication.period, figures.of_month(publication.period))
        assert publication.document_sha256 == hashlib.sha256(document).hexdigest()
        assert verify_signed_note(publication.signed_note, vkey) == publication.document + "\n"
        leaf = json.loads(LogEntry.objects.get(index=publication.log_index).leaf)
        assert leaf == {
            "v": 1,
            "event": "statistics",
            "period": publication.period,
            "document_sha256": publication.document_sha256,
            "time": leaf["time"],
        }
    # The published month holds its shown cell's figures, and none of the suppressed ones.
    content = json.loads(publications[0].document)
    assert content["period"] == scenario.m1 and content["total"]["cu_t"] == "2199.375"
    assert [c["composition"] for c in content["cells"]].count("suppressed") == 2


def test_the_addresses_serve_what_was_signed(scenario, keys_dir):
    publish_statistics()
    publication = Publication.objects.get(period=scenario.m1)
    client = Client()

    document = client.get(f"/statistics/publications/{publication.number}.json")
    assert hashlib.sha256(document.content).hexdigest() == publication.document_sha256
    note = client.get(f"/statistics/publications/{publication.number}.txt")
    assert note["Content-Type"] == "text/plain; charset=utf-8"
    assert verify_signed_note(note.content.decode(), client.get("/verify/log/key").content.decode().strip())
    assert client.get("/statistics/publications/999.json").status_code == 404


def test_nothing_is_published_again_until_a_month_changes(scenario, keys_dir, exporter2, customs_org):
    assert len(publish_statistics()) == 2
    entries = LogEntry.objects.count()
    # Nothing changed: nothing published, nothing logged.
    assert publish_statistics() == []
    assert LogEntry.objects.count() == entries
    page = Client().get("/statistics/", {"start": scenario.m1}).content.decode()
    assert page.count("live figures match it") == 2

    # A declaration of bob's, filed in m1, comes to light: m1's figures change.
    late = file(exporter2, [scenario.certificates["b3"]], lot=scenario.lots["b3"], customs_office=customs_org,
                dry_mass_t="900.000")  # fmt: skip
    Declaration.objects.filter(pk=late.pk).update(filed_at=scenario.declarations["b3"].filed_at)
    page = Client().get("/statistics/", {"start": scenario.m1}).content.decode()
    assert page.count("live figures match it") == 1 and "live figures differ" in page

    [republished] = [Publication.objects.get(number=n) for n in publish_statistics()]
    first = Publication.objects.get(number=1)
    assert (republished.number, republished.period) == (3, scenario.m1)
    assert republished.document_sha256 != first.document_sha256
    assert LogEntry.objects.count() == entries + 1
    # The first publication is still there, as it was.
    assert Publication.objects.filter(period=scenario.m1).count() == 2
    page = Client().get("/statistics/", {"start": scenario.m1}).content.decode()
    assert page.count("live figures match it") == 2 and "signed no. 3" in page


def test_a_publication_is_never_changed(scenario, keys_dir):
    publish_statistics()
    publication = Publication.objects.get(number=1)

    with pytest.raises(PermissionError):
        Publication.objects.filter(pk=publication.pk).update(document="{}")
    publication.document = "{}"
    with pytest.raises(PermissionError):
        publication.save()
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE public_publication SET document = '{}'")
    assert Publication.objects.get(number=1).document != "{}"
