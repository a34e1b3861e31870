"""The lifecycles of every status field: one mechanism (lims.lib.transitions), one table per field,
the database allowing exactly the field's choices, and a refusal that names the current state."""

import inspect

import pytest
from django.apps import apps
from django.db import models
from django.utils.translation import gettext_lazy as _

from lims.exceptions import Conflict
from lims.lib.transitions import Lifecycle

STATUS_FIELDS = ("status", "qc_status")


class Door(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    LOCKED = "locked", _("Locked")
    JAMMED = "jammed", _("QC jammed")


DOOR = Lifecycle(
    Door,
    {
        "close": ({Door.OPEN}, Door.CLOSED),
        "lock": ({Door.CLOSED}, Door.LOCKED),
        "kick": ({Door.CLOSED, Door.LOCKED}, {Door.OPEN, Door.JAMMED}),
        "knock": ({Door.CLOSED, Door.LOCKED}, None),
    },
    this=_("This door"),
    name=lambda door: f"Door {door.number}",
    labels={"close": _("closed"), "lock": _("locked"), "kick": _("kicked"), "knock": _("knocked on")},
    initial=Door.OPEN,
)


class Front:
    number = 7

    def __init__(self, status):
        self.status = status


# The mechanism ---------------------------------------------------------------------------------


def test_an_action_leads_from_its_states_to_its_state():
    assert DOOR.require_transition(Door.OPEN, "close") == "closed"
    assert DOOR.require_transition(Front("closed"), "lock") == "locked"
    assert DOOR.allows("closed", "lock") and not DOOR.allows("open", "lock")


def test_it_refuses_a_state_the_action_does_not_start_from_and_names_it():
    with pytest.raises(Conflict) as refused:
        DOOR.require_transition(Front("open"), "lock")
    assert refused.value.message == "Door 7 is open; it cannot be locked."
    assert refused.value.status_code == 409
    assert refused.value.extra == {"status": "open"}
    # A bare status is named by the lifecycle's own words; an acronym keeps its capitals.
    with pytest.raises(Conflict, match=r"^This door is QC jammed; it cannot be closed\.$"):
        DOOR.require_transition("jammed", "close")


def test_an_action_not_in_the_table_is_refused():
    # Fail closed: a typo or a step nobody declared is no way round the table.
    with pytest.raises(Conflict, match="cannot be paint: that is no step of its lifecycle"):
        DOOR.require_transition("open", "paint")
    assert not DOOR.allows("open", "paint")


def test_an_unknown_state_is_refused():
    with pytest.raises(Conflict, match="is ajar"):
        DOOR.require_transition("ajar", "close")


def test_an_action_with_several_outcomes_takes_the_one_reached():
    assert DOOR.require_transition("locked", "kick", to=Door.JAMMED) == "jammed"
    # Before the outcome is known, `require` checks alone; a transition must say where it leads.
    assert DOOR.require("locked", "kick") is None
    with pytest.raises(Conflict, match="cannot be kicked"):
        DOOR.require("open", "kick")
    with pytest.raises(ValueError, match="say which with `to`"):
        DOOR.require_transition("locked", "kick")
    with pytest.raises(ValueError, match="not to 'locked'"):
        DOOR.require_transition("closed", "kick", to=Door.LOCKED)


def test_an_action_without_a_target_leaves_the_state():
    assert DOOR.require_transition("locked", "knock") == "locked"
    with pytest.raises(Conflict):
        DOOR.require_transition("open", "knock")


def test_it_says_already_when_asked_to_repeat_an_action():
    strict = Lifecycle(
        Door, {"close": ({Door.OPEN}, Door.CLOSED)}, this=_("This door"), labels={"close": _("closed")},
        initial=Door.OPEN, already=True,
    )  # fmt: skip
    with pytest.raises(Conflict, match=r"^This door has been closed already\.$"):
        strict.require_transition("closed", "close")
    with pytest.raises(Conflict, match=r"^This door is locked; it cannot be closed\.$"):
        strict.require_transition("locked", "close")


def test_it_lists_what_can_be_done_now_in_the_tables_order():
    assert DOOR.actions(Front("closed")) == ["lock", "kick", "knock"]
    assert DOOR.actions("open") == ["close"]
    assert DOOR.actions("jammed") == []


def test_every_action_needs_a_label_for_its_refusals():
    with pytest.raises(ValueError, match="no label"):
        Lifecycle(Door, {"close": ({Door.OPEN}, Door.CLOSED)}, this="This door", labels={}, initial=Door.OPEN)


def test_it_shows_itself_as_a_table():
    assert DOOR.table() == "\n".join(
        [
            "| action   | from            | to            |",
            "|----------|-----------------|---------------|",
            "| (create) | (new)           | open          |",
            "| close    | open            | closed        |",
            "| lock     | closed          | locked        |",
            "| kick     | closed / locked | open / jammed |",
            "| knock    | closed / locked | (unchanged)   |",
        ]
    )


# Every status field of the project -------------------------------------------------------------


def status_fields() -> list:
    return [
        pytest.param(model, field, id=f"{model.__name__}.{field.name}")
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if field.name in STATUS_FIELDS and getattr(field, "choices", None)
    ]


def lifecycle_of(model, field) -> Lifecycle:
    found = [value for value in vars(model).values() if isinstance(value, Lifecycle) and value.field == field.name]
    assert len(found) == 1, f"{model.__name__}.{field.name} has {len(found)} lifecycles, not one"
    return found[0]


def allowed_by_constraint(model, field) -> list[str]:
    """The values the model's CheckConstraint `<field>__in=[...]` allows."""
    allowed = [
        value
        for constraint in model._meta.constraints
        if isinstance(constraint, models.CheckConstraint)
        for child in constraint.condition.children
        if isinstance(child, tuple) and child[0] == f"{field.name}__in"
        for value in [child[1]]
    ]
    assert len(allowed) == 1, f"{model.__name__}.{field.name} has {len(allowed)} constraints on its values"
    return list(allowed[0])


def test_the_walk_finds_every_status_field():
    # So that the tests below cannot pass by finding nothing.
    found = {f"{param.values[0]._meta.label}.{param.values[1].name}" for param in status_fields()}
    assert found == {
        "samples.Lot.status",
        "samples.Sample.status",
        "samples.Nonconformance.status",
        "samples.RetainedPortion.status",
        "assays.Batch.status",
        "assays.Run.status",
        "assays.Run.qc_status",
        "assays.Result.status",
        "certificates.Certificate.status",
        "customs.Declaration.status",
        "exchange.OutboxMessage.status",
    }


@pytest.mark.parametrize(("model", "field"), status_fields())
def test_the_database_allows_exactly_the_choices(model, field):
    lifecycle = lifecycle_of(model, field)
    choices = [value for value, _label in field.choices]
    assert list(lifecycle.choices.values) == choices
    allowed = allowed_by_constraint(model, field)
    # No more, no fewer: only a row born empty (a sample before its first custody event) adds "".
    assert sorted(allowed) == sorted(lifecycle.states)
    assert set(lifecycle.states) - {""} == set(choices)
    assert len(allowed) == len(set(allowed))


@pytest.mark.parametrize(("model", "field"), status_fields())
def test_every_action_goes_between_states_of_the_field(model, field):
    lifecycle = lifecycle_of(model, field)
    states = set(lifecycle.states)
    assert lifecycle.initial in states
    assert lifecycle.transitions, "a lifecycle without actions"
    for action, (sources, targets) in lifecycle.transitions.items():
        assert sources, f"{action} starts from no state"
        assert sources <= states, f"{action} starts from {sources - states}"
        assert targets <= states, f"{action} leads to {targets - states}"


@pytest.mark.parametrize(("model", "field"), status_fields())
def test_every_state_is_reached_from_the_first(model, field):
    # A status no action leads to is dead weight (or a rule nobody wrote down).
    lifecycle = lifecycle_of(model, field)
    reached, frontier = {lifecycle.initial}, [lifecycle.initial]
    while frontier:
        state = frontier.pop()
        for action in lifecycle.actions(state):
            for target in lifecycle.targets(action) - reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(lifecycle.states)


@pytest.mark.parametrize(("model", "field"), status_fields())
def test_every_lifecycle_refuses_every_move_outside_its_table(model, field):
    lifecycle = lifecycle_of(model, field)
    for action, (sources, _targets) in lifecycle.transitions.items():
        for status in set(lifecycle.states) - sources:
            with pytest.raises(Conflict) as refused:
                lifecycle.require_transition(status, action)
            assert refused.value.extra["status"] == status


@pytest.mark.parametrize(("model", "field"), status_fields())
def test_the_models_docstring_shows_its_lifecycle(model, field):
    # A newcomer reads the whole lifecycle next to the model; it cannot drift from the code.
    assert lifecycle_of(model, field).table() in inspect.cleandoc(model.__doc__)
