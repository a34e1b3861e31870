"""Who a sample may be handed to: only people who may hold it (samples.selectors.hand_over_recipients),
offered by the form and enforced by the service, so that no split is left with someone nobody can
take it from."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from lims.exceptions import ApplicationError
from samples import selectors, services
from samples.models import Sample
from tests.conftest import in_transit_to, received, register_splits, sealed_split


def hand(sampler, sample, to_user):
    services.sample_hand_over(actor=sampler, sample=sample, to_user=to_user, seal_number_seen=sample.seal_number)
    sample.refresh_from_db()  # the service moved its own, locked copy


def refused(sampler, sample, to_user) -> str:
    """The refusal's message; the sample and its chain are as they were."""
    before = (sample.status, sample.custody_length, sample.current_custodian_id)
    with pytest.raises(ApplicationError) as refusal:
        hand(sampler, sample, to_user)
    assert refusal.value.field == "to_user"
    sample.refresh_from_db()
    assert (sample.status, sample.custody_length, sample.current_custodian_id) == before
    return refusal.value.message


@pytest.fixture
def splits(lot, sampler):
    _, splits = register_splits(lot, sampler, purposes=("laboratory", "exporter", "umpire", "customs_referee"))
    return dict(zip(("laboratory", "exporter", "umpire", "customs_referee"), splits, strict=True))


@pytest.fixture
def everyone(sampler, sampler2, technician, reviewer, manager, exporter, exporter2, inspector, broker,
             former_exporter, umpire_technician):  # fmt: skip
    return [sampler, sampler2, technician, reviewer, manager, exporter, exporter2, inspector, broker,
            former_exporter, umpire_technician]  # fmt: skip


def usernames(users) -> list[str]:
    return sorted(user.username for user in users)


def test_each_split_is_offered_to_those_who_may_hold_it(splits, sampler, everyone):
    offered = {purpose: usernames(selectors.hand_over_recipients(sampler, s)) for purpose, s in splits.items()}

    lab = ["max", "rita", "sid", "tess"]  # the laboratory's staff, not Sam himself
    assert offered == {
        "laboratory": lab,
        # alice owns the lot; bob (a rival exporter), bea (a broker), carl (inactive) never.
        "exporter": ["alice", *lab],
        # The umpire laboratory takes the umpire's and the customs referee's splits only.
        "umpire": [*lab, "uma"],
        "customs_referee": [*lab, "uma"],
    }


def test_it_refuses_a_rival_exporters_employee(splits, sampler, exporter2):
    # The exporter split of alice's lot, to bob of Steppe Metals: he could neither keep nor return it.
    message = refused(sampler, splits["exporter"], exporter2)
    assert message == (
        "Bob Other (Steppe Metals JSC) works for Steppe Metals JSC, which does not own the lot of "
        f"{splits['exporter'].code}; of the exporters, only Altyn Copper LLP may hold its samples."
    )


def test_the_exporter_takes_only_its_exporter_split(splits, sampler, exporter):
    message = refused(sampler, splits["laboratory"], exporter)
    assert (
        message
        == f"Only the exporter split goes to Altyn Copper LLP; {splits['laboratory'].code} is a laboratory split."
    )

    hand(sampler, splits["exporter"], exporter)
    assert (splits["exporter"].status, splits["exporter"].current_custodian) == (Sample.Status.IN_TRANSIT, exporter)


def test_it_refuses_customs_and_brokers(splits, sampler, inspector, broker):
    # Another organisation's people: customs officers hold no sample, not even the referee's split.
    assert "Customs officers do not hold samples" in refused(sampler, splits["customs_referee"], inspector)
    assert "is no exporter user of Altyn Copper LLP" in refused(sampler, splits["exporter"], broker)


def test_it_refuses_an_inactive_user(splits, sampler, former_exporter):
    assert (
        refused(sampler, splits["exporter"], former_exporter) == "Carl Gone (Altyn Copper LLP) has no active account."
    )


def test_another_laboratory_takes_only_umpire_and_referee_splits(splits, sampler, umpire_technician):
    message = refused(sampler, splits["laboratory"], umpire_technician)
    assert message.startswith("Almaty Umpire Laboratory is another laboratory: only umpire and customs referee")

    for purpose in ("umpire", "customs_referee"):
        hand(sampler, splits[purpose], umpire_technician)
        assert splits[purpose].current_custodian == umpire_technician


def test_the_umpire_laboratory_hands_its_split_back(lot, sampler, technician, umpire_technician):
    # For the umpire laboratory, the sample's laboratory is its own: the first laboratory is the outside one.
    sample = in_transit_to(lot, sampler, umpire_technician, purpose="umpire")
    services.sample_receive(
        actor=umpire_technician, sample=sample, seal_number_seen=sample.seal_number, seal_intact=True
    )
    sample.refresh_from_db()
    assert technician in selectors.hand_over_recipients(umpire_technician, sample)

    hand(umpire_technician, sample, technician)
    assert sample.current_custodian == technician


def test_a_laboratory_account_without_a_laboratory_role_is_refused(lot, sampler, lab):
    from tests.conftest import make_user

    visitor = make_user("vic", None, lab, first_name="Vic", last_name="Visitor")
    sample = sealed_split(lot, sampler)
    assert (
        refused(sampler, sample, visitor)
        == "Vic Visitor (Kazakh Independent Laboratory) has no laboratory role at Kazakh Independent Laboratory."
    )


def test_a_received_sample_goes_on_under_the_same_rule(lot, sampler, technician, exporter, manager):
    sample = received(lot, sampler, technician)
    assert "Only the exporter split goes to" in refused(technician, sample, exporter)
    hand(technician, sample, manager)
    assert sample.current_custodian == manager


def test_the_page_offers_only_the_recipients(client, splits, sampler, exporter, exporter2, inspector):
    client.force_login(sampler)

    def offered(sample):
        form = client.get(reverse("sample_hand_over", kwargs={"code": sample.code})).context["form"]
        return set(form.fields["to_user"].queryset)

    assert exporter in offered(splits["exporter"]) and exporter not in offered(splits["laboratory"])
    assert exporter2 not in offered(splits["exporter"]) and inspector not in offered(splits["customs_referee"])

    # Posted anyway (a stale page, a crafted form): refused next to the field, nothing changed.
    sample = splits["laboratory"]
    response = client.post(
        reverse("sample_hand_over", kwargs={"code": sample.code}),
        {"to_user": exporter.pk, "seal_number_seen": sample.seal_number},
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["to_user"]
    sample.refresh_from_db()
    assert (sample.status, sample.custody_length) == (Sample.Status.SEALED, 2)


def test_the_api_goes_through_the_same_rule(splits, sampler, exporter2):
    api = APIClient()
    api.force_authenticate(sampler)
    sample = splits["exporter"]

    response = api.post(
        f"/api/v1/samples/{sample.code}/hand-over/",
        {"to_user": exporter2.pk, "seal_number_seen": sample.seal_number},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["extra"] == {"field": "to_user"}
    assert "does not own the lot" in response.json()["message"]
    sample.refresh_from_db()
    assert (sample.status, sample.current_custodian) == (Sample.Status.SEALED, sampler)
