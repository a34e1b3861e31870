"""Demo certificates, issued through the services as a lab manager and the worker would: one
issued and current, one revoked, and one superseded by an amendment (which is issued and current).

The requests are made in the demo transaction; issuing renders and writes files, so it runs after
commit, here in the seeding process (a running worker finds them issued and does nothing)."""

from certificates import services, transparency
from certificates.models import Certificate

REVOCATION_REASON = "Issued against the wrong export contract; a corrected certificate follows the new sampling."
AMENDMENT_REASON = "The customer's registration number was stated wrongly; corrected."
CORRECTED_REGISTRATION = "BIN 150440056780"


def seed(context: dict) -> None:
    if Certificate.objects.exists():
        return
    manager = context["users"]["manager"]
    for sample in context.get("reported_samples", []):
        services.certificate_request(actor=manager, sample=sample)


def _issue_pending() -> None:
    for certificate in Certificate.objects.filter(status=Certificate.Status.PENDING).order_by("pk"):
        services.certificate_issue_unsafe(certificate_id=certificate.pk, claim=f"demo-{certificate.pk}")


def seed_after_commit(context: dict) -> None:
    if Certificate.objects.filter(status__in=["revoked", "superseded"]).exists():
        return
    _issue_pending()
    manager = context["users"]["manager"]
    first, second = (
        Certificate.objects.filter(
            status=Certificate.Status.ISSUED, sample__in=context.get("reported_samples", [])
        ).order_by("pk")
    )[:2]
    # The exporter's registration number was wrong on the first certificate; it is corrected, and the
    # amendment states the change.
    exporter = first.sample.lot.exporter
    exporter.registration_number = CORRECTED_REGISTRATION
    exporter.save(update_fields=["registration_number"])
    services.certificate_amend(actor=manager, certificate=first, reason=AMENDMENT_REASON)
    _issue_pending()
    services.certificate_revoke(actor=manager, certificate=second, reason=REVOCATION_REASON)
    # The log's checkpoint now rather than when the worker starts: the verification page shows each
    # certificate's inclusion proof at once (seed_demo runs with the development keys, as a worker would).
    transparency.sign_checkpoint()
    context["certificates"] = list(Certificate.objects.filter(sample__in=context["reported_samples"]))
