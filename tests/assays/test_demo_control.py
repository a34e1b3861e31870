"""The QC-over-time demo: La's baseline fixed from twenty earlier runs, Ce's left for the manager,
and the demo's run in preview names the Westgard rule its OREAS 502c breaks."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from assays import control, demo, demo_control
from assays.baseline_models import ControlBaseline
from assays.models import Run
from lims.models import User


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_demo_shows_a_fixed_baseline_and_a_broken_rule(db, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    context = {"users": {user.username: user for user in User.objects.all()}}

    demo_control.seed(context)
    demo_control.seed(context)  # idempotent

    assert Run.objects.filter(filename__startswith="demo-history-", status="accepted").count() == 20
    (baseline,) = ControlBaseline.objects.all()
    assert (baseline.analyte.symbol, baseline.n, baseline.mean) == ("La", 20, Decimal("99.8"))
    assert baseline.fixed_by.username == "manager"
    held = Run.objects.get(filename=demo.DEMO_FAILED_RUN)
    flags = [flag.message for flag in control.run_control(held).flags]
    assert flags == [
        f"Westgard 2-2s: CRM OREAS 502c La, this run and the previous beyond +2s "
        f"(runs {Run.objects.get(filename=demo.DEMO_RUN).pk}, {held.pk})."
    ]
    # Ce is left without a baseline, for the manager's journey.
    assert "CRM OREAS 502c Ce" in [series.name for series in control.run_control(held).without_baseline]
