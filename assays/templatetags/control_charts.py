"""The run page's part of QC over time: the Westgard rules the run's reference materials and blanks
break against their baselines (assays.control.run_control), and the series that have none."""

from django import template

from assays import control
from assays.models import Run

register = template.Library()


@register.inclusion_tag("assays/_westgard_flags.html")
def westgard_flags(run: Run) -> dict:
    found = control.run_control(run)
    return {"run": run, "flags": found.flags, "without_baseline": found.without_baseline}
