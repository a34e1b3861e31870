"""Names in Russian and Kazakh (lims.lib.translated) of analytes, methods and panels: the fields, and
the names of the rows 0002 seeded (every element, moisture, the five methods, the two export
panels). A name someone already filled in (in the admin) is kept."""

from django.db import migrations, models

# symbol: (Russian, Kazakh). Chemical element names as the periodic tables of each language print them.
ANALYTES = {
    "H": ("Водород", "Сутек"), "He": ("Гелий", "Гелий"), "Li": ("Литий", "Литий"),
    "Be": ("Бериллий", "Бериллий"), "B": ("Бор", "Бор"), "C": ("Углерод", "Көміртек"),
    "N": ("Азот", "Азот"), "O": ("Кислород", "Оттек"), "F": ("Фтор", "Фтор"), "Ne": ("Неон", "Неон"),
    "Na": ("Натрий", "Натрий"), "Mg": ("Магний", "Магний"), "Al": ("Алюминий", "Алюминий"),
    "Si": ("Кремний", "Кремний"), "P": ("Фосфор", "Фосфор"), "S": ("Сера", "Күкірт"),
    "Cl": ("Хлор", "Хлор"), "Ar": ("Аргон", "Аргон"), "K": ("Калий", "Калий"), "Ca": ("Кальций", "Кальций"),
    "Sc": ("Скандий", "Скандий"), "Ti": ("Титан", "Титан"), "V": ("Ванадий", "Ванадий"), "Cr": ("Хром", "Хром"),
    "Mn": ("Марганец", "Марганец"), "Fe": ("Железо", "Темір"), "Co": ("Кобальт", "Кобальт"),
    "Ni": ("Никель", "Никель"), "Cu": ("Медь", "Мыс"), "Zn": ("Цинк", "Мырыш"), "Ga": ("Галлий", "Галлий"),
    "Ge": ("Германий", "Германий"), "As": ("Мышьяк", "Мышьяк"), "Se": ("Селен", "Селен"), "Br": ("Бром", "Бром"),
    "Kr": ("Криптон", "Криптон"), "Rb": ("Рубидий", "Рубидий"), "Sr": ("Стронций", "Стронций"),
    "Y": ("Иттрий", "Иттрий"), "Zr": ("Цирконий", "Цирконий"), "Nb": ("Ниобий", "Ниобий"),
    "Mo": ("Молибден", "Молибден"), "Tc": ("Технеций", "Технеций"), "Ru": ("Рутений", "Рутений"),
    "Rh": ("Родий", "Родий"), "Pd": ("Палладий", "Палладий"), "Ag": ("Серебро", "Күміс"),
    "Cd": ("Кадмий", "Кадмий"), "In": ("Индий", "Индий"), "Sn": ("Олово", "Қалайы"), "Sb": ("Сурьма", "Сүрме"),
    "Te": ("Теллур", "Теллур"), "I": ("Иод", "Йод"), "Xe": ("Ксенон", "Ксенон"), "Cs": ("Цезий", "Цезий"),
    "Ba": ("Барий", "Барий"), "La": ("Лантан", "Лантан"), "Ce": ("Церий", "Церий"),
    "Pr": ("Празеодим", "Празеодим"), "Nd": ("Неодим", "Неодим"), "Pm": ("Прометий", "Прометий"),
    "Sm": ("Самарий", "Самарий"), "Eu": ("Европий", "Европий"), "Gd": ("Гадолиний", "Гадолиний"),
    "Tb": ("Тербий", "Тербий"), "Dy": ("Диспрозий", "Диспрозий"), "Ho": ("Гольмий", "Гольмий"),
    "Er": ("Эрбий", "Эрбий"), "Tm": ("Тулий", "Тулий"), "Yb": ("Иттербий", "Иттербий"),
    "Lu": ("Лютеций", "Лютеций"), "Hf": ("Гафний", "Гафний"), "Ta": ("Тантал", "Тантал"),
    "W": ("Вольфрам", "Вольфрам"), "Re": ("Рений", "Рений"), "Os": ("Осмий", "Осмий"), "Ir": ("Иридий", "Иридий"),
    "Pt": ("Платина", "Платина"), "Au": ("Золото", "Алтын"), "Hg": ("Ртуть", "Сынап"), "Tl": ("Таллий", "Таллий"),
    "Pb": ("Свинец", "Қорғасын"), "Bi": ("Висмут", "Висмут"), "Po": ("Полоний", "Полоний"), "At": ("Астат", "Астат"),
    "Rn": ("Радон", "Радон"), "Fr": ("Франций", "Франций"), "Ra": ("Радий", "Радий"), "Ac": ("Актиний", "Актиний"),
    "Th": ("Торий", "Торий"), "Pa": ("Протактиний", "Протактиний"), "U": ("Уран", "Уран"),
    "H2O": ("Влажность", "Ылғалдылық"),
}  # fmt: skip

# code: (Russian, Kazakh), as the laboratory's procedures would title them.
METHODS = {
    "icpms-4acid": ("ИСП-МС после разложения четырьмя кислотами", "Төрт қышқылмен ыдыратудан кейін ИСП-МС"),
    "icpms-aqua-regia": ("ИСП-МС после разложения царской водкой", "Патша арағымен ыдыратудан кейін ИСП-МС"),
    "fire-assay": (
        "Пробирный анализ с гравиметрическим окончанием (золото, серебро)",
        "Гравиметриялық аяқтаумен пробирлік талдау (алтын, күміс)",
    ),
    "titration-cu": ("Титриметрическое определение меди", "Мысты титриметриялық анықтау"),
    "moisture": (
        "Влажность (гравиметрия, потеря массы при высушивании)",
        "Ылғалдылық (гравиметрия, кептіргендегі масса шығыны)",
    ),
}

PANELS = {
    "copper-concentrate-export": (
        "Экспортный перечень показателей: концентрат медный",
        "Экспорттық талдау панелі: мыс концентраты",
    ),
    "copper-ore-export": ("Экспортный перечень показателей: руда медная", "Экспорттық талдау панелі: мыс кені"),
}


def forwards(apps, schema_editor):
    for model, key, names in (("Analyte", "symbol", ANALYTES), ("Method", "code", METHODS), ("Panel", "code", PANELS)):
        rows = apps.get_model("assays", model).objects
        for value, (ru, kk) in names.items():
            rows.filter(**{key: value, "name_ru": ""}).update(name_ru=ru)
            rows.filter(**{key: value, "name_kk": ""}).update(name_kk=kk)


def backwards(apps, schema_editor):
    """Nothing: the fields go with the migration."""


def fields(model, length):
    return [
        migrations.AddField(
            model_name=model,
            name="name_ru",
            field=models.CharField(blank=True, max_length=length, verbose_name="name in Russian"),
        ),
        migrations.AddField(
            model_name=model,
            name="name_kk",
            field=models.CharField(blank=True, max_length=length, verbose_name="name in Kazakh"),
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [("assays", "0014_preparationstep_append_only_trigger")]

    operations = [
        *fields("analyte", 60),
        *fields("method", 160),
        *fields("panel", 120),
        migrations.RunPython(forwards, backwards),
    ]
