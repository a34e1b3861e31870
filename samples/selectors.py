"""Reads for pages and API views. Every selector starts from lims.permissions.visible(), so a
view cannot forget to scope its rows."""

from collections import defaultdict

from django.db.models import Count, F, Q, QuerySet
from django.shortcuts import get_object_or_404

from lims import permissions
from lims.exceptions import NotPermitted
from lims.models import User
from samples import chain, services
from samples.models import CustodyEvent, Lot, Material, Nonconformance, Sample
from samples.services import TRANSITIONS


def material_list() -> QuerySet:
    """Reference data: every user sees every material, active or not (old lots cite retired ones)."""
    return Material.objects.all()


def lot_list(user: User, *, q: str = "", status: str = "", material: str = "", exporter: int | None = None) -> QuerySet:
    lots = permissions.visible(user, Lot.objects.all()).select_related("exporter", "material")
    if q:
        lots = lots.filter(
            Q(lot_number__icontains=q)
            | Q(contract_reference__icontains=q)
            | Q(export_licence_number__icontains=q)
            | Q(origin__icontains=q)
        )
    if status:
        lots = lots.filter(status=status)
    if material:
        lots = lots.filter(material__code=material)
    if exporter:
        lots = lots.filter(exporter_id=exporter)
    # Meta.ordering does not apply to a GROUP BY query; pages need a stable order.
    # The annotation's GROUP BY drops the model's default order; paginated lists need one.
    return lots.annotate(sample_count=Count("samples")).order_by(*Lot._meta.ordering).order_by("-registered_at", "-id")


def lot_get(user: User, pk: int) -> Lot:
    """The lot, or 404 when it does not exist or the user may not see it (no difference shown)."""
    return get_object_or_404(permissions.visible(user, Lot.objects.select_related("exporter", "material")), pk=pk)


def sample_list(
    user: User,
    *,
    q: str = "",
    status: str = "",
    purpose: str = "",
    lot: int | None = None,
    custodian: User | None = None,
) -> QuerySet:
    samples = permissions.visible(user, Sample.objects.all()).select_related(
        "lot__exporter", "current_custodian__organisation", "parent"
    )
    if q:
        samples = samples.filter(Q(code__icontains=q) | Q(seal_number__icontains=q) | Q(lot__lot_number__icontains=q))
    if status:
        samples = samples.filter(status=status)
    if purpose:
        samples = samples.filter(purpose=purpose)
    if lot:
        samples = samples.filter(lot_id=lot)
    if custodian is not None:
        samples = samples.filter(current_custodian=custodian)
    return samples


def lot_sample_tree(user: User, lot: Lot) -> list[tuple[Sample, int]]:
    """The lot's samples in the order they were taken, each followed by its splits, with its depth
    in the tree (0 for a composite)."""
    children: dict[int | None, list[Sample]] = defaultdict(list)
    for sample in sample_list(user, lot=lot.pk).order_by("collected_at", "pk"):
        children[sample.parent_id].append(sample)
    tree: list[tuple[Sample, int]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for sample in children[parent_id]:
            tree.append((sample, depth))
            walk(sample.pk, depth + 1)

    walk(None, 0)
    return tree


def sample_get(user: User, code: str) -> Sample:
    samples = permissions.visible(user, Sample.objects.all()).select_related(
        "lot__exporter", "lot__material", "current_custodian__organisation", "parent"
    )
    return get_object_or_404(samples, code=code)


# The custody actions a person starts (hold, release and reject follow from receive and resolve).
USER_ACTIONS = (
    CustodyEvent.Action.SPLIT,
    CustodyEvent.Action.SEAL,
    CustodyEvent.Action.HAND_OVER,
    CustodyEvent.Action.RECEIVE,
    CustodyEvent.Action.PREPARE,
    CustodyEvent.Action.STORE,
    CustodyEvent.Action.DISPOSE,
)


def _holds_for_action(user: User, sample: Sample, action: str) -> bool:
    if action == CustodyEvent.Action.RECEIVE:
        # Mirrors services.sample_receive: the addressee's organisation (or anyone, from a carrier).
        addressee = sample.current_custodian
        return addressee is None or addressee.organisation_id == user.organisation_id or permissions.is_admin(user)
    try:
        permissions.require_custody(user, sample)
    except NotPermitted:
        return False
    return True


def sample_actions_now(user: User, sample: Sample) -> list[str]:
    """The custody actions `user` may take on `sample` now, as the API reports them: allowed from
    its status by the transition table, held by the user's organisation (for receive: addressed to
    it), and permitted to the user's roles. Unlike sample_actions below, it checks custody and
    includes split, so it predicts the services' answer exactly."""
    return [
        action.value
        for action in USER_ACTIONS
        if sample.status in TRANSITIONS[action][0]
        and _holds_for_action(user, sample, action)
        and permissions.can(user, f"sample.{action.value}", sample)
    ]


# The custody steps a person takes on a sample through a form, and the permission each needs.
CUSTODY_STEPS = {
    CustodyEvent.Action.SEAL: "sample.seal",
    CustodyEvent.Action.HAND_OVER: "sample.hand_over",
    CustodyEvent.Action.RECEIVE: "sample.receive",
    CustodyEvent.Action.PREPARE: "sample.prepare",
    CustodyEvent.Action.STORE: "sample.store",
    CustodyEvent.Action.DISPOSE: "sample.dispose",
}


def sample_actions(user: User, sample: Sample) -> list[str]:
    """The custody steps the sample's status allows and the user's role permits, to choose which
    buttons a page shows. The service checks again (custody included) when the step is taken."""
    return [
        action
        for action, permission in CUSTODY_STEPS.items()
        if sample.status in services.TRANSITIONS[action][0] and permissions.can(user, permission, sample)
    ]


def sample_timeline(sample: Sample) -> tuple[list[CustodyEvent], chain.ChainReport]:
    """The sample's events in order and the verdict of recomputing its chain."""
    events = list(sample.events.select_related("actor").order_by("sequence"))
    return events, chain.verify(sample, events)


def nonconformance_list(user: User, *, status: str = "") -> QuerySet:
    items = permissions.visible(user, Nonconformance.objects.all()).select_related(
        "sample__lot", "raised_by", "resolved_by"
    )
    return items.filter(status=status) if status else items


def nonconformance_worklist(user: User, *, status: str = "") -> QuerySet:
    """Open nonconformances first (they hold samples back), then the most recently resolved."""
    return nonconformance_list(user, status=status).order_by(F("resolved_at").desc(nulls_first=True), "-raised_at")


def nonconformance_get(user: User, pk: int) -> Nonconformance:
    return get_object_or_404(nonconformance_list(user).select_related("sample__lot__exporter"), pk=pk)


def receivers(user: User) -> QuerySet:
    """People a sample may be handed to: active users of a laboratory, exporter or customs
    organisation, other than the giver."""
    return (
        User.objects.filter(is_active=True, organisation__isnull=False)
        .exclude(pk=user.pk)
        .select_related("organisation")
        .order_by("organisation__name", "last_name", "username")
    )
