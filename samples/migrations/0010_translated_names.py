"""Materials' names in Russian and Kazakh (lims.lib.translated): the fields, and the names of the
materials 0002 seeded. A name someone already filled in (in the admin) is kept."""

from django.db import migrations, models

NAMES = {
    # code: (Russian, Kazakh)
    "copper-concentrate": ("Концентрат медный", "Мыс концентраты"),
    "copper-ore": ("Руда медная", "Мыс кені"),
    "gold-ore": ("Руда золотая", "Алтын кені"),
    "silver-ore": ("Руда серебряная", "Күміс кені"),
    "lead-concentrate": ("Концентрат свинцовый", "Қорғасын концентраты"),
    "zinc-concentrate": ("Концентрат цинковый", "Мырыш концентраты"),
    "molybdenum-concentrate": ("Концентрат молибденовый", "Молибден концентраты"),
    "rare-earth-concentrate": ("Концентрат редкоземельный", "Сирек жер концентраты"),
}


def forwards(apps, schema_editor):
    Material = apps.get_model("samples", "Material")
    for code, (ru, kk) in NAMES.items():
        Material.objects.filter(code=code, name_ru="").update(name_ru=ru)
        Material.objects.filter(code=code, name_kk="").update(name_kk=kk)


def backwards(apps, schema_editor):
    """Nothing: the fields go with the migration."""


class Migration(migrations.Migration):
    dependencies = [("samples", "0009_merge_0008_custody_recall_0008_due_date_priority")]

    operations = [
        migrations.AddField(
            model_name="material",
            name="name_ru",
            field=models.CharField(blank=True, max_length=120, verbose_name="name in Russian"),
        ),
        migrations.AddField(
            model_name="material",
            name="name_kk",
            field=models.CharField(blank=True, max_length=120, verbose_name="name in Kazakh"),
        ),
        migrations.RunPython(forwards, backwards),
    ]
