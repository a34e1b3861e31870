"""Building issued certificates in tests, through the real services: a sample carried through its
whole panel (tests.assays.conftest.report), a request by the lab manager, and the issue task's work
done in the test's own process. Needs the `keys_dir` fixture (keys and media under tmp)."""

from certificates import services
from certificates.models import Certificate
from tests.assays.conftest import report
from tests.conftest import received


def issue_now(certificate: Certificate, claim: str = "test") -> Certificate:
    """Do what the issue task does, here and now."""
    issued = services.certificate_issue_unsafe(certificate_id=certificate.pk, claim=claim)
    assert issued is not None and issued.status == Certificate.Status.ISSUED, certificate.failure
    return issued


def issued_certificate(*, lot, sampler, technician, reviewer, manager, instrument) -> Certificate:
    """An issued certificate of a new laboratory split of `lot`."""
    sample = report(received(lot, sampler, technician), technician=technician, reviewer=reviewer, instrument=instrument)
    return issue_now(services.certificate_request(actor=manager, sample=sample))
