"""On PostgreSQL, refuse UPDATE and DELETE on custody events in the database itself, so that not
even raw SQL through the application's connection can rewrite the chain. SQLite (development)
relies on the ORM guards and on chain verification."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION samples_custodyevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'custody events are append-only: % refused on samples_custodyevent', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER samples_custodyevent_append_only
    BEFORE UPDATE OR DELETE ON samples_custodyevent
    FOR EACH ROW EXECUTE FUNCTION samples_custodyevent_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS samples_custodyevent_append_only ON samples_custodyevent;
DROP FUNCTION IF EXISTS samples_custodyevent_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("samples", "0002_materials")]
    operations = [migrations.RunPython(forwards, backwards)]
