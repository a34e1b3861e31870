"""The laboratory's procedure code and revision of each in-house method (one with no published
standard): ISO/IEC 17025 7.8.2.1 f) asks a certificate to identify the method, and "in-house
procedure" identifies nothing. The codes are the laboratory's defaults, to be confirmed against its
controlled documents and edited in the admin (Method) when a procedure is revised; a method that
already has a procedure code keeps it."""

from django.db import migrations

PROCEDURES = {
    # method code: (procedure code, revision)
    "icpms-4acid": ("SOP-ICPMS-01", "1"),
    "icpms-aqua-regia": ("SOP-ICPMS-02", "1"),
}


def forwards(apps, schema_editor):
    Method = apps.get_model("assays", "Method")
    for code, (procedure, revision) in PROCEDURES.items():
        Method.objects.filter(code=code, procedure_code="").update(
            procedure_code=procedure, procedure_revision=revision
        )


def backwards(apps, schema_editor):
    Method = apps.get_model("assays", "Method")
    for code, (procedure, revision) in PROCEDURES.items():
        Method.objects.filter(code=code, procedure_code=procedure, procedure_revision=revision).update(
            procedure_code="", procedure_revision=""
        )


class Migration(migrations.Migration):
    dependencies = [("assays", "0006_trust_fields")]

    operations = [migrations.RunPython(forwards, backwards)]
