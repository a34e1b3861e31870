"""On PostgreSQL, refuse UPDATE and DELETE on certificate events in the database itself, as for
custody events (samples 0003): what happened to a certificate is not rewritten, not even by raw SQL
through the application's connection. SQLite (development) relies on the ORM guards."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION certificates_certificateevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'certificate events are append-only: % refused on certificates_certificateevent', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER certificates_certificateevent_append_only
    BEFORE UPDATE OR DELETE ON certificates_certificateevent
    FOR EACH ROW EXECUTE FUNCTION certificates_certificateevent_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS certificates_certificateevent_append_only ON certificates_certificateevent;
DROP FUNCTION IF EXISTS certificates_certificateevent_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("certificates", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
