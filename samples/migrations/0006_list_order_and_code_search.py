"""Indexes for the lists' order (newest first) and, on PostgreSQL, trigram indexes for searching
sample codes, seal numbers and lot numbers by any part (the lists' `q` and `search` use icontains,
which PostgreSQL compiles to UPPER(column::text) LIKE UPPER('%...%'): the indexes are on that
expression). SQLite (development) has neither extension nor index and searches by scanning."""

from django.conf import settings
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

TRIGRAM_INDEXES = {
    "sample_code_trgm_idx": ("samples_sample", "code"),
    "sample_seal_trgm_idx": ("samples_sample", "seal_number"),
    "lot_number_trgm_idx": ("samples_lot", "lot_number"),
}


def trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, column) in TRIGRAM_INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("lims", "0004_auditevent_action_choices"),
        ("samples", "0005_trust_fields"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # A no-op off PostgreSQL (Django's CreateExtension checks the vendor).
        TrigramExtension(),
        migrations.RunPython(trigram_indexes, drop_trigram_indexes),
        migrations.AddIndex(
            model_name="lot",
            index=models.Index(
                models.OrderBy(models.F("registered_at"), descending=True),
                models.OrderBy(models.F("id"), descending=True),
                name="lot_newest_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="sample",
            index=models.Index(
                models.OrderBy(models.F("collected_at"), descending=True), models.F("code"), name="sample_newest_idx"
            ),
        ),
    ]
