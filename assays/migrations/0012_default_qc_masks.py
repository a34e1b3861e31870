"""A default QC mask for every ICP-MS method that has none: a calibration blank at the start; per 20
samples a duplicate of the group's last sample, a method blank and a CRM; a CCV after every 10
positions and at the end (assays.masks). Lab managers change them in the admin."""

from django.db import migrations

DEFAULT_RULES = [
    ("cal_blank", "start", None),
    ("duplicate", "per_samples", 20),
    ("method_blank", "per_samples", 20),
    ("crm", "per_samples", 20),
    ("ccv", "every_positions", 10),
    ("ccv", "end", None),
]


def add_masks(apps, schema_editor):
    Method = apps.get_model("assays", "Method")
    QCMask = apps.get_model("assays", "QCMask")
    QCMaskRule = apps.get_model("assays", "QCMaskRule")
    for method in Method.objects.filter(technique="icp_ms"):
        if QCMask.objects.filter(method=method).exists():
            continue
        mask = QCMask.objects.create(method=method, name=f"{method.name}: 1 in 20, CCV every 10")
        for order, (kind, placement, interval) in enumerate(DEFAULT_RULES, 1):
            QCMaskRule.objects.create(mask=mask, order=order, kind=kind, placement=placement, interval=interval)


class Migration(migrations.Migration):
    dependencies = [("assays", "0011_batches_qc_masks")]

    operations = [migrations.RunPython(add_masks, migrations.RunPython.noop)]
