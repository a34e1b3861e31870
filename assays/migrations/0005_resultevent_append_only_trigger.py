"""On PostgreSQL, refuse UPDATE and DELETE on result events in the database itself, as for custody
events (samples 0003): the review history of a result is not rewritten, not even by raw SQL through
the application's connection. SQLite (development) relies on the ORM guards."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION assays_resultevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'result events are append-only: % refused on assays_resultevent', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER assays_resultevent_append_only
    BEFORE UPDATE OR DELETE ON assays_resultevent
    FOR EACH ROW EXECUTE FUNCTION assays_resultevent_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS assays_resultevent_append_only ON assays_resultevent;
DROP FUNCTION IF EXISTS assays_resultevent_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("assays", "0004_method_detection_limits")]
    operations = [migrations.RunPython(forwards, backwards)]
