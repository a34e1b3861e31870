"""Lifecycles: the transition table of a status field, checked by the services.

Every status field declares its lifecycle next to its model, as a table of
`action -> (the states it may start from, the state it leads to)`:

    LIFECYCLE = Lifecycle(
        Status,
        {"accept": ({Status.PREVIEW}, Status.ACCEPTED), "discard": ({Status.PREVIEW}, Status.DISCARDED)},
        this=_("This run"),
        labels={"accept": _("accepted"), "discard": _("discarded")},
        initial=Status.PREVIEW,
    )

    run.status = Run.LIFECYCLE.require_transition(run, "accept")  # "accepted", or Conflict:
    # "This run is discarded; it cannot be accepted."

A service asks it before it changes the field (`require_transition`), a page asks it what can be
done now (`actions`), and the model's docstring shows it (`table`, checked by the tests). It fails
closed: an action missing from the table, or a state the action does not start from, is refused with
a Conflict that names the current state, so the person knows why.

An action may lead to one of several states (checking a declaration flags or clears it): the table
lists them all and the service names the one it reached with `to=`. An action whose target is None
is allowed in the states it starts from and leaves the state as it is (overriding the QC of a run).
"""

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.translation import gettext as _

from lims.exceptions import Conflict

if TYPE_CHECKING:  # django-stubs-ext is a development tool: not installed in production
    from django_stubs_ext import StrOrPromise

# How the table shows the states of an action that leaves the state as it is, and the empty state of
# a row before its first action.
UNCHANGED = "(unchanged)"
NEW = "(new)"


def _as_states(states: str | Iterable[str] | None) -> frozenset[str]:
    if states is None:
        return frozenset()
    if isinstance(states, str):
        return frozenset({str(states)})
    return frozenset(str(state) for state in states)


def _sentence_case(label: str) -> str:
    """A label inside a sentence: `In transit` reads `in transit`; `QC passed` keeps its acronym."""
    label = str(label)
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


class Lifecycle:
    """The transition table of one status field (`field`, with the choices `states`).

    `this` names an object of the lifecycle in a refusal ("This run"); `name`, when given, names a
    particular one ("Sample KZL-26-000042"). `labels` are the past participles of the actions for
    the refusals ("accepted"). `initial` is the state a new row starts in. `unborn` is the label of
    the empty state a row holds before its first action, for the one model whose first action is
    recorded as a transition (a sample's collection); it makes "" a state of the lifecycle.
    `already`: a refused action whose outcome is the current state says it happened already."""

    def __init__(
        self,
        states: type[models.TextChoices],
        table: Mapping[str, tuple[Iterable[str], str | Iterable[str] | None]],
        *,
        this: "StrOrPromise",
        labels: Mapping[str, "StrOrPromise"],
        initial: str,
        field: str = "status",
        name: Callable[[Any], str] | None = None,
        unborn: "StrOrPromise | None" = None,
        already: bool = False,
    ):
        self.choices = states
        self.field = field
        self.this = this
        self.name = name
        self.labels = {str(action): label for action, label in labels.items()}
        self.initial = str(initial)
        self.unborn = unborn
        self.already = already
        self._table = {
            str(action): (_as_states(sources), _as_states(targets)) for action, (sources, targets) in table.items()
        }
        missing = set(self._table) - set(self.labels)
        if missing:
            raise ValueError(f"no label for the actions {sorted(missing)}")

    def __repr__(self):
        return f"<Lifecycle of {self.choices.__qualname__} ({self.field})>"

    # Reading the table -----------------------------------------------------------------------

    @property
    def states(self) -> tuple[str, ...]:
        """Every state of the lifecycle: the field's choices, and "" where a row is born empty."""
        return (*([""] if self.unborn is not None else []), *self.choices.values)

    @property
    def transitions(self) -> dict[str, tuple[frozenset[str], frozenset[str]]]:
        """action -> (states it starts from, states it may lead to; empty when it changes nothing)."""
        return dict(self._table)

    def sources(self, action: str) -> frozenset[str]:
        return self._table[str(action)][0]

    def targets(self, action: str) -> frozenset[str]:
        return self._table[str(action)][1]

    def _status(self, obj_or_status: Any) -> str:
        if obj_or_status is None or isinstance(obj_or_status, str):
            return str(obj_or_status or "")
        return str(getattr(obj_or_status, self.field))

    def allows(self, obj_or_status: Any, action: str) -> bool:
        """Whether the table has `action` from the state of `obj_or_status` (an object or a status)."""
        step = self._table.get(str(action))
        return step is not None and self._status(obj_or_status) in step[0]

    def actions(self, obj_or_status: Any) -> list[str]:
        """The actions the table allows from the state of `obj_or_status`, in the table's order."""
        status = self._status(obj_or_status)
        return [action for action, (sources, _targets) in self._table.items() if status in sources]

    # Checking a change -----------------------------------------------------------------------

    def label(self, status: str) -> str:
        """The state as a sentence names it ("in transit")."""
        if status == "" and self.unborn is not None:
            return str(self.unborn)
        try:
            return _sentence_case(self.choices(status).label)
        except ValueError:
            return status or "''"

    def require(self, obj_or_status: Any, action: str) -> None:
        """Check that `action` may be taken now, before its outcome is known (an action with several
        outcomes, such as a declaration's check); Conflict as require_transition."""
        self._step(obj_or_status, action)

    def require_transition(self, obj_or_status: Any, action: str, *, to: str | None = None) -> str:
        """The state `action` leads to from the state of `obj_or_status`; Conflict when the table
        has no such move, naming the current state. For an action with several outcomes, pass the
        one reached as `to` (it must be one of them; asking without it is a programming error). An
        action that changes nothing returns the current state."""
        status, targets = self._step(obj_or_status, action)
        if not targets:
            return status
        if to is not None:
            if str(to) not in targets:
                raise ValueError(f"{action} leads to {sorted(targets)}, not to {str(to)!r}")
            return str(to)
        if len(targets) > 1:
            raise ValueError(f"{action} leads to {sorted(targets)}: say which with `to`")
        return next(iter(targets))

    def _step(self, obj_or_status: Any, action: str) -> tuple[str, frozenset[str]]:
        """(the current state, the states `action` leads to), or Conflict when the table has no such move."""
        status = self._status(obj_or_status)
        step = self._table.get(str(action))
        subject = self._subject(obj_or_status)
        verb = _sentence_case(str(self.labels.get(str(action), action)))
        if step is None:
            raise Conflict(
                _("%(subject)s cannot be %(action)s: that is no step of its lifecycle.")
                % {"subject": subject, "action": verb},
                extra={"status": status},
            )
        sources, targets = step
        if status not in sources:
            if self.already and status in targets:
                message = _("%(subject)s has been %(action)s already.") % {"subject": subject, "action": verb}
            else:
                message = _("%(subject)s is %(status)s; it cannot be %(action)s.") % {
                    "subject": subject,
                    "status": self.label(status),
                    "action": verb,
                }
            raise Conflict(message, extra={"status": status})
        return status, targets

    def _subject(self, obj_or_status: Any) -> str:
        if self.name is not None and obj_or_status is not None and not isinstance(obj_or_status, str):
            return str(self.name(obj_or_status))
        return str(self.this)

    # Showing the table -----------------------------------------------------------------------

    def table(self) -> str:
        """The lifecycle as a Markdown table for the model's docstring: how a row is created (unless
        its first action is in the table), then each action, its states in the order of the choices."""
        order = {state: position for position, state in enumerate(self.states)}

        def shown(states: frozenset[str], empty: str) -> str:
            return " / ".join(state or NEW for state in sorted(states, key=lambda s: order.get(s, len(order)))) or empty

        rows = [("action", "from", "to")]
        if self.unborn is None:
            rows.append(("(create)", NEW, self.initial))
        rows += [
            (action, shown(sources, NEW), shown(targets, UNCHANGED))
            for action, (sources, targets) in self._table.items()
        ]
        widths = [max(len(row[column]) for row in rows) for column in range(3)]
        lines = [
            "| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) + " |" for row in rows
        ]
        lines.insert(1, "|" + "|".join("-" * (width + 2) for width in widths) + "|")
        return "\n".join(lines)
