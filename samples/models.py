import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from lims.lib.append_only import AppendOnlyModel
from lims.lib.transitions import Lifecycle
from lims.lib.translated import TranslatedName
from lims.models import Organisation

HS_CODE_RE = re.compile(r"^[0-9]{4}(\.[0-9]{2}(\.[0-9]{1,4}){0,2})?$")


def validate_hs_code(value: str) -> None:
    """HS codes are written with dots: a four-digit heading, then subheading digits (2603.00,
    2603.00.000.0 in the EAEU's ten-digit nomenclature)."""
    if not HS_CODE_RE.match(value or ""):
        raise ValidationError(
            _("Enter an HS code such as 2603.00 (heading of four digits, then subheadings after dots)."),
            code="hs_code",
        )


def validate_seal_number(value: str) -> None:
    if not re.fullmatch(settings.LIMS_SEAL_NUMBER_PATTERN, value or ""):
        raise ValidationError(
            _("%(value)s is not a seal number of this laboratory (expected a pattern like KZS-00012345).")
            % {"value": value or _("An empty value")},
            code="seal_number",
        )


class Material(TranslatedName, models.Model):
    """Reference list of export materials; the HS heading ties each material to its tariff line.
    Shown by its name in the reader's language (lims.lib.translated); `name` is the English one."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120, unique=True)
    name_ru = models.CharField(_("name in Russian"), max_length=120, blank=True)
    name_kk = models.CharField(_("name in Kazakh"), max_length=120, blank=True)
    hs_heading = models.CharField(
        _("HS heading"), max_length=4, help_text=_("Four-digit heading every lot of this material must declare.")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        ordering = ["name"]

    def __str__(self):
        return self.display_name


class Priority(models.IntegerChoices):
    """How soon the exporter needs a lot's (or a sample's) certificate. Stored as a small number so
    that ascending order is the order of work: urgent first."""

    URGENT = 1, _("Urgent")
    HIGH = 2, _("High")
    NORMAL = 3, _("Normal")


# The order of work in the lists and on the dashboard: urgent first, then the earliest due date (no
# due date last); the model's own order breaks ties.
URGENCY_ORDER = ("priority", F("due_date").asc(nulls_last=True))


def is_overdue(due_date, *, done: bool) -> bool:
    """Due before today (in the installation's zone) and not done yet."""
    return bool(due_date and not done and due_date < timezone.localdate())


class LotStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    SAMPLING = "sampling", _("Sampling")
    CLOSED = "closed", _("Closed")


class Lot(models.Model):
    """A consignment of one material an exporter registers for certification. Samples are taken from
    it until the laboratory closes it (samples.services.lot_close says when it may).

    | action   | from                  | to         |
    |----------|-----------------------|------------|
    | (create) | (new)                 | registered |
    | collect  | registered / sampling | sampling   |
    | close    | sampling              | closed     |
    """

    EXPORTER_PATH = "exporter"

    Status = LotStatus
    LIFECYCLE = Lifecycle(
        Status,
        {
            "collect": ({Status.REGISTERED, Status.SAMPLING}, Status.SAMPLING),
            "close": ({Status.SAMPLING}, Status.CLOSED),
        },
        this=_("This lot"),
        name=lambda lot: _("Lot %(number)s") % {"number": lot.lot_number},
        labels={"collect": _("sampled"), "close": _("closed")},
        initial=Status.REGISTERED,
        already=True,
    )

    exporter = models.ForeignKey(
        Organisation,
        verbose_name=_("exporter"),
        on_delete=models.PROTECT,
        related_name="lots",
        limit_choices_to={"kind": Organisation.Kind.EXPORTER},
    )
    lot_number = models.CharField(_("lot number"), max_length=40)
    material = models.ForeignKey(Material, verbose_name=_("material"), on_delete=models.PROTECT)
    hs_code = models.CharField(_("HS code"), max_length=16, validators=[validate_hs_code])
    origin = models.CharField(_("origin"), max_length=200, help_text=_("Mine or plant the material comes from."))
    wet_mass_t = models.DecimalField(
        _("wet mass (t)"), max_digits=12, decimal_places=3, validators=[MinValueValidator(Decimal("0.001"))]
    )
    wet_mass_source = models.CharField(
        _("wet mass source"),
        max_length=120,
        blank=True,
        help_text=_("Where the customer's wet mass comes from: weighbridge ticket or draft survey reference."),
    )
    contract_reference = models.CharField(_("contract reference"), max_length=80, blank=True)
    export_licence_number = models.CharField(_("export licence number"), max_length=80, blank=True)
    destination_country = CountryField(_("destination country"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.REGISTERED)
    due_date = models.DateField(
        _("due date"), null=True, blank=True, help_text=_("When the exporter needs the certificate, if agreed.")
    )
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("registered by"), on_delete=models.PROTECT, related_name="+"
    )
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)

    class Meta:
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        ordering = ["-registered_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["exporter", "lot_number"], name="lot_number_unique_per_exporter"),
            models.CheckConstraint(condition=models.Q(status__in=LotStatus.values), name="lot_status_valid"),
            models.CheckConstraint(condition=models.Q(wet_mass_t__gt=0), name="lot_wet_mass_positive"),
            models.CheckConstraint(condition=models.Q(priority__in=Priority.values), name="lot_priority_valid"),
        ]
        indexes = [
            models.Index(F("registered_at").desc(), F("id").desc(), name="lot_newest_idx"),
            # The lists' order (ORDER): the most urgent first, newest first among equals. An ascending
            # index puts NULLs last on PostgreSQL, as ORDER asks; SQLite cannot index NULLS LAST.
            models.Index(
                F("priority"),
                F("due_date"),
                F("registered_at").desc(),
                F("id").desc(),
                name="lot_urgency_idx",
            ),
        ]

    # The lists' order (samples.selectors.lot_list, the dashboard).
    ORDER = (*URGENCY_ORDER, "-registered_at", "-id")

    def __str__(self):
        return f"{self.lot_number} ({self.exporter})"

    @property
    def overdue(self) -> bool:
        return is_overdue(self.due_date, done=self.status == LotStatus.CLOSED)

    def clean(self):
        wrong_heading = (
            self.material_id
            and HS_CODE_RE.match(self.hs_code or "")
            and not self.hs_code.startswith(self.material.hs_heading)
        )
        if wrong_heading:
            raise ValidationError(
                {
                    "hs_code": _("%(material)s is declared under HS heading %(heading)s, not %(code)s.")
                    % {"material": self.material, "heading": self.material.hs_heading, "code": self.hs_code}
                }
            )


class SamplePurpose(models.TextChoices):
    COMPOSITE = "composite", _("Composite (to be split)")
    LABORATORY = "laboratory", _("Laboratory")
    EXPORTER = "exporter", _("Exporter")
    BUYER = "buyer", _("Buyer")
    UMPIRE = "umpire", _("Umpire")
    CUSTOMS_REFEREE = "customs_referee", _("Customs referee")
    ARCHIVE = "archive", _("Archive")


class SampleStatus(models.TextChoices):
    COLLECTED = "collected", _("Collected")
    SPLIT = "split", _("Split")
    SEALED = "sealed", _("Sealed")
    IN_TRANSIT = "in_transit", _("In transit")
    RECEIVED = "received", _("Received")
    ON_HOLD = "on_hold", _("On hold")
    IN_PREPARATION = "in_preparation", _("In preparation")
    IN_ANALYSIS = "in_analysis", _("In analysis")
    REPORTED = "reported", _("Reported")
    ARCHIVED = "archived", _("Archived")
    DISPOSED = "disposed", _("Disposed")
    REJECTED = "rejected", _("Rejected")


class CustodyAction(models.TextChoices):
    COLLECT = "collect", _("Collected")
    SPLIT = "split", _("Split")
    SEAL = "seal", _("Sealed")
    HAND_OVER = "hand_over", _("Handed over")
    # The giver takes back a sample handed over but not yet received (samples.services.sample_recall).
    RECALL = "recall", _("Recalled")
    RECEIVE = "receive", _("Received")
    HOLD = "hold", _("Put on hold")
    RELEASE = "release", _("Released from hold")
    REJECT = "reject", _("Rejected")
    PREPARE = "prepare", _("Preparation started")
    ANALYSE = "analyse", _("Analysis started")
    REPORT = "report", _("Results reported")
    STORE = "store", _("Stored in archive")
    DISPOSE = "dispose", _("Disposed")
    # A retained portion of the sample (pulp, coarse reject, referee or umpire split) put in store,
    # moved or disposed of (samples.portions): a link of the sample's chain that leaves its status.
    PORTION_RETAIN = "portion_retain", _("Portion retained")
    PORTION_MOVE = "portion_move", _("Portion moved")
    PORTION_DISPOSE = "portion_dispose", _("Portion disposed")


# A sample in these states needs no more work towards its certificate: it is not overdue.
SAMPLE_DONE = frozenset(
    {
        SampleStatus.SPLIT,
        SampleStatus.REPORTED,
        SampleStatus.ARCHIVED,
        SampleStatus.DISPOSED,
        SampleStatus.REJECTED,
    }
)

# The states of a sample in which the laboratory keeps portions of it (samples.portions).
PORTION_STATES = frozenset(
    {
        SampleStatus.RECEIVED,
        SampleStatus.IN_PREPARATION,
        SampleStatus.IN_ANALYSIS,
        SampleStatus.REPORTED,
        SampleStatus.ARCHIVED,
        SampleStatus.DISPOSED,
    }
)


class Sample(models.Model):
    """A portion of a lot, tracked from collection to disposal by its chain of custody: each
    custody event (CustodyEvent.Action) moves the sample along this table.

    | action          | from                                                                     | to                             |
    |-----------------|--------------------------------------------------------------------------|--------------------------------|
    | collect         | (new)                                                                    | collected                      |
    | split           | collected                                                                | split                          |
    | seal            | collected                                                                | sealed                         |
    | hand_over       | sealed / in_transit / received                                           | in_transit                     |
    | recall          | in_transit                                                               | sealed / in_transit / received |
    | receive         | in_transit                                                               | received                       |
    | hold            | in_transit                                                               | on_hold                        |
    | release         | on_hold                                                                  | received                       |
    | reject          | on_hold                                                                  | rejected                       |
    | prepare         | received                                                                 | in_preparation                 |
    | analyse         | received / in_preparation                                                | in_analysis                    |
    | report          | in_analysis                                                              | reported                       |
    | store           | received / in_preparation / in_analysis / reported                       | archived                       |
    | dispose         | archived / rejected                                                      | disposed                       |
    | portion_retain  | received / in_preparation / in_analysis / reported / archived / disposed | (unchanged)                    |
    | portion_move    | received / in_preparation / in_analysis / reported / archived / disposed | (unchanged)                    |
    | portion_dispose | received / in_preparation / in_analysis / reported / archived / disposed | (unchanged)                    |
    """

    EXPORTER_PATH = "lot__exporter"

    Purpose = SamplePurpose
    Status = SampleStatus

    # COLLECT starts a chain, from the empty status of a sample whose first event is being written.
    LIFECYCLE = Lifecycle(
        Status,
        {
            CustodyAction.COLLECT: ({""}, Status.COLLECTED),
            CustodyAction.SPLIT: ({Status.COLLECTED}, Status.SPLIT),
            CustodyAction.SEAL: ({Status.COLLECTED}, Status.SEALED),
            CustodyAction.HAND_OVER: ({Status.SEALED, Status.IN_TRANSIT, Status.RECEIVED}, Status.IN_TRANSIT),
            # Back to the state the recalled hand-over started from, in the giver's hands.
            CustodyAction.RECALL: ({Status.IN_TRANSIT}, {Status.SEALED, Status.IN_TRANSIT, Status.RECEIVED}),
            CustodyAction.RECEIVE: ({Status.IN_TRANSIT}, Status.RECEIVED),
            CustodyAction.HOLD: ({Status.IN_TRANSIT}, Status.ON_HOLD),
            CustodyAction.RELEASE: ({Status.ON_HOLD}, Status.RECEIVED),
            CustodyAction.REJECT: ({Status.ON_HOLD}, Status.REJECTED),
            CustodyAction.PREPARE: ({Status.RECEIVED}, Status.IN_PREPARATION),
            # The assays app moves a sample on when its first result is entered and when its panel is
            # complete with approved results.
            CustodyAction.ANALYSE: ({Status.RECEIVED, Status.IN_PREPARATION}, Status.IN_ANALYSIS),
            CustodyAction.REPORT: ({Status.IN_ANALYSIS}, Status.REPORTED),
            CustodyAction.STORE: (
                {Status.RECEIVED, Status.IN_PREPARATION, Status.IN_ANALYSIS, Status.REPORTED},
                Status.ARCHIVED,
            ),
            CustodyAction.DISPOSE: ({Status.ARCHIVED, Status.REJECTED}, Status.DISPOSED),
            # Portions are made in the laboratory and outlive the analysis: kept, moved and disposed of
            # whatever became of the sample itself.
            CustodyAction.PORTION_RETAIN: (PORTION_STATES, None),
            CustodyAction.PORTION_MOVE: (PORTION_STATES, None),
            CustodyAction.PORTION_DISPOSE: (PORTION_STATES, None),
        },
        this=_("This sample"),
        name=lambda sample: _("Sample %(code)s") % {"code": sample.code},
        labels=dict(CustodyAction.choices),
        initial="",
        unborn=_("not yet collected"),
    )

    code = models.CharField(_("code"), max_length=32, unique=True)
    lot = models.ForeignKey(Lot, verbose_name=_("lot"), on_delete=models.PROTECT, related_name="samples")
    parent = models.ForeignKey(
        "self", verbose_name=_("split from"), on_delete=models.PROTECT, null=True, blank=True, related_name="splits"
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    mass_g = models.DecimalField(
        _("mass (g)"), max_digits=10, decimal_places=1, validators=[MinValueValidator(Decimal("0.1"))]
    )
    seal_number = models.CharField(_("seal number"), max_length=32, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    current_custodian = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("current custodian"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="samples_held",
        help_text=_("Empty while the sample travels with an outside carrier."),
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    collected_at = models.DateTimeField(_("collected at"))
    collection_location = models.CharField(_("collection location"), max_length=200)
    # The hash and length of the last custody event: lets verification notice events removed from
    # the end of a chain, which a chain alone cannot show.
    custody_head = models.CharField(max_length=64, blank=True, editable=False)
    custody_length = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("sample")
        verbose_name_plural = _("samples")
        ordering = ["-collected_at", "code"]
        constraints = [
            # Empty only inside the transaction that creates the sample and its first event.
            models.CheckConstraint(
                condition=models.Q(status__in=["", *SampleStatus.values]), name="sample_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(purpose__in=[p.value for p in SamplePurpose]), name="sample_purpose_valid"
            ),
            models.CheckConstraint(condition=models.Q(mass_g__gt=0), name="sample_mass_positive"),
            models.CheckConstraint(condition=models.Q(priority__in=Priority.values), name="sample_priority_valid"),
        ]
        indexes = [
            models.Index(fields=["status"]),
            models.Index(F("collected_at").desc(), "code", name="sample_newest_idx"),
            # The lists' order (ORDER): the most urgent first, newest first among equals. An ascending
            # index puts NULLs last on PostgreSQL, as ORDER asks; SQLite cannot index NULLS LAST.
            models.Index(
                F("priority"),
                F("due_date"),
                F("collected_at").desc(),
                "code",
                name="sample_urgency_idx",
            ),
        ]

    # The lists' order (samples.selectors.sample_list); the dashboard's is oldest first among equals.
    ORDER = (*URGENCY_ORDER, "-collected_at", "code")

    def __str__(self):
        return self.code

    @property
    def overdue(self) -> bool:
        return is_overdue(self.due_date, done=self.status in SAMPLE_DONE)


class Seal(models.Model):
    """Every seal number ever applied. A seal is single-use, so a number can be applied only once."""

    EXPORTER_PATH = "sample__lot__exporter"

    number = models.CharField(_("seal number"), max_length=32, unique=True, validators=[validate_seal_number])
    sample = models.ForeignKey(Sample, verbose_name=_("sample"), on_delete=models.PROTECT, related_name="seals")
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    applied_at = models.DateTimeField(_("applied at"))

    class Meta:
        verbose_name = _("seal")
        verbose_name_plural = _("seals")
        ordering = ["-applied_at"]

    def __str__(self):
        return self.number


class CustodyEvent(AppendOnlyModel):
    """One link of a sample's chain of custody. Append-only (lims.lib.append_only): the ORM refuses
    updates and deletes, the admin and API are read-only, and on PostgreSQL a trigger refuses UPDATE
    and DELETE. `hash` is the SHA-256 of the canonical content, which includes `prev_hash` (samples/chain.py)."""

    EXPORTER_PATH = "sample__lot__exporter"

    Action = CustodyAction

    sample = models.ForeignKey(Sample, verbose_name=_("sample"), on_delete=models.PROTECT, related_name="events")
    sequence = models.PositiveIntegerField(_("sequence"))
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), on_delete=models.PROTECT, related_name="+"
    )
    from_party = models.CharField(_("from"), max_length=300, blank=True)
    to_party = models.CharField(_("to"), max_length=300, blank=True)
    occurred_at = models.DateTimeField(_("time"))
    recorded_at = models.DateTimeField(_("recorded at"))
    location = models.CharField(_("location"), max_length=200, blank=True)
    seal_number_seen = models.CharField(_("seal number seen"), max_length=32, blank=True)
    seal_intact = models.BooleanField(_("seal intact"), null=True)
    status_before = models.CharField(_("status before"), max_length=20, blank=True)
    status_after = models.CharField(_("status after"), max_length=20)
    note = models.TextField(_("note"), blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("custody event")
        verbose_name_plural = _("custody events")
        ordering = ["sample_id", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["sample", "sequence"], name="custody_sequence_unique"),
            models.CheckConstraint(condition=models.Q(sequence__gte=1), name="custody_sequence_positive"),
        ]

    def __str__(self):
        return f"{self.sample_id}#{self.sequence} {self.action}"

    @property
    def from_party_display(self) -> str:
        """Who the sample came from. A split's first event names its composite in the words of whoever
        split it ("composite KZL-26-000001"), stored as written since it is part of the chain's hash; a
        page names it again in the reader's language."""
        parent = self.sample.parent if self.sequence == 1 and self.sample.parent_id else None
        if parent and self.from_party.endswith(f" {parent.code}"):
            return gettext("composite %(code)s") % {"code": parent.code}
        return self.from_party


class NonconformanceStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class Nonconformance(models.Model):
    """A problem found at reception (seal broken or not the one applied). The sample stays on hold
    until a lab manager accepts it with a reason or rejects it.

    | action   | from  | to                  |
    |----------|-------|---------------------|
    | (create) | (new) | open                |
    | resolve  | open  | accepted / rejected |
    """

    EXPORTER_PATH = "sample__lot__exporter"

    class Kind(models.TextChoices):
        SEAL_BROKEN = "seal_broken", _("Seal broken")
        SEAL_MISMATCH = "seal_mismatch", _("Seal number does not match")

    Status = NonconformanceStatus

    # Resolving accepts the sample for testing or rejects it, as the lab manager decides.
    LIFECYCLE = Lifecycle(
        Status,
        {"resolve": ({Status.OPEN}, {Status.ACCEPTED, Status.REJECTED})},
        this=_("This nonconformance"),
        labels={"resolve": _("resolved")},
        initial=Status.OPEN,
        already=True,
    )

    sample = models.ForeignKey(
        Sample, verbose_name=_("sample"), on_delete=models.PROTECT, related_name="nonconformances"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    description = models.TextField(_("description"))
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(_("raised at"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)

    class Meta:
        verbose_name = _("nonconformance")
        verbose_name_plural = _("nonconformances")
        ordering = ["-raised_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=NonconformanceStatus.values), name="nc_status_valid"),
            # An open nonconformance has no resolution; a closed one has who, when and why.
            models.CheckConstraint(
                condition=models.Q(status="open", resolved_at__isnull=True)
                | (~models.Q(status="open") & models.Q(resolved_at__isnull=False) & ~models.Q(resolution="")),
                name="nc_resolution_complete",
            ),
        ]
        indexes = [models.Index(fields=["status"], condition=models.Q(status="open"), name="nc_open_idx")]

    def __str__(self):
        return f"{self.sample} {self.get_kind_display()}"


class RetainedPortionKind(models.TextChoices):
    PULP = "pulp", _("Pulp")
    COARSE_REJECT = "coarse_reject", _("Coarse reject")
    REFEREE = "referee", _("Referee split")
    UMPIRE = "umpire", _("Umpire split")


class RetainedPortionStatus(models.TextChoices):
    STORED = "stored", _("Stored")
    DISPOSED = "disposed", _("Disposed")


class RetainedPortion(models.Model):
    """What the laboratory keeps of a sample after preparation (pulp, coarse reject, referee and
    umpire splits), where, and until when. Every move is a link of the sample's custody chain
    (samples.portions); a lab manager disposes of a portion, and only once its retention date has
    passed.

    | action   | from   | to          |
    |----------|--------|-------------|
    | (create) | (new)  | stored      |
    | move     | stored | (unchanged) |
    | dispose  | stored | disposed    |
    """

    # The laboratory's working record: exporters follow their samples, not the shelves.
    EXPORTER_PATH = None

    Kind = RetainedPortionKind
    Status = RetainedPortionStatus
    LIFECYCLE = Lifecycle(
        Status,
        {"move": ({Status.STORED}, None), "dispose": ({Status.STORED}, Status.DISPOSED)},
        this=_("This portion"),
        labels={"move": _("moved"), "dispose": _("disposed of")},
        initial=Status.STORED,
        already=True,
    )

    sample = models.ForeignKey(Sample, verbose_name=_("sample"), on_delete=models.PROTECT, related_name="portions")
    kind = models.CharField(_("portion"), max_length=20, choices=Kind.choices)
    mass_g = models.DecimalField(
        _("mass (g)"), max_digits=10, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    location = models.CharField(_("storage location"), max_length=200)
    retain_until = models.DateField(_("retain until"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.STORED)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    disposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    disposed_at = models.DateTimeField(_("disposed at"), null=True, blank=True)
    disposal_note = models.TextField(_("disposal note"), blank=True)

    class Meta:
        verbose_name = _("retained portion")
        verbose_name_plural = _("retained portions")
        ordering = ["sample", "kind", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=RetainedPortionStatus.values), name="portion_status_valid"
            ),
            models.CheckConstraint(condition=models.Q(kind__in=RetainedPortionKind.values), name="portion_kind_valid"),
            models.CheckConstraint(condition=~models.Q(location=""), name="portion_has_location"),
            # A disposed portion says who disposed of it and when; a stored one has neither.
            models.CheckConstraint(
                condition=models.Q(status="stored", disposed_at__isnull=True, disposed_by__isnull=True)
                | models.Q(status="disposed", disposed_at__isnull=False, disposed_by__isnull=False),
                name="portion_disposal_complete",
            ),
        ]

    def __str__(self):
        return f"{self.sample} {self.get_kind_display()}"
