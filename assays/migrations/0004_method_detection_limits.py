"""Detection limits of the ICP-MS methods, in ug/L of the measured solution: the figures a laboratory states for
its method (typical of a quadrupole ICP-MS in He mode; a laboratory replaces them with its own validated
limits in the reference data). They replace a limit an instrument printed as zero (`<0.000`)."""

from decimal import Decimal

from django.db import migrations

RARE_EARTHS = {"Sc", "Y", "La", "Ce", "Pr", "Nd", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu"}
LIMITS = {"Zn": "0.05", "Ni": "0.05", "Pb": "0.02", "As": "0.02", "Se": "0.05", "Hg": "0.02"}
DEFAULT = "0.01"
REE = "0.002"


def load(apps, schema_editor):
    MethodAnalyte = apps.get_model("assays", "MethodAnalyte")
    rows = MethodAnalyte.objects.filter(method__code__startswith="icpms", detection_limit__isnull=True)
    for row in rows.select_related("analyte"):
        symbol = row.analyte.symbol
        row.detection_limit = Decimal(REE if symbol in RARE_EARTHS else LIMITS.get(symbol, DEFAULT))
        row.save(update_fields=["detection_limit"])


class Migration(migrations.Migration):
    dependencies = [("assays", "0003_real_files")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
