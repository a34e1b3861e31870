from django.db import migrations


def create_broker_role(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.get_or_create(name="broker")


class Migration(migrations.Migration):
    dependencies = [("lims", "0002_roles")]
    operations = [migrations.RunPython(create_broker_role, migrations.RunPython.noop)]
