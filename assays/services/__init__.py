"""Every write to runs and results goes through a function of this package (see samples.services for the
conventions: keyword-only arguments with the acting user, one transaction, permission and state
checks, a record of what happened, ApplicationError on refusal with nothing changed).

Decisions a lab auditor will look for:
- Instrument values are taken as the instrument software reports them: dilution-corrected
  concentrations of the digest. The dilution factor of each row is kept for traceability and not
  applied again. Solution concentrations become contents of the solid with each sample's
  preparation factors: the digested mass and final volume weighed at its preparation
  (assays.preparation says where they come from, and a run whose samples lack them is not
  accepted); files that already report per sample mass (mg/kg) need none.
- A sample may carry results only once it was received with an intact seal, or its seal problem
  was accepted by the lab manager: statuses received, in preparation and in analysis.
- Reported values are on the panel entry's basis: dry for everything except moisture. The dry
  value needs the sample's approved moisture, so a dry-basis result can be approved only after
  the moisture result, and approving the moisture computes the dry values of the sample's other
  results (each gets a ResultEvent saying so).
- Which reading of a sample and analyte becomes its result (dilution series, re-assays, several
  isotopes) is assays.selection's rule; where it cannot decide, the technician chooses, with a
  reason. The basis of every value (solution or per sample mass) comes from the file's evidence.

Modules: `imports` (parse and check a file, touching nothing), `runs` (store, accept, discard,
withdraw runs), `results` (manual entry, approval, rejection); QC assembly is assays.run_qc.
"""

from assays.services.imports import Prepared, crm_names, run_parse
from assays.services.results import ManualEntry, result_approve, result_reject, results_enter
from assays.services.runs import (
    READING_COLUMNS,
    run_accept,
    run_choose_reading,
    run_discard,
    run_import,
    run_override_qc,
    run_process,
    run_refuse_lost,
    run_undecided,
    run_upload,
    run_withdraw,
)

__all__ = [
    "READING_COLUMNS",
    "ManualEntry",
    "Prepared",
    "crm_names",
    "result_approve",
    "result_reject",
    "results_enter",
    "run_accept",
    "run_choose_reading",
    "run_discard",
    "run_import",
    "run_override_qc",
    "run_parse",
    "run_process",
    "run_refuse_lost",
    "run_undecided",
    "run_upload",
    "run_withdraw",
]
