"""No sample is ever left with nobody able to act on it.

The walk reaches every state of Sample.LIFECYCLE, by every kind of hand-over a sample may take (to
the laboratory's staff, an outside carrier, the lot's exporter, an umpire laboratory) and by recalls,
and for each sample reached asks the whole cast, by role and organisation, what they may do next
(the custody steps the pages and the API offer, and the follow-on decisions such as resolving a
nonconformance). Someone must be able to, and must succeed when they try; only the terminal states
are left alone, and nobody can act on those.
"""

from decimal import Decimal

import pytest
from django.db import transaction

from lims import permissions
from samples import selectors, services
from samples.models import Nonconformance, Sample
from tests.conftest import next_seal, register_splits

S = Sample.Status
# A composite once split lives on in its splits; a disposed sample is gone.
TERMINAL = {S.SPLIT, S.DISPOSED}
# A sample is born empty only inside the transaction that writes its first event.
TRANSIENT = {""}
REASON = "Walking the custody states."


class RolledBack(Exception):
    pass


def next_steps(user, sample) -> list[str]:
    """What `user` may do next with `sample`: the custody steps offered to them, and resolving the
    nonconformance that holds it (which releases or rejects it)."""
    steps = selectors.sample_actions(user, sample)
    if sample.status == S.ON_HOLD:
        problem = sample.nonconformances.filter(status=Nonconformance.Status.OPEN).first()
        if problem and permissions.can(user, "nonconformance.resolve", problem):
            steps.append("resolve")
    return steps


def take(user, sample, step) -> None:
    """Take `step` through its service, as the page would."""
    seal = {"seal_number_seen": sample.seal_number}
    if step == "hand_over":
        recipient = selectors.hand_over_recipients(user, sample).first()
        target = {"to_user": recipient} if recipient else {"carrier": "KazExpress, waybill 1"}
        services.sample_hand_over(actor=user, sample=sample, **seal, **target)
    elif step == "recall":
        services.sample_recall(actor=user, sample=sample, reason=REASON)
    elif step == "receive":
        services.sample_receive(actor=user, sample=sample, seal_intact=True, **seal)
    elif step == "seal":
        services.sample_seal(actor=user, sample=sample, seal_number=next_seal())
    elif step == "split":
        spec = services.SplitSpec(purpose="laboratory", mass_g=Decimal("100.0"), seal_number=next_seal())
        services.sample_split(actor=user, sample=sample, splits=[spec])
    elif step in ("prepare", "store"):
        getattr(services, f"sample_{step}")(actor=user, sample=sample)
    elif step == "dispose":
        services.sample_dispose(actor=user, sample=sample, note=REASON)
    elif step == "resolve":
        problem = sample.nonconformances.get(status=Nonconformance.Status.OPEN)
        services.nonconformance_resolve(actor=user, nonconformance=problem, accept=True, reason=REASON)
    else:
        raise AssertionError(f"the walk does not know how to take {step!r}")


def who_can_act(cast, sample) -> dict[str, list[str]]:
    """username -> the steps they took successfully (each tried, then undone)."""
    done: dict[str, list[str]] = {}
    for user in cast:
        for step in next_steps(user, sample):
            try:
                with transaction.atomic():
                    take(user, Sample.objects.get(pk=sample.pk), step)
                    raise RolledBack
            except RolledBack:
                done.setdefault(user.username, []).append(step)
    return done


@pytest.fixture
def cast(sampler, sampler2, technician, reviewer, manager, exporter, exporter2, broker, inspector,
         umpire_technician):  # fmt: skip
    return [sampler, sampler2, technician, reviewer, manager, exporter, exporter2, broker, inspector,
            umpire_technician]  # fmt: skip


@pytest.fixture
def reached(lot, sampler, technician, reviewer, manager, exporter, umpire_technician) -> dict[str, Sample]:
    """A sample in every state, reached as people reach it; named by how."""
    purposes = ("laboratory",) * 10 + ("exporter", "umpire", "customs_referee", "archive", "umpire")
    specs = [services.SplitSpec(purpose=p, mass_g=Decimal("100.0"), seal_number=next_seal()) for p in purposes]
    composite, splits = services.sample_register(
        actor=sampler, lot=lot, mass_g=Decimal("2000.0"), location="Loading bay 3", splits=specs
    )
    labs, (ours, umpire, referee, archive, umpire2) = splits[:10], splits[10:]
    seal = lambda sample: {"seal_number_seen": sample.seal_number}  # noqa: E731

    def hand(giver, sample, **to):
        return services.sample_hand_over(actor=giver, sample=sample, **seal(sample), **to)

    def receive(user, sample, intact=True):
        return services.sample_receive(actor=user, sample=sample, seal_intact=intact, **seal(sample))

    collected = services.sample_collect(actor=sampler, lot=lot, mass_g=Decimal("500.0"), location="Bay 3")
    samples = {
        "collected": collected,
        "split composite": composite,
        "sealed": labs[0],
        # Handed to each kind of recipient a split may go to:
        "in transit to the laboratory's technician": hand(sampler, labs[1], to_user=technician),
        "in transit to the laboratory's reviewer": hand(sampler, labs[2], to_user=reviewer),
        "in transit with a carrier": hand(sampler, archive, carrier="KazExpress, waybill 778812"),
        "in transit to the lot's exporter": hand(sampler, ours, to_user=exporter),
        "in transit to the umpire laboratory": hand(sampler, umpire, to_user=umpire_technician),
        "in transit to the customs referee laboratory": hand(sampler, referee, to_user=umpire_technician),
    }
    samples["received at the umpire laboratory"] = receive(
        umpire_technician, hand(sampler, umpire2, to_user=umpire_technician)
    )
    samples["received"] = receive(technician, hand(sampler, labs[3], to_user=technician))
    samples["on hold"] = receive(technician, hand(sampler, labs[4], to_user=technician), intact=False)
    rejected = receive(technician, hand(sampler, labs[5], to_user=technician), intact=False)
    services.nonconformance_resolve(
        actor=manager, nonconformance=rejected.nonconformances.get(), accept=False, reason="Seal cut"
    )
    samples["rejected"] = rejected
    samples["in preparation"] = services.sample_prepare(
        actor=technician, sample=receive(technician, hand(sampler, labs[6], to_user=technician))
    )
    in_analysis = services.sample_start_analysis(
        actor=technician, sample=receive(technician, hand(sampler, labs[7], to_user=technician))
    )
    samples["in analysis"] = in_analysis
    reported = services.sample_start_analysis(
        actor=technician, sample=receive(technician, hand(sampler, labs[8], to_user=technician))
    )
    samples["reported"] = services.sample_report(actor=reviewer, sample=reported)
    archived = services.sample_store(
        actor=technician, sample=receive(technician, hand(sampler, labs[9], to_user=technician))
    )
    samples["archived"] = archived
    # By recalls: back to sealed from a hand-over, back to received from a hand-on.
    recalled = hand(sampler, sealed_split(lot, sampler), to_user=technician)
    samples["sealed again by a recall"] = services.sample_recall(actor=sampler, sample=recalled, reason=REASON)
    handed_on = hand(technician, receive(technician, hand(sampler, sealed_split(lot, sampler), to_user=technician)),
                     to_user=manager)  # fmt: skip
    samples["received again by a recall"] = services.sample_recall(actor=technician, sample=handed_on, reason=REASON)
    disposed = services.sample_store(
        actor=technician, sample=receive(technician, hand(sampler, sealed_split(lot, sampler), to_user=technician))
    )
    samples["disposed"] = services.sample_dispose(actor=manager, sample=disposed, note="Retention period over")
    return {name: Sample.objects.get(pk=sample.pk) for name, sample in samples.items()}


def sealed_split(lot, sampler) -> Sample:
    _, (split,) = register_splits(lot, sampler, purposes=("laboratory",))
    return split


def test_the_walk_reaches_every_state(reached):
    # So that the test below cannot pass by skipping a state.
    assert {sample.status for sample in reached.values()} == set(Sample.LIFECYCLE.states) - TRANSIENT
    assert {state for state in Sample.LIFECYCLE.states if not Sample.LIFECYCLE.actions(state)} | {
        S.DISPOSED  # its retained portions are the bench's, not a custody step of the sample
    } == TERMINAL


def test_someone_can_act_on_every_sample_that_is_not_done(reached, cast):
    stranded = {}
    for name, sample in reached.items():
        acting = who_can_act(cast, sample)
        if sample.status in TERMINAL:
            assert acting == {}, f"{name}: {acting} may still act on a {sample.status} sample"
        elif not acting:
            stranded[name] = sample.status
    assert stranded == {}


def test_who_acts_on_each_hand_over(reached, cast):
    # What each kind of recipient leaves possible: the addressee's laboratory receives; the exporter
    # keeps its split (the giver may still take it back); the umpire laboratory receives its splits.
    acting = {name: who_can_act(cast, sample) for name, sample in reached.items() if name.startswith("in transit")}
    assert acting == {
        "in transit to the laboratory's technician": {
            "sam": ["recall"],
            "tess": ["hand_over", "receive"],
            "max": ["receive"],
        },
        # Rita reviews results and receives nothing; her laboratory's technicians take it in for her.
        "in transit to the laboratory's reviewer": {"sam": ["recall"], "tess": ["receive"], "max": ["receive"]},
        # Any laboratory takes a sample in from a carrier.
        "in transit with a carrier": {"sam": ["recall"], "tess": ["receive"], "max": ["receive"], "uma": ["receive"]},
        "in transit to the lot's exporter": {"sam": ["recall"]},
        "in transit to the umpire laboratory": {"sam": ["recall"], "uma": ["hand_over", "receive"]},
        "in transit to the customs referee laboratory": {"sam": ["recall"], "uma": ["hand_over", "receive"]},
    }
