"""The portal shows what a certificate states and nothing of the laboratory's records: no ids, no
user names but the authoriser printed on the certificate, no custody, no QC runs, no audit, no file
paths, by number, QR code or file, on the page and in the JSON.

And what it states only to whoever may see it: by number alone, the certificate's and the lot's
identity (no customer, masses, moisture, assays or results); in full with the verification code
printed on it, its QR code or its file, and to signed-in users who may see the certificate (the
laboratory, customs inspectors, the exporter who owns it; not another exporter)."""

import pytest
from django.utils import translation
from knox.models import AuthToken

from lims.models import User
from lims.templatetags.lims_format import quantity
from tests.certificates.test_verification import (  # noqa: F401 - issue is a fixture
    Portal,
    issue,
    pdf_of,
    printed_code,
)

# Kept out of the certificate's printed authoriser name (the full name), so a leak of the account shows.
REQUESTER = "acct-max-7731"


@pytest.fixture
def certificate(issue, manager):  # noqa: F811 - the imported fixture is used here
    User.objects.filter(pk=manager.pk).update(username=REQUESTER)
    manager.refresh_from_db()
    return issue()


def walk(value, path=""):
    """Every (path, key, value) of a JSON document."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield path, key, inner
            yield from walk(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from walk(inner, f"{path}[{index}]")


def test_nothing_internal_leaks(client, certificate, sampler, technician, reviewer):
    portal = Portal(client)
    snapshot = certificate.snapshot
    sample = certificate.sample
    run_ids = [run["run"] for run in snapshot["qc"]["runs"]]
    assert certificate.requested_by.username == REQUESTER and run_ids
    secrets = [
        REQUESTER,  # who requested it (the account)
        sampler.get_full_name(),  # who sampled, received and approved: on record, not the authoriser
        technician.get_full_name(),
        reviewer.get_full_name(),
        sample.code,
        sample.seal_number,
        certificate.pdf.name,  # where the file is stored
        "/media/",
        f"/certificates/{certificate.pk}/",
        snapshot["custody"]["head"],
        snapshot["qc"]["runs"][0]["instrument"],
    ]

    answers = [
        *portal.number(certificate.number, code=printed_code(certificate)),
        *portal.token(certificate.qr_token, certificate.number),
        *portal.file(pdf_of(certificate)),
    ]

    for seen in answers:
        assert seen.verdict == "authentic"
        leaked = [secret for secret in secrets if secret in seen.body]
        assert not leaked, leaked
        # The authoriser printed on the certificate is shown.
        assert snapshot["authorised_by"]["name"] in seen.body
    for seen in answers[1::2]:  # the JSON answers
        keys = {key for _, key, _ in walk(seen.data)}
        assert not keys & {"id", "pk", "sample", "run", "runs", "qc", "custody", "approved_by", "approvers", "events"}
        assert not [value for _, _, value in walk(seen.data) if value in run_ids and not isinstance(value, bool)]


def _figures(values) -> list[str]:
    # Short figures ("8.0") could turn up anywhere in a page; these cannot.
    return sorted({str(value) for value in values if value and len(str(value)) >= 4})


def stated(certificate) -> list[str]:
    """What a full answer shows, page and JSON alike: the customer, the dry mass, the moisture, the
    headline assays and the authoriser."""
    snapshot = certificate.snapshot
    return _figures(
        [
            snapshot["customer"]["name"],
            snapshot["lot"]["dry_mass_t"],
            snapshot["moisture"]["value"],
            snapshot["authorised_by"]["name"],
            *(value for value, _unit in snapshot["headline"].values()),
        ]
    )


def commercial_values(certificate) -> list[str]:
    """What the public must not learn from a certificate's number: what it states beyond the
    identity, the wet mass and every result."""
    snapshot = certificate.snapshot
    return _figures(
        [*stated(certificate), snapshot["lot"]["wet_mass_t"], *(row["value"] for row in snapshot["results"])]
    )


def written(value: str) -> set[str]:
    """A figure as the JSON states it (4600.000) and as the page writes it (4,600.000: lims_format's
    quantity groups thousands), so that a figure shown either way counts as shown."""
    with translation.override("en"):
        return {value, quantity(value)}


def shows(body: str, value: str) -> bool:
    return any(form in body for form in written(value))


def shows_everything(seen, certificate) -> bool:
    results = _figures(row["value"] for row in certificate.snapshot["results"])
    # The page lists every result; the JSON sends the table when asked for it (?results=1).
    return all(shows(seen.body, value) for value in stated(certificate)) and (
        seen.data is not None or all(shows(seen.body, value) for value in results)
    )


def shows_nothing_commercial(seen, certificate) -> bool:
    return not [value for value in commercial_values(certificate) if shows(seen.body, value)]


def test_by_number_anyone_sees_the_identity_only(client, certificate):
    page, api = Portal(client).number(certificate.number)

    assert page.verdict == api.verdict == "authentic"
    assert commercial_values(certificate)  # the check below checks something
    for seen in (page, api):
        leaked = [value for value in commercial_values(certificate) if shows(seen.body, value)]
        assert not leaked, leaked
    lot = certificate.snapshot["lot"]
    assert api.data["certificate"] == {
        "disclosure": "public",
        "number": certificate.number,
        "title": "Certificate of Analysis",
        "issued": api.data["certificate"]["issued"],
        "laboratory": api.data["certificate"]["laboratory"],
        "lot": {"number": lot["number"], "material": lot["material"], "hs_code": lot["hs_code"]},
        "amendment": None,
        # The language pair it was issued in (certificates.languages), in the reader's language.
        "languages": "Russian + English",
    }
    assert api.data["certificate"]["laboratory"]["name"] == certificate.snapshot["laboratory"]["name"]
    for shown in (lot["number"], lot["material"], lot["hs_code"]):
        assert shown in page.body
    assert "verification code printed beside its QR code" in page.body


def test_the_code_printed_on_the_certificate_shows_its_results(client, certificate):
    # As an inspector types it off the paper: lower case, spaces for hyphens, O for zero.
    typed = printed_code(certificate).lower().replace("-", " ").replace("0", "o")

    for seen in Portal(client).number(certificate.number, code=typed):
        assert seen.verdict == "authentic" and seen.status == 200
        assert shows_everything(seen, certificate), [
            v for v in commercial_values(certificate) if not shows(seen.body, v)
        ]


def test_a_wrong_code_shows_nothing(client, certificate, issue):  # noqa: F811
    other = issue()  # a genuine code, of another certificate

    for seen in Portal(client).number(certificate.number, code=printed_code(other)):
        assert seen.status == 400 and seen.verdict is None
        assert shows_nothing_commercial(seen, certificate)
        assert "This is not the verification code printed on certificate" in seen.body


@pytest.mark.parametrize("who", ["inspector", "exporter", "manager"])
def test_signed_in_users_who_may_see_the_certificate_see_it_all(client, certificate, request, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    portal = Portal(client)

    for seen in portal.number(certificate.number):
        assert seen.verdict == "authentic"
        assert shows_everything(seen, certificate)
    # The API also knows them by their API token, without a session.
    _instance, token = AuthToken.objects.create(user=user)
    client.logout()
    api = client.get(f"/api/v1/verify/{certificate.number}/", HTTP_AUTHORIZATION=f"Token {token}")
    assert api.json()["certificate"]["disclosure"] == "full"


def test_another_exporter_sees_the_identity_only(client, certificate, exporter2):
    client.force_login(exporter2)

    for seen in Portal(client).number(certificate.number):
        assert seen.verdict == "authentic"
        assert shows_nothing_commercial(seen, certificate)


def test_a_cached_answer_is_never_shown_at_another_level(client, certificate, inspector):
    # The public answer is cached first, then the inspector's, then the public one again.
    public = Portal(client).number(certificate.number)
    client.force_login(inspector)
    full = Portal(client).number(certificate.number)
    client.logout()
    again = Portal(client).number(certificate.number)

    for seen in (*public, *again):
        assert shows_nothing_commercial(seen, certificate)
    for seen in full:
        assert shows_everything(seen, certificate)
