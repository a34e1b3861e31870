"""The lab manager's nonconformance pages: the list, open problems first, and the decision."""

import pytest
from django.urls import reverse

from samples import services
from samples.models import Nonconformance, Sample
from tests.conftest import in_transit_to


def held(lot, sampler, technician):
    """A sample received with a broken seal: on hold, one open nonconformance."""
    sample = in_transit_to(lot, sampler, technician)
    services.sample_receive(actor=technician, sample=sample, seal_number_seen=sample.seal_number, seal_intact=False)
    return sample


@pytest.fixture
def sample(lot, sampler, technician):
    return held(lot, sampler, technician)


@pytest.fixture
def problem(sample):
    return sample.nonconformances.get()


def resolve_url(problem):
    return reverse("nonconformance_resolve", kwargs={"nc_pk": problem.pk})


def test_open_problems_come_first(client, lot, sampler, technician, manager, problem):
    later = held(lot, sampler, technician).nonconformances.get()
    services.nonconformance_resolve(actor=manager, nonconformance=later, accept=True, reason="Bag intact")
    client.force_login(manager)

    page = client.get(reverse("nonconformance_list"))

    # The resolved one is newer, yet the open one leads.
    assert [item.pk for item in page.context["page_obj"]] == [problem.pk, later.pk]
    assert resolve_url(problem) in page.content.decode()
    assert resolve_url(later) not in page.content.decode()
    open_only = client.get(reverse("nonconformance_list"), {"status": "open"}).context["page_obj"]
    assert [item.pk for item in open_only] == [problem.pk]


def test_the_manager_accepts_the_sample_with_a_reason(client, manager, sample, problem):
    client.force_login(manager)

    response = client.post(resolve_url(problem), {"accept": "accept", "reason": "Bag intact, seal wire only"})

    assert response.status_code == 302
    assert response.url == reverse("nonconformance_list")
    problem.refresh_from_db()
    sample.refresh_from_db()
    assert (problem.status, problem.resolution, problem.resolved_by) == (
        "accepted",
        "Bag intact, seal wire only",
        manager,
    )
    assert sample.status == Sample.Status.RECEIVED


def test_the_manager_rejects_the_sample(client, manager, sample, problem):
    client.force_login(manager)

    client.post(resolve_url(problem), {"accept": "reject", "reason": "Contents spilled"})

    sample.refresh_from_db()
    assert sample.status == Sample.Status.REJECTED
    assert Nonconformance.objects.get().status == Nonconformance.Status.REJECTED


def test_a_decision_needs_a_reason_shown_at_the_reason(client, manager, sample, problem):
    client.force_login(manager)

    response = client.post(resolve_url(problem), {"accept": "accept", "reason": " "})

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["reason"]
    problem.refresh_from_db()
    assert problem.status == Nonconformance.Status.OPEN


def test_a_problem_is_resolved_once(client, manager, problem):
    services.nonconformance_resolve(actor=manager, nonconformance=problem, accept=True, reason="Bag intact")
    client.force_login(manager)

    response = client.post(resolve_url(problem), {"accept": "reject", "reason": "Changed my mind"})

    assert response.status_code == 409
    assert "resolved already" in response.context["form"].non_field_errors()[0]
    problem.refresh_from_db()
    assert problem.status == Nonconformance.Status.ACCEPTED


def test_only_the_lab_manager_resolves(client, technician, problem):
    client.force_login(technician)

    assert client.get(resolve_url(problem)).status_code == 403
    assert client.post(resolve_url(problem), {"accept": "accept", "reason": "Fine by me"}).status_code == 403
    # Technicians see the problems but are offered no decision.
    page = client.get(reverse("nonconformance_list"))
    assert [item.pk for item in page.context["page_obj"]] == [problem.pk]
    assert resolve_url(problem) not in page.content.decode()
    problem.refresh_from_db()
    assert problem.status == Nonconformance.Status.OPEN


def test_another_exporter_sees_none_of_them(client, exporter2, problem):
    client.force_login(exporter2)
    assert list(client.get(reverse("nonconformance_list")).context["page_obj"]) == []
    assert client.get(resolve_url(problem)).status_code == 404
