"""Review in bulk: a reviewer approves or rejects every entered result of a sample, a run or a batch
in one action (assays.selectors.review_candidates narrows them by sample, run, method and batch).

Decisions a lab auditor will look for:
- Each result is decided on its own, through result_approve / result_reject, in its own transaction:
  the bulk action is atomic per result, not as a whole. A result someone else decided meanwhile, or
  one whose state forbids the decision, is skipped with the reason and the others go ahead; nothing
  is half-decided, since each decision locks its row (select_for_update) and commits with its event.
  A concurrent single decision on the same result waits for the lock and then either wins or is
  skipped here (409 on its own page), never a server error.
- The four-eyes rule holds per result: results the reviewer entered, or that came from a run the
  reviewer imported, are skipped and listed.
- A dry-basis result waiting for the sample's approved moisture is not approved: it is skipped with
  that reason, even when the same action approves the moisture, because its dry value was not on
  the page the reviewer decided from. A second pass approves it once the reviewer has seen it.
  Rejection needs no dry value: such results are rejected like the others.
- A result whose plausibility flags need confirmation (assays.plausibility) is approved only when the
  reviewer confirms the flags for this action (`confirm_flags`); otherwise it is skipped and listed,
  never approved silently. A result of a run whose QC failed and is not overridden is skipped.
- Every decision is a ResultEvent, as a single decision is; the rejection's reason goes on each result.
  Whoever entered rejected results is told once per sample for the whole action (lims.notifications).
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assays import plausibility
from assays.models import Result
from assays.services.results import notify_rejected, result_approve, result_reject
from lims import permissions
from lims.exceptions import ApplicationError
from lims.models import User

APPROVE, REJECT = "approve", "reject"

# Why a result was skipped, and what the reviewer reads.
FOUR_EYES = "four_eyes"
AWAITING_MOISTURE = "awaiting_moisture"
FLAGS = "flags"
QC_FAILED = "qc_failed"
REFUSED = "refused"
SKIP_REASONS = {
    FOUR_EYES: gettext_lazy("You entered or imported it; a second person must review it."),
    AWAITING_MOISTURE: gettext_lazy("Its dry basis waits for the sample's approved moisture."),
    FLAGS: gettext_lazy("It is flagged; confirm the flagged values to approve it."),
    QC_FAILED: gettext_lazy("Its run failed QC and the failure is not overridden."),
    REFUSED: gettext_lazy("It could not be decided now."),
}

# Past this many results one action would keep the request for minutes: narrow the filter.
BULK_LIMIT = 2000


@dataclass(frozen=True)
class Skipped:
    result: Result
    reason: str  # a key of SKIP_REASONS
    message: str


@dataclass
class ReviewOutcome:
    decision: str
    decided: list[Result] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def skipped_for(self, reason: str) -> list[Skipped]:
        return [s for s in self.skipped if s.reason == reason]

    def counts(self) -> dict[str, int]:
        """Skipped results counted per reason, every reason named (0 where none)."""
        return {reason: len(self.skipped_for(reason)) for reason in SKIP_REASONS}


def _own(actor: User, result: Result) -> bool:
    return actor.pk in {result.entered_by_id, result.run.operator_id if result.run is not None else None}


def _skip_reason(actor: User, result: Result, decision: str, confirm_flags: bool) -> tuple[str, str] | None:
    """Why `result` is left out of this action, or None when the decision may be tried."""
    if _own(actor, result):
        return FOUR_EYES, str(SKIP_REASONS[FOUR_EYES])
    if decision == REJECT:
        return None
    if result.basis_pending:
        return AWAITING_MOISTURE, str(SKIP_REASONS[AWAITING_MOISTURE])
    if result.run is not None and not result.run.qc_cleared:
        return QC_FAILED, str(SKIP_REASONS[QC_FAILED])
    if result.flags and not confirm_flags:
        return FLAGS, f"{SKIP_REASONS[FLAGS]} ({plausibility.describe(result.flags)})"
    return None


def results_review(
    *, actor: User, results: QuerySet, decision: str, reason: str = "", confirm_flags: bool = False
) -> ReviewOutcome:
    """Approve or reject every entered result of `results` (a queryset the caller scoped and filtered,
    assays.selectors.review_candidates) that this reviewer may decide, each in its own transaction;
    the others are skipped with their reason (see the module's docstring). A rejection needs its
    reason, said once for all; nothing is decided when it is missing."""
    if decision not in (APPROVE, REJECT):
        raise ApplicationError(_("Choose approve or reject."), field="decision")
    permissions.require(actor, f"result.{decision}")
    reason = reason.strip()
    if decision == REJECT and not reason:
        raise ApplicationError(_("Say why the results are rejected, so the retests can address it."), field="reason")
    candidates = list(
        results.filter(status=Result.Status.ENTERED)
        .select_related("sample", "analyte", "run")
        .order_by("sample__code", "analyte__symbol", "pk")[: BULK_LIMIT + 1]
    )
    if not candidates:
        raise ApplicationError(_("No entered result matches: there is nothing to decide."))
    if len(candidates) > BULK_LIMIT:
        raise ApplicationError(
            _("More than %(limit)d results match; narrow the filter to a sample, a run or a method.")
            % {"limit": BULK_LIMIT}
        )
    outcome = ReviewOutcome(decision=decision)
    # Decided from what the reviewer saw: a result waiting for the moisture when the action started keeps
    # waiting even if the moisture is approved earlier in this same action.
    skips = {r.pk: _skip_reason(actor, r, decision, confirm_flags) for r in candidates}
    for result in candidates:
        skip = skips[result.pk]
        if skip is not None:
            outcome.skipped.append(Skipped(result, *skip))
            continue
        try:
            if decision == APPROVE:
                decided = result_approve(actor=actor, result=result, confirm_flags=confirm_flags)
            else:
                decided = result_reject(actor=actor, result=result, reason=reason, notify_enterer=False)
        except ApplicationError as exc:
            # Decided by someone else meanwhile, or its state changed under us: this one only is left.
            outcome.skipped.append(Skipped(result, REFUSED, exc.message))
        else:
            outcome.decided.append(decided)
    if decision == REJECT and outcome.decided:
        # Once per person and sample for the whole action, not once per result.
        with transaction.atomic():
            notify_rejected(actor=actor, results=outcome.decided, reason=reason)
    return outcome
