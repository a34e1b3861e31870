from django.db import migrations

MATERIALS = [
    ("copper-concentrate", "Copper concentrate", "2603"),
    ("copper-ore", "Copper ore", "2603"),
    ("gold-ore", "Gold ore", "2616"),
    ("silver-ore", "Silver ore", "2616"),
    ("lead-concentrate", "Lead concentrate", "2607"),
    ("zinc-concentrate", "Zinc concentrate", "2608"),
    ("molybdenum-concentrate", "Molybdenum concentrate", "2613"),
    ("rare-earth-concentrate", "Rare-earth concentrate", "2846"),
]


def load(apps, schema_editor):
    Material = apps.get_model("samples", "Material")
    for code, name, heading in MATERIALS:
        Material.objects.get_or_create(code=code, defaults={"name": name, "hs_heading": heading})


class Migration(migrations.Migration):
    dependencies = [("samples", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
