"""The assay vocabulary every layer shares, defined once: the importers (which touch no model), the
models, QC and the services import it from here.

- Qualifier: what a reading or result says besides its number: measured, below the detection limit
  (`<`, the value is the limit), above (`>`, the value is a lower bound), over range, not reported.
- RowType: what a row of an instrument run is (calibration blank and standard, check standards,
  method blank, reference material, duplicate, spike, sample, other).
- ExportBasis: what an instrument's concentration figures are per: a litre of the measured solution
  (the digest), or a kilogram of the sample (the software already applied weight and volume).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Qualifier(models.TextChoices):
    NONE = "", _("Measured")
    BELOW_DL = "<", _("Below detection limit")
    ABOVE = ">", _("Above")
    OVER_RANGE = "OR", _("Over range")
    NOT_REPORTED = "NA", _("Not reported")


class RowType(models.TextChoices):
    CAL_BLANK = "cal_blank", _("Calibration blank")
    CAL_STD = "cal_std", _("Calibration standard")
    ICV = "icv", _("ICV")
    CCV = "ccv", _("CCV")
    CCB = "ccb", _("CCB")
    METHOD_BLANK = "method_blank", _("Method blank")
    CRM = "crm", _("Reference material")
    DUPLICATE = "duplicate", _("Duplicate")
    SPIKE = "spike", _("Spike")
    SAMPLE = "sample", _("Sample")
    OTHER = "other", _("Other")


class ExportBasis(models.TextChoices):
    SOLUTION = "solution", _("Solution (per litre of digest)")
    SOLID = "solid", _("Solid (per sample mass)")
