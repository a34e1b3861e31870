"""Who may do what, and which rows each user sees. The one place that decides.

Every view, API view and admin queryset scopes its rows with `visible()` and every service checks
its action with `require()`. Both fail closed: an unknown action, a user without an organisation
or a model that does not say how it relates to an exporter gets nothing.

Visibility:
- administrators (superusers and the `admin` role) see everything;
- laboratory staff (sampler, technician, reviewer, manager of a laboratory organisation) see the
  laboratory's work, which is every lot and sample: the laboratory serves all exporters;
- customs inspectors see everything, read-only (they audit custody and certificates), and decide
  on customs declarations;
- exporter users and customs brokers (who act for the exporter organisation they belong to) see
  only rows of their own organisation, found through the model's `EXPORTER_PATH` (the lookup from
  the model to the exporter organisation);
- a model with `VISIBLE_TO_LAB = False` (customs declarations) is hidden from laboratory staff: the
  laboratory certifies composition without seeing what an exporter declared or at what value.
"""

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from lims.exceptions import NotPermitted
from lims.models import Organisation, User
from lims.roles import EXPORTER_ROLES, LAB_ROLES, Role

# Which roles may perform each action. An action missing here is refused for everybody.
ACTIONS: dict[str, frozenset[Role]] = {
    "lot.register": frozenset({Role.EXPORTER, Role.SAMPLER, Role.MANAGER}),
    "lot.change": frozenset({Role.EXPORTER, Role.SAMPLER, Role.MANAGER}),
    # The laboratory decides when a lot's composition is settled (samples.services.lot_close).
    "lot.close": frozenset({Role.MANAGER}),
    "sample.collect": frozenset({Role.SAMPLER, Role.MANAGER}),
    "sample.split": frozenset({Role.SAMPLER, Role.MANAGER}),
    "sample.seal": frozenset({Role.SAMPLER, Role.TECHNICIAN, Role.MANAGER}),
    "sample.hand_over": frozenset({Role.SAMPLER, Role.TECHNICIAN, Role.MANAGER}),
    # Taking back a hand-over not yet received: its giver only (samples.services.sample_recall).
    "sample.recall": frozenset({Role.SAMPLER, Role.TECHNICIAN, Role.MANAGER}),
    "sample.receive": frozenset({Role.TECHNICIAN, Role.MANAGER}),
    "sample.prepare": frozenset({Role.TECHNICIAN, Role.MANAGER}),
    "sample.store": frozenset({Role.TECHNICIAN, Role.MANAGER}),
    "sample.analyse": frozenset({Role.TECHNICIAN, Role.MANAGER}),
    "sample.report": frozenset({Role.REVIEWER, Role.MANAGER}),
    "sample.dispose": frozenset({Role.MANAGER}),
    "nonconformance.resolve": frozenset({Role.MANAGER}),
    # A batch (worksheet) plans a run: built and cancelled by who imports runs (assays.services.batches).
    "batch.create": frozenset({Role.TECHNICIAN, Role.MANAGER}),
    "batch.cancel": frozenset({Role.TECHNICIAN, Role.MANAGER}),
    "run.import": frozenset({Role.TECHNICIAN, Role.MANAGER}),
    "run.accept": frozenset({Role.TECHNICIAN, Role.MANAGER}),
    "run.discard": frozenset({Role.TECHNICIAN, Role.MANAGER}),
    "run.withdraw": frozenset({Role.TECHNICIAN, Role.MANAGER}),
    "run.override_qc": frozenset({Role.REVIEWER, Role.MANAGER}),
    "result.enter": frozenset({Role.TECHNICIAN, Role.MANAGER}),
    "result.approve": frozenset({Role.REVIEWER, Role.MANAGER}),
    "result.reject": frozenset({Role.REVIEWER, Role.MANAGER}),
    "reference.change": frozenset({Role.MANAGER}),
    # The baseline a control chart's limits come from (assays.services.baselines): a manager's decision.
    "qc.baseline.fix": frozenset({Role.MANAGER}),
    # Organisations and accounts (their roles are groups): administrators only, who pass every check.
    "account.change": frozenset(),
    "certificate.request": frozenset({Role.MANAGER}),
    "certificate.amend": frozenset({Role.MANAGER}),
    "certificate.revoke": frozenset({Role.MANAGER}),
    "certificate.retry": frozenset({Role.MANAGER}),
    # Customs (customs/): exporters and their brokers file; inspectors decide, re-run the checks and
    # keep the reference data of valuation (metal prices, payable terms, exchange rates).
    "declaration.file": frozenset({Role.EXPORTER, Role.BROKER}),
    "declaration.decide": frozenset({Role.INSPECTOR}),
    "declaration.recheck": frozenset({Role.INSPECTOR}),
    "customs_reference.change": frozenset({Role.INSPECTOR}),
    # Customs systems' clients of the exchange (exchange/): the laboratory's managers make them, see
    # their requests and send unacknowledged pushes again.
    "exchange.manage": frozenset({Role.MANAGER}),
    # The transparency log's registered witnesses (certificates.LogWitness): administrators only.
    "log_witness.change": frozenset(),
}

# Roles that only count for a member of an organisation of the matching kind: a "technician" of an
# exporter organisation is no technician.
_ROLE_ORG_KIND: dict[str, str] = {
    **dict.fromkeys(LAB_ROLES, Organisation.Kind.LABORATORY),
    Role.EXPORTER: Organisation.Kind.EXPORTER,
    Role.BROKER: Organisation.Kind.EXPORTER,
    Role.INSPECTOR: Organisation.Kind.CUSTOMS,
}


def is_admin(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and (user.is_superuser or user.has_role(Role.ADMIN)))


def effective_roles(user: User) -> frozenset[str]:
    """The user's roles that hold for the kind of organisation they belong to."""
    if not (user.is_authenticated and user.is_active):
        return frozenset()
    kind = user.organisation.kind if user.organisation is not None else None
    return frozenset(role for role in user.roles if _ROLE_ORG_KIND.get(role, kind) == kind and kind is not None)


def is_lab_staff(user: User) -> bool:
    return bool(effective_roles(user) & LAB_ROLES)


def sees_lab_work(user: User) -> bool:
    """Runs, readings and results awaiting review are the laboratory's working records: its staff
    and customs inspectors (read-only) see them; exporters see results only on certificates."""
    return is_admin(user) or is_lab_staff(user) or Role.INSPECTOR in effective_roles(user)


def works_in_lab(user: User) -> bool:
    """The laboratory's own bench records (batches, retained portions, control charts and their
    baselines): its staff only (and administrators); not exporters, not customs."""
    return is_admin(user) or is_lab_staff(user)


def sees_turnaround(user: User) -> bool:
    """The turnaround report (desk.turnaround): the laboratory's staff, and exporter users of their own
    organisation's certificates (the report's rows go through visible())."""
    return works_in_lab(user) or bool(effective_roles(user) & EXPORTER_ROLES)


def visible(user: User, queryset: QuerySet) -> QuerySet:
    """The rows of `queryset` that `user` may see."""
    if is_admin(user):
        return queryset
    roles = effective_roles(user)
    if Role.INSPECTOR in roles:
        return queryset
    if roles & LAB_ROLES:
        return queryset if getattr(queryset.model, "VISIBLE_TO_LAB", True) else queryset.none()
    if roles & EXPORTER_ROLES:
        path = getattr(queryset.model, "EXPORTER_PATH", None)
        if path is None:
            return queryset.none()
        return queryset.filter(**{path: user.organisation_id})
    return queryset.none()


def can_see(user: User, obj: Model) -> bool:
    return visible(user, type(obj)._default_manager.filter(pk=obj.pk)).exists()


def can(user: User, action: str, obj: Model | None = None) -> bool:
    allowed = ACTIONS.get(action)
    if allowed is None:
        return False
    if is_admin(user):
        return obj is None or can_see(user, obj)
    if not (effective_roles(user) & allowed):
        return False
    return obj is None or can_see(user, obj)


def require(user: User, action: str, obj: Model | None = None) -> None:
    """Raise NotPermitted unless `user` may perform `action` (on `obj`, when given)."""
    if not can(user, action, obj):
        raise NotPermitted(_("You are not allowed to do this (%(action)s).") % {"action": action})


def require_exporter_scope(user: User, exporter: Organisation) -> None:
    """Exporter users and brokers act only for their own organisation; staff act for any exporter."""
    if effective_roles(user) & EXPORTER_ROLES and not is_admin(user) and user.organisation_id != exporter.pk:
        raise NotPermitted(_("You may only act for your own organisation."), field="exporter")


def exporter_choices(user: User) -> QuerySet:
    """The exporter organisations `user` may register lots for."""
    exporters = Organisation.objects.filter(kind=Organisation.Kind.EXPORTER)
    if is_admin(user) or is_lab_staff(user):
        return exporters
    if Role.EXPORTER in effective_roles(user) and user.organisation_id is not None:
        return exporters.filter(pk=user.organisation_id)
    return exporters.none()


# Who is told (lims.notifications) -----------------------------------------------------------------


def people_with_role(*roles: Role, organisation: Organisation | None = None) -> QuerySet:
    """Active users who hold one of `roles` where it counts (effective_roles: a laboratory role in a
    laboratory, an exporter's in an exporter organisation, an inspector's in a customs office), of
    `organisation` when given: the recipients of notifications meant for a role."""
    held = Q()
    for role in roles:
        held |= Q(groups__name=role, organisation__kind=_ROLE_ORG_KIND[role])
    people = User.objects.filter(held, is_active=True)
    if organisation is not None:
        people = people.filter(organisation=organisation)
    return people.distinct().order_by("pk")


def lab_managers() -> QuerySet:
    return people_with_role(Role.MANAGER)


def exporter_people(exporter: Organisation) -> QuerySet:
    """The exporter organisation's own people (exporter users and its customs brokers)."""
    return people_with_role(*EXPORTER_ROLES, organisation=exporter)


def inspectors(office: Organisation | None = None) -> QuerySet:
    """The inspectors of a customs office; every inspector when the office has none (a flag is never
    left unseen)."""
    found = people_with_role(Role.INSPECTOR, organisation=office)
    if office is not None and not found.exists():
        return people_with_role(Role.INSPECTOR)
    return found


def require_custody(user: User, sample) -> None:
    """Only the organisation that holds a sample acts on it: a laboratory cannot seal, hand over or
    prepare a sample that is in another party's hands."""
    if is_admin(user):
        return
    custodian = sample.current_custodian
    if custodian is None or custodian.organisation_id != user.organisation_id:
        holder = custodian.party_label() if custodian else _("a carrier")
        raise NotPermitted(
            _("Sample %(code)s is in the custody of %(holder)s, not of your organisation.")
            % {"code": sample.code, "holder": holder}
        )


def require_addressee(user: User, sample) -> None:
    """A sample handed to a person is received by that person's organisation only; one with an
    outside carrier (no holder) may be received by any laboratory."""
    addressee = sample.current_custodian
    if addressee is not None and addressee.organisation_id != user.organisation_id and not is_admin(user):
        raise NotPermitted(
            _("Sample %(code)s was handed to %(party)s, not to your organisation.")
            % {"code": sample.code, "party": addressee.party_label()}
        )
