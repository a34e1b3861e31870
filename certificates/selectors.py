"""Reads of certificates for pages and API views, scoped by lims.permissions."""

import django_filters
from django.db.models import OuterRef, QuerySet, Subquery
from django.shortcuts import get_object_or_404

from certificates.models import Certificate
from lims import permissions
from lims.filters import ContainsFilter, choice_filter
from lims.models import User
from samples.models import Sample

# The order a person follows a certificate through, for the progress bar.
PROGRESS = (*Certificate.IN_PROGRESS, Certificate.Status.ISSUED)


def certificate_list(user: User) -> QuerySet:
    """The certificates `user` may see, newest first (the index certificate_newest_idx), with what a
    list row shows in the same query: the certificate it supersedes (without that one's snapshot) and
    the number of the amendment that supersedes it, `superseded_by_number` (None while the amendment
    is unnumbered or there is none). Snapshots, the bulk of a certificate row, are deferred."""
    amendment = Certificate.objects.filter(supersedes=OuterRef("pk")).values("number")[:1]
    certificates = permissions.visible(user, Certificate.objects.all()).select_related(
        "sample__lot__exporter", "supersedes"
    )
    return certificates.annotate(superseded_by_number=Subquery(amendment)).defer("snapshot", "supersedes__snapshot")


class CertificateFilter(django_filters.FilterSet):
    """The filters of certificate_list(), on the page and in the API."""

    q = ContainsFilter("number", "sample__lot__lot_number", help_text="Certificate or lot number.")
    status = choice_filter(Certificate.Status.choices)

    class Meta:
        model = Certificate
        fields = ["q", "status"]


def certificate_get(user: User, pk: int) -> Certificate:
    certificates = permissions.visible(
        user, Certificate.objects.select_related("sample__lot__exporter", "supersedes", "requested_by")
    )
    return get_object_or_404(certificates, pk=pk)


def contents_visible(user: User, certificate: Certificate) -> bool:
    """Whether `user` sees what the certificate states (its snapshot, results, QR token). An exporter
    sees it once the certificate was issued: a pending or failed certificate is not yet the
    laboratory's statement, and its frozen contents may still be corrected by amendment before
    anyone relies on them. Laboratory staff and inspectors see it throughout (it is their work)."""
    return certificate.was_issued or permissions.sees_lab_work(user)


def certifiable_samples(user: User) -> QuerySet:
    """Reported samples with no live certificate: what a lab manager may request a certificate for."""
    return (
        permissions.visible(user, Sample.objects.filter(status=Sample.Status.REPORTED))
        .exclude(certificates__status__in=Certificate.LIVE)
        .select_related("lot__exporter", "lot__material")
        .order_by("code")
    )


def progress(certificate: Certificate) -> dict:
    """What the progress page shows and polls: the status, the steps done, and the failure."""
    if certificate.status in PROGRESS:
        reached = PROGRESS.index(certificate.status)
    else:  # failed: only the request stands; revoked and superseded were issued
        reached = 0 if certificate.status == Certificate.Status.FAILED else len(PROGRESS) - 1
    return {
        "id": certificate.pk,
        "status": certificate.status,
        "label": certificate.get_status_display(),
        "number": certificate.number,
        "steps": [{"name": step, "done": i <= reached} for i, step in enumerate(PROGRESS)],
        "failure": certificate.failure if certificate.status == Certificate.Status.FAILED else "",
        "finished": not certificate.in_progress,
    }
