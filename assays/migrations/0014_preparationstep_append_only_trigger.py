"""On PostgreSQL, refuse UPDATE and DELETE on preparation steps in the database itself, as for custody
events (samples 0003): the weights that became a sample's moisture and prep factors are not rewritten, not even by raw SQL through
the application's connection. SQLite (development) relies on the ORM guards."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION assays_preparationstep_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'preparation steps are append-only: % refused on assays_preparationstep', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER assays_preparationstep_append_only
    BEFORE UPDATE OR DELETE ON assays_preparationstep
    FOR EACH ROW EXECUTE FUNCTION assays_preparationstep_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS assays_preparationstep_append_only ON assays_preparationstep;
DROP FUNCTION IF EXISTS assays_preparationstep_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("assays", "0013_control_baselines")]
    operations = [migrations.RunPython(forwards, backwards)]
