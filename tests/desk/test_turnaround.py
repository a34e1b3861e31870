"""The turnaround report (desk.turnaround): days from a sample's reception (its RECEIVE custody event)
to its first certificate's issue, by month, method and exporter, from known event times."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from assays import services as assays_services
from assays.models import Method
from certificates.models import Certificate
from desk import turnaround
from samples import services
from tests.assays.conftest import manual
from tests.conftest import next_seal
from tests.customs.conftest import make_certificate


def received_at(lot, sampler, technician, when):
    """A laboratory split collected an hour before `when`, handed to the technician and received at `when`."""
    _composite, (split,) = services.sample_register(
        actor=sampler, lot=lot, mass_g=Decimal("2000.0"), location="Bay 3", occurred_at=when - timedelta(hours=1),
        splits=[services.SplitSpec(purpose="laboratory", mass_g=Decimal("250.0"), seal_number=next_seal())],
    )  # fmt: skip
    services.sample_hand_over(
        actor=sampler, sample=split, to_user=technician, seal_number_seen=split.seal_number,
        occurred_at=when - timedelta(minutes=30),
    )  # fmt: skip
    return services.sample_receive(
        actor=technician, sample=split, seal_number_seen=split.seal_number, seal_intact=True, occurred_at=when
    )


@pytest.fixture
def measured(lot, lot2, sampler, technician, reviewer, manager):
    """alice's three certificates issued 2, 4 and 10 days after reception, an amendment of the first
    (not counted), and bob's one certificate issued after 1 day."""
    start = timezone.now() - timedelta(days=40)
    certificates = []
    for offset, days in enumerate((2, 4, 10)):
        when = start + timedelta(days=offset)
        sample = received_at(lot, sampler, technician, when)
        certificates.append(make_certificate(sample, requested_by=manager, issued_at=when + timedelta(days=days)))
    # One of them with approved moisture and Au (the moisture first: Au is reported dry).
    (moisture,) = manual(technician, "moisture", certificates[1].sample, H2O="8.0")
    (au,) = manual(technician, "fire-assay", certificates[1].sample, Au="5.25")
    assays_services.result_approve(actor=reviewer, result=moisture)
    assays_services.result_approve(actor=reviewer, result=au)
    make_certificate(
        certificates[0].sample, requested_by=manager, status=Certificate.Status.ISSUED,
        issued_at=start + timedelta(days=30), supersedes=certificates[0], amendment_reason="Wrong contract.",
    )  # fmt: skip
    bobs = received_at(lot2, sampler, technician, start)
    make_certificate(bobs, requested_by=manager, issued_at=start + timedelta(days=1))
    return certificates


def test_the_figures_come_from_the_event_times(measured, manager):
    today = timezone.localdate()
    report = turnaround.report(manager, start=today - timedelta(days=60), end=today)

    # alice's 2, 4 and 10 days and bob's 1 day; the amendment does not count.
    assert report.overall.count == 4
    assert report.overall.median_days == 3.0
    alice = next(f for f in report.by_exporter if f.key == "Altyn Copper LLP")
    assert (alice.count, alice.median_days, alice.p90_days) == (3, 4.0, 8.8)
    methods = sorted(Method.objects.filter(code__in=["moisture", "fire-assay"]).values_list("name", flat=True))
    assert [(f.key, f.count, f.median_days) for f in report.by_method] == [(name, 1, 4.0) for name in methods]
    assert sum(f.count for f in report.by_month) == 4


def test_an_exporter_sees_only_their_own(measured, exporter, exporter2):
    today = timezone.localdate()

    alices = turnaround.report(exporter, start=today - timedelta(days=60), end=today)
    bobs = turnaround.report(exporter2, start=today - timedelta(days=60), end=today)

    assert [f.key for f in alices.by_exporter] == ["Altyn Copper LLP"]
    assert (alices.overall.count, alices.overall.median_days) == (3, 4.0)
    assert (bobs.overall.count, bobs.overall.median_days) == (1, 1.0)


def test_the_period_filters(measured, manager):
    today = timezone.localdate()
    # Issued 40 days ago + 1 (bob's) and + 2 (alice's first): the period of those two days only.
    start = today - timedelta(days=39)

    report = turnaround.report(manager, start=start, end=start + timedelta(days=1))

    assert report.overall.count == 2


def test_the_page_and_its_exports(client, measured, manager, inspector):
    client.force_login(manager)
    today = timezone.localdate()
    query = {"start": (today - timedelta(days=60)).isoformat(), "end": today.isoformat()}

    page = client.get(reverse("turnaround"), query)
    csv = client.get(reverse("turnaround"), {**query, "format": "csv"})
    xlsx = client.get(reverse("turnaround"), {**query, "format": "xlsx"})
    backwards = client.get(reverse("turnaround"), {"start": today.isoformat(), "end": "2020-01-01"})

    assert page.status_code == 200 and "median 3.0 days" in page.content.decode()
    lines = b"".join(csv.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Certificate,Exporter,Month,Received,Issued,Days")
    assert len(lines) == 5
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert backwards.status_code == 400
    # Customs inspectors have no turnaround report.
    client.force_login(inspector)
    assert client.get(reverse("turnaround")).status_code == 403


def test_percentiles_interpolate():
    assert turnaround.percentile([2, 4, 10], 0.5) == 4
    assert turnaround.percentile([2, 4], 0.5) == 3
    assert turnaround.percentile([2, 4, 10], 0.9) == pytest.approx(8.8)
