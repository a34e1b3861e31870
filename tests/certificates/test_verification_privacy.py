"""The portal shows what a certificate states and nothing of the laboratory's records: no ids, no
user names but the authoriser printed on the certificate, no custody, no QC runs, no audit, no file
paths, by number, QR code or file, on the page and in the JSON."""

import pytest

from lims.models import User
from tests.certificates.test_verification import Portal, issue, pdf_of  # noqa: F401 - issue is a fixture

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
        *portal.number(certificate.number),
        *portal.token(certificate.qr_token),
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
