"""Each role's dashboard (desk.dashboard): the count of every queue and its first item, the most
urgent first and the oldest first among equals; several roles see each role's sections; bob (Steppe
Metals) never sees anything of alice's (Altyn Copper); the navigation shows the pending total."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assays import services as assays_services
from desk import dashboard
from lims.roles import Role
from samples import services
from samples.models import Priority
from tests.assays.conftest import manual
from tests.conftest import in_transit_to, make_lot, received, register_splits, sealed_split
from tests.customs.conftest import file, make_certificate, make_prices


def _sections(client, user) -> dict:
    client.force_login(user)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return {section.key: section for _role, sections in response.context["roles"] for section in sections}


def test_the_sampler_sees_the_samples_to_seal_or_hand_over_the_most_urgent_first(
    client, sampler, exporter, exporter_org
):
    normal = make_lot(actor=exporter, exporter_org=exporter_org)
    urgent = make_lot(actor=exporter, exporter_org=exporter_org, priority=Priority.URGENT)
    register_splits(normal, sampler)  # three sealed splits, the composite split
    _, urgent_splits = register_splits(urgent, sampler, purposes=("laboratory",))
    collected = services.sample_collect(actor=sampler, lot=normal, mass_g=Decimal("500.0"), location="Bay 1")
    # Handed over: no longer the sampler's work.
    _, (handed,) = register_splits(normal, sampler, purposes=("exporter",))
    services.sample_hand_over(actor=sampler, sample=handed, carrier="DHL 123", seal_number_seen=handed.seal_number)

    section = _sections(client, sampler)["seal_or_hand_over"]

    # 3 sealed splits + 1 urgent split + 1 collected composite, not the split composites nor the handed one.
    assert section.count == 5
    assert section.items[0].label == urgent_splits[0].code
    assert section.items[0].priority == Priority.URGENT
    # Among equals the oldest first: the splits of the normal lot, collected before the composite.
    assert section.items[-1].label == collected.code
    assert section.list_url == reverse("sample_list") + "?work=seal_or_hand_over"


def test_the_technician_sees_what_to_receive_prepare_and_redo(client, sampler, technician, reviewer, exporter, lot):
    due_soon = make_lot(actor=exporter, exporter_org=lot.exporter, due_date=date.today() - timedelta(days=1))
    first = in_transit_to(lot, sampler, technician)
    overdue = in_transit_to(due_soon, sampler, technician)
    at_lab = received(lot, sampler, technician)
    (au,) = manual(technician, "fire-assay", at_lab, Au="5.25")
    assays_services.result_reject(actor=reviewer, result=au, reason="Duplicate disagrees by 12 %")

    sections = _sections(client, technician)

    assert sections["receive"].count == 2
    # The lot due yesterday first, marked overdue, before the older sample without a due date.
    assert [item.label for item in sections["receive"].items] == [overdue.code, first.code]
    assert sections["receive"].items[0].overdue
    # at_lab went into analysis with its first result: nothing to prepare.
    assert sections["prepare"].count == 0
    assert sections["results_to_redo"].count == 1
    assert sections["results_to_redo"].items[0].label == f"{at_lab.code} Au"
    assert sections["batches"].count == 0 and sections["runs_to_accept"].count == 0


def test_the_reviewer_sees_results_to_review_but_not_their_own(client, sampler, technician, reviewer, lot):
    sample = received(lot, sampler, technician)
    manual(technician, "fire-assay", sample, Au="5.25", Ag="40")

    sections = _sections(client, reviewer)

    assert sections["results_to_review"].count == 2
    assert sections["results_to_review"].items[0].label.startswith(sample.code)
    assert sections["runs_failing_qc"].count == 0
    # The technician entered them: not in her own review queue.
    assert list(dashboard.results_to_review(technician)) == []


def test_the_manager_sees_nonconformances_and_samples_to_certify(client, sampler, technician, manager, lot):
    held = in_transit_to(lot, sampler, technician)
    services.sample_receive(actor=technician, sample=held, seal_number_seen="KZS-99999999", seal_intact=True)

    sections = _sections(client, manager)

    assert sections["nonconformances"].count == 1
    assert sections["nonconformances"].items[0].label == held.code
    assert sections["to_certify"].count == 0
    assert sections["failed_certificates"].count == 0


def test_several_roles_see_each_roles_sections(client, technician, reviewer):
    technician.groups.add(Group.objects.get(name=Role.REVIEWER))
    technician.__dict__.pop("_roles", None)

    client.force_login(technician)
    roles = [str(role) for role, _sections in client.get(reverse("dashboard")).context["roles"]]

    assert roles == [str(Role.TECHNICIAN.label), str(Role.REVIEWER.label)]


@pytest.fixture
def alices_and_bobs(sampler, technician, exporter, exporter2, lot, lot2):
    alice_sample = in_transit_to(lot, sampler, technician)
    bob_sample = in_transit_to(lot2, sampler, technician)
    return alice_sample, bob_sample


def test_an_exporter_sees_only_their_own_lots(client, alices_and_bobs, exporter, exporter2, lot, lot2):
    sections = _sections(client, exporter)
    assert sections["lots_in_progress"].count == 1
    item = sections["lots_in_progress"].items[0]
    assert item.label == lot.lot_number
    assert str(item.status_label) == "On its way to the laboratory"

    client.force_login(exporter2)
    body = client.get(reverse("dashboard")).content.decode()
    assert lot2.lot_number in body
    assert lot.lot_number not in body and alices_and_bobs[0].code not in body


def test_the_inspector_sees_flagged_declarations_oldest_first(client, inspector, exporter, lot, sampler, manager):
    make_prices()
    certificate = make_certificate(sealed_split(lot, sampler), requested_by=manager)
    customs_office = inspector.organisation
    # 5000 t declared where 4575 t dry are certified: a blocking finding flags it.
    first = file(exporter, [certificate], lot=lot, customs_office=customs_office, dry_mass_t="5000.000")
    file(exporter, [certificate], lot=lot, customs_office=customs_office, dry_mass_t="5100.000")
    assert first.status == "flagged"

    section = _sections(client, inspector)["flagged_declarations"]

    assert section.count == 2
    assert section.items[0].label == first.number
    # The laboratory never sees declarations.
    assert "flagged_declarations" not in _sections(client, manager)


def test_the_navigation_shows_the_pending_total(client, sampler, technician, lot):
    in_transit_to(lot, sampler, technician)
    received(lot, sampler, technician)
    client.force_login(technician)

    body = client.get(reverse("lot_list")).content.decode()

    # One to receive, one to prepare.
    assert dashboard.pending_total(technician) == 2
    assert 'class="pending-badge"' in body and ">2</span>" in body


def test_the_dashboard_runs_a_constant_number_of_queries(client, sampler, technician, lot):
    client.force_login(technician)
    in_transit_to(lot, sampler, technician)
    client.get(reverse("dashboard"))

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("dashboard"))
    for _ in range(4):
        in_transit_to(lot, sampler, technician)
        received(lot, sampler, technician)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("dashboard"))
    assert len(many) == len(few)
