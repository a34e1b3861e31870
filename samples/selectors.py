"""Reads for pages and API views. Every selector starts from lims.permissions.visible(), so a
view cannot forget to scope its rows."""

import operator
from collections import defaultdict
from functools import reduce

import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from lims import permissions
from lims.exceptions import NotPermitted
from lims.filters import ContainsFilter, IdFilter, choice_filter
from lims.forms import with_blank
from lims.lib.queries import count_of
from lims.models import Organisation, User
from lims.roles import LAB_ROLES, Role
from samples import chain
from samples.models import CustodyEvent, Lot, Material, Nonconformance, Sample

Action = CustodyEvent.Action


def material_list() -> QuerySet:
    """Reference data: every user sees every material, active or not (old lots cite retired ones)."""
    return Material.objects.all()


def lot_list(user: User) -> QuerySet:
    """The most urgent first (priority, then the earliest due date), newest first among equals (an
    index serves the order: Lot.ORDER). Each lot's samples are counted by a subquery, which
    the database runs for the rows of the page only; a join with GROUP BY would count every lot's."""
    lots = permissions.visible(user, Lot.objects.all()).select_related("exporter", "material")
    return lots.annotate(sample_count=count_of(Sample.objects.filter(lot=OuterRef("pk")))).order_by(*Lot.ORDER)


def material_choices() -> list[tuple[str, str]]:
    """(code, name) of every material, named and ordered in the reader's language."""
    return sorted(((m.code, m.display_name) for m in Material.objects.all()), key=lambda choice: choice[1])


class LotFilter(django_filters.FilterSet):
    """The filters of lot_list(), on the page and in the API."""

    q = ContainsFilter("lot_number", "contract_reference", "export_licence_number", "origin")
    status = choice_filter(Lot.Status.choices)
    material = django_filters.CharFilter(
        field_name="material__code",
        label=_("Material"),
        help_text="Material code.",
        # Django 5 widgets take callable choices (read when the form is shown); the stubs do not say so.
        widget=forms.Select(choices=lambda: with_blank(material_choices(), _("Any"))),  # type: ignore[arg-type]
    )
    exporter = IdFilter(field_name="exporter_id", label=_("Exporter"), help_text="Exporter organisation id.")

    class Meta:
        model = Lot
        fields = ["q", "status", "material", "exporter"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        # The page offers the exporters the user may see; read only when the page is drawn.
        self.filters["exporter"].field.widget = forms.Select(
            choices=lambda: with_blank(permissions.exporter_choices(user).values_list("pk", "name"), _("Any"))
        )


def lot_get(user: User, pk: int) -> Lot:
    """The lot, or 404 when it does not exist or the user may not see it (no difference shown)."""
    return get_object_or_404(permissions.visible(user, Lot.objects.select_related("exporter", "material")), pk=pk)


def sample_list(user: User) -> QuerySet:
    """The most urgent first (priority, then the earliest due date), newest first among equals (an
    index serves the order: Sample.ORDER)."""
    return (
        permissions.visible(user, Sample.objects.all())
        .select_related("lot__exporter", "current_custodian__organisation", "parent")
        .order_by(*Sample.ORDER)
    )


S = Sample.Status


def samples_to_seal_or_hand_over(user: User) -> QuerySet:
    """The sampler's own work: samples collected (not yet split or sealed) or sealed and not yet
    handed over, in the user's custody."""
    return sample_list(user).filter(status__in=(S.COLLECTED, S.SEALED), current_custodian=user)


def samples_to_receive(user: User) -> QuerySet:
    """Samples on their way to the user's organisation (handed to one of its people, or travelling
    with an outside carrier, which any laboratory may receive: as services.sample_receive decides)."""
    addressed = Q(current_custodian__isnull=True) | Q(current_custodian__organisation_id=user.organisation_id)
    return sample_list(user).filter(addressed, status=S.IN_TRANSIT)


def samples_to_prepare(user: User) -> QuerySet:
    """Received samples whose preparation or analysis has not started."""
    return sample_list(user).filter(status=S.RECEIVED)


# The work queues of samples, by the name the lists' `work` filter and the dashboard (desk) use.
SAMPLE_WORK = {
    "seal_or_hand_over": (_("To seal or hand over (mine)"), samples_to_seal_or_hand_over),
    "receive": (_("To receive"), samples_to_receive),
    "prepare": (_("To prepare"), samples_to_prepare),
}


class SampleFilter(django_filters.FilterSet):
    """The filters of sample_list(), on the page and in the API."""

    q = ContainsFilter("code", "seal_number", "lot__lot_number", help_text="Sample code, seal number or lot number.")
    status = choice_filter(Sample.Status.choices)
    purpose = choice_filter(Sample.Purpose.choices, label=_("Purpose"))
    lot = IdFilter(field_name="lot_id", help_text="Lot id.")
    custodian = django_filters.ChoiceFilter(
        choices=[("me", "me")], method="filter_custodian", help_text="`me`: samples in the caller's custody."
    )
    # The page's checkbox for custodian=me.
    mine = django_filters.BooleanFilter(label=_("In my custody"), method="filter_custodian", widget=forms.CheckboxInput)
    work = django_filters.ChoiceFilter(
        label=_("Waiting"),
        choices=[(name, label) for name, (label, _rows) in SAMPLE_WORK.items()],
        method="filter_work",
        help_text="A work queue: `seal_or_hand_over` (in the caller's custody), `receive`, `prepare`.",
    )

    class Meta:
        model = Sample
        fields = ["q", "status", "purpose", "lot", "custodian", "mine", "work"]

    def filter_custodian(self, queryset, name, value):
        return queryset.filter(current_custodian=self.request.user) if value else queryset

    def filter_work(self, queryset, name, value):
        if not value:
            return queryset
        _label, rows = SAMPLE_WORK[value]
        return queryset.filter(pk__in=rows(self.request.user).values("pk"))


def lot_sample_tree(user: User, lot: Lot) -> list[tuple[Sample, int]]:
    """The lot's samples in the order they were taken, each followed by its splits, with its depth
    in the tree (0 for a composite)."""
    children: dict[int | None, list[Sample]] = defaultdict(list)
    for sample in sample_list(user).filter(lot=lot).order_by("collected_at", "pk"):
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


# Custody actions no person starts: they follow from another step (collect registers a sample, hold
# from a failed seal check, release and reject from resolving its nonconformance, analyse and report
# from results).
FOLLOW_ON = frozenset({Action.COLLECT, Action.HOLD, Action.RELEASE, Action.REJECT, Action.ANALYSE, Action.REPORT})


def _holds_for_action(user: User, sample: Sample, action: str) -> bool:
    if action == Action.RECEIVE:
        # Mirrors services.sample_receive: the addressee's organisation (or anyone, from a carrier).
        addressee = sample.current_custodian
        return addressee is None or addressee.organisation_id == user.organisation_id or permissions.is_admin(user)
    if action == Action.RECALL:
        # Mirrors services.sample_recall: the giver of a hand-over nobody has received yet.
        hand_over = pending_hand_over(sample)
        return hand_over is not None and (hand_over.actor_id == user.pk or permissions.is_admin(user))
    if action == Action.HAND_OVER and sample.status == Sample.Status.IN_TRANSIT and not permissions.is_admin(user):
        # Mirrors services.sample_hand_over: on its way to a person, only that person hands it on.
        return sample.current_custodian_id == user.pk
    try:
        permissions.require_custody(user, sample)
    except NotPermitted:
        return False
    return True


def sample_actions(user: User, sample: Sample) -> list[str]:
    """The custody actions `user` may take on `sample` now, as pages and the API offer them: allowed
    from its status by its lifecycle, started by a person, permitted to the user's roles
    (`sample.<action>`), and held by the user's organisation (for receive: addressed to it). It
    predicts the services' answer; they check again when the action is taken."""
    return [
        str(action)
        for action in Sample.LIFECYCLE.actions(sample)
        if action not in FOLLOW_ON
        and permissions.can(user, f"sample.{action}", sample)
        and _holds_for_action(user, sample, action)
    ]


def sample_timeline(sample: Sample) -> tuple[list[CustodyEvent], chain.ChainReport]:
    """The sample's events in order and the verdict of recomputing its chain."""
    events = list(sample.events.select_related("actor").order_by("sequence"))
    return events, chain.verify(sample, events)


def nonconformance_list(user: User) -> QuerySet:
    return permissions.visible(user, Nonconformance.objects.all()).select_related(
        "sample__lot", "raised_by", "resolved_by"
    )


def nonconformance_worklist(user: User) -> QuerySet:
    """Open nonconformances first (they hold samples back), then the most recently resolved."""
    return nonconformance_list(user).order_by(F("resolved_at").desc(nulls_first=True), "-raised_at")


class NonconformanceFilter(django_filters.FilterSet):
    """The filters of nonconformance_list() and nonconformance_worklist(), on the page and in the API."""

    status = choice_filter(Nonconformance.Status.choices)

    class Meta:
        model = Nonconformance
        fields = ["status"]


def nonconformance_get(user: User, pk: int) -> Nonconformance:
    return get_object_or_404(nonconformance_list(user).select_related("sample__lot__exporter"), pk=pk)


# Hand-over ------------------------------------------------------------------------------------

# Splits that may leave for a laboratory other than the sample's: the umpire's and the customs
# referee's, whose point is an analysis independent of the laboratory's own.
OUTSIDE_LABORATORY_PURPOSES = frozenset({Sample.Purpose.UMPIRE, Sample.Purpose.CUSTOMS_REFEREE})


def sample_laboratory(sample: Sample) -> Organisation | None:
    """The laboratory a sample is handed over from: the laboratory organisation of the person who
    holds it, or, while a carrier or the exporter has it, of the person who collected it. Every other
    laboratory organisation is an outside (umpire or referee) laboratory to it."""
    holder = sample.current_custodian
    if (
        holder is not None
        and holder.organisation is not None
        and holder.organisation.kind == Organisation.Kind.LABORATORY
    ):
        return holder.organisation
    first = sample.events.filter(sequence=1).select_related("actor__organisation").first()
    collector_org = first.actor.organisation if first is not None else None
    return collector_org if collector_org is not None and collector_org.kind == Organisation.Kind.LABORATORY else None


def _has_role(roles) -> Exists:
    return Exists(User.groups.through.objects.filter(user=OuterRef("pk"), group__name__in=[str(r) for r in roles]))


def hand_over_recipients(actor: User, sample: Sample) -> QuerySet:
    """The people `actor` may hand `sample` to: those who may hold it, and whose organisation can
    take the next step with it. The hand-over form offers exactly these, and
    samples.services.sample_hand_over refuses anyone else (an outside carrier is named instead):

    - the staff of the sample's laboratory (sample_laboratory(): a laboratory role there), any split;
    - the staff of another laboratory organisation (the umpire or customs referee laboratory), for
      umpire and customs referee splits only;
    - the exporter users of the organisation that owns the lot, for the lot's exporter split only.

    Only active accounts, never the giver. Customs officers, brokers and any other exporter hold no
    sample."""
    home = sample_laboratory(sample)
    lab_staff = Q(_has_role(LAB_ROLES), organisation__kind=Organisation.Kind.LABORATORY)
    allowed: list[Q] = []
    if home is not None:
        allowed.append(lab_staff & Q(organisation=home))
    if sample.purpose in OUTSIDE_LABORATORY_PURPOSES:
        allowed.append(lab_staff & ~Q(organisation=home) if home is not None else lab_staff)
    if sample.purpose == Sample.Purpose.EXPORTER:
        allowed.append(
            Q(
                _has_role({Role.EXPORTER}),
                organisation_id=sample.lot.exporter_id,
                organisation__kind=Organisation.Kind.EXPORTER,
            )
        )
    if not allowed:
        return User.objects.none()
    return (
        User.objects.filter(reduce(operator.or_, allowed), is_active=True)
        .exclude(pk=actor.pk)
        .select_related("organisation")
        .order_by("organisation__name", "last_name", "username")
    )


def pending_hand_over(sample: Sample) -> CustodyEvent | None:
    """The hand-over a sample in transit is travelling on, while nothing else has happened to it
    since (nobody has received it): then its giver may still recall it."""
    if sample.status != Sample.Status.IN_TRANSIT:
        return None
    last = sample.events.select_related("actor__organisation").order_by("-sequence").first()
    return last if last is not None and last.action == Action.HAND_OVER else None
