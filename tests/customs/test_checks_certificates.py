"""A declaration must cite a certificate in force of its own lot: every other citation is blocking
and flags the declaration for an inspector."""

import pytest

from certificates.models import Certificate
from customs.models import Declaration, Finding
from tests.conftest import make_lot, sealed_split
from tests.customs.conftest import blocking, make_certificate

S = Certificate.Status


def citation_findings(declaration):
    return list(declaration.findings.filter(rule=Finding.Rule.CERTIFICATE))


def test_an_issued_certificate_of_the_lot_is_in_force(declare, certificate):
    declaration = declare()

    (finding,) = citation_findings(declaration)
    assert (finding.severity, finding.certificate_number) == ("info", certificate.number)
    # The honest declaration passes every check.
    assert declaration.status == Declaration.Status.CLEARED
    assert blocking(declaration) == []
    assert not declaration.findings.filter(severity="warning").exists()
    assert declaration.citations.get().certificate == certificate


def test_an_unknown_number_is_blocking(declare):
    declaration = declare(certificate_numbers=["KZL-2026-999999"])

    rules = {f.rule for f in blocking(declaration)}
    assert rules == {"certificate", "no_certificate"}
    assert "not in the laboratory's register" in citation_findings(declaration)[0].message
    assert declaration.status == Declaration.Status.FLAGGED


@pytest.mark.parametrize("status", [S.PENDING, S.RENDERING, S.SIGNING, S.FAILED])
def test_a_certificate_not_yet_issued_is_blocking(declare, lab_sample, manager, status):
    pending = make_certificate(lab_sample, requested_by=manager, status=status)

    declaration = declare(certificates=[pending])

    (finding,) = citation_findings(declaration)
    assert finding.severity == "blocking" and "not issued" in finding.message
    assert declaration.status == Declaration.Status.FLAGGED


def test_a_revoked_certificate_is_blocking_and_says_why(declare, lab_sample, manager):
    revoked = make_certificate(lab_sample, requested_by=manager, status=S.REVOKED)

    declaration = declare(certificates=[revoked])

    (finding,) = citation_findings(declaration)
    assert finding.severity == "blocking"
    assert "revoked" in finding.message and "wrong contract" in finding.message
    assert declaration.status == Declaration.Status.FLAGGED


def test_a_superseded_certificate_is_blocking_and_names_its_successor(declare, lab_sample, manager):
    old = make_certificate(lab_sample, requested_by=manager, status=S.SUPERSEDED)
    new = make_certificate(lab_sample, requested_by=manager, supersedes=old, amendment_reason="Corrected moisture.")

    declaration = declare(certificates=[old])

    (finding,) = citation_findings(declaration)
    assert finding.severity == "blocking"
    assert new.number in finding.message
    assert finding.figures["superseded_by"] == new.number
    assert declaration.status == Declaration.Status.FLAGGED


def test_another_exporters_certificate_is_blocking_and_tells_nothing_of_it(declare, lot2, sampler, manager):
    bobs = make_certificate(sealed_split(lot2, sampler), requested_by=manager)

    declaration = declare(certificates=[bobs])

    (finding,) = citation_findings(declaration)
    assert finding.severity == "blocking"
    assert "was not issued to Altyn Copper LLP" in finding.message
    # Neither bob's lot nor his sample is named to alice.
    assert lot2.lot_number not in finding.message + str(finding.figures)
    assert bobs.sample.code not in finding.message + str(finding.figures)


def test_a_certificate_of_another_lot_of_the_same_exporter_is_blocking(
    declare, exporter, exporter_org, sampler, manager
):
    other_lot = make_lot(actor=exporter, exporter_org=exporter_org)
    other = make_certificate(sealed_split(other_lot, sampler), requested_by=manager)

    declaration = declare(certificates=[other])

    (finding,) = citation_findings(declaration)
    assert finding.severity == "blocking"
    assert f"is of lot {other_lot.lot_number}, not of the declared lot" in finding.message


def test_one_bad_citation_beside_a_good_one_still_flags(declare, certificate, lab_sample, manager):
    revoked = make_certificate(lab_sample, requested_by=manager, status=S.REVOKED)

    declaration = declare(certificates=[certificate, revoked])

    assert [f.severity for f in citation_findings(declaration)] == ["info", "blocking"]
    assert declaration.status == Declaration.Status.FLAGGED
    # The good certificate is still checked against.
    assert declaration.findings.filter(rule="dry_mass", certificate_number=certificate.number).exists()


def test_without_a_valid_certificate_nothing_else_is_checked(declare, lab_sample, manager):
    revoked = make_certificate(lab_sample, requested_by=manager, status=S.REVOKED)

    declaration = declare(certificates=[revoked])

    assert set(declaration.findings.values_list("rule", flat=True)) == {"certificate", "no_certificate"}
