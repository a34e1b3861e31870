"""On PostgreSQL, refuse UPDATE and DELETE of the exchange's records in the database itself, as for
certificate events (certificates 0002): the requests customs systems made, the records signed for
them and every delivery attempt stay as written. SQLite (development) relies on the ORM guards
(lims.lib.append_only)."""

from django.db import migrations

TABLES = ("exchange_requestlog", "exchange_signedrecord", "exchange_deliveryattempt")

CREATE = """
CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{table} is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {table}_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS {table}_append_only ON {table};
DROP FUNCTION IF EXISTS {table}_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(CREATE.format(table=table), params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(DROP.format(table=table), params=None)


class Migration(migrations.Migration):
    dependencies = [("exchange", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
