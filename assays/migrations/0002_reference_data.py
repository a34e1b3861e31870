"""Reference data the laboratory starts with: analytes (every element, plus moisture), methods and
their performance, the export panels of copper concentrate and ore, and the certified reference
materials of ../shared/REFERENCE.md with their published values and uncertainty conventions.
All of it is editable afterwards in the admin and the API."""

from decimal import Decimal

from django.db import migrations

ELEMENTS = (
    "H Hydrogen,He Helium,Li Lithium,Be Beryllium,B Boron,C Carbon,N Nitrogen,O Oxygen,F Fluorine,Ne Neon,"
    "Na Sodium,Mg Magnesium,Al Aluminium,Si Silicon,P Phosphorus,S Sulfur,Cl Chlorine,Ar Argon,K Potassium,"
    "Ca Calcium,Sc Scandium,Ti Titanium,V Vanadium,Cr Chromium,Mn Manganese,Fe Iron,Co Cobalt,Ni Nickel,"
    "Cu Copper,Zn Zinc,Ga Gallium,Ge Germanium,As Arsenic,Se Selenium,Br Bromine,Kr Krypton,Rb Rubidium,"
    "Sr Strontium,Y Yttrium,Zr Zirconium,Nb Niobium,Mo Molybdenum,Tc Technetium,Ru Ruthenium,Rh Rhodium,"
    "Pd Palladium,Ag Silver,Cd Cadmium,In Indium,Sn Tin,Sb Antimony,Te Tellurium,I Iodine,Xe Xenon,Cs Caesium,"
    "Ba Barium,La Lanthanum,Ce Cerium,Pr Praseodymium,Nd Neodymium,Pm Promethium,Sm Samarium,Eu Europium,"
    "Gd Gadolinium,Tb Terbium,Dy Dysprosium,Ho Holmium,Er Erbium,Tm Thulium,Yb Ytterbium,Lu Lutetium,"
    "Hf Hafnium,Ta Tantalum,W Tungsten,Re Rhenium,Os Osmium,Ir Iridium,Pt Platinum,Au Gold,Hg Mercury,"
    "Tl Thallium,Pb Lead,Bi Bismuth,Po Polonium,At Astatine,Rn Radon,Fr Francium,Ra Radium,Ac Actinium,"
    "Th Thorium,Pa Protactinium,U Uranium"
)
RARE_EARTHS = ["La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Sc", "Y"]
MOISTURE = ("H2O", "Moisture")

METHODS = [
    # code, name, technique, standard, imported
    ("icpms-4acid", "ICP-MS after four-acid digestion", "icp_ms", "", True),
    ("icpms-aqua-regia", "ICP-MS after aqua-regia digestion", "icp_ms", "", True),
    ("fire-assay", "Fire assay with gravimetric finish", "fire_assay", "ISO 10378", False),
    ("titration-cu", "Copper by titration", "titration", "ISO 10258", False),
    ("moisture", "Moisture by mass loss on drying", "gravimetric", "ISO 10251", False),
]

TRACE = ["As", "Sb", "Bi", "Hg", "Cd", "Pb", "Zn", "Se", "Te", "Mo", "Re", "Ni", "Co", "In", "Ga", "Ge"]
# Contents usually of whole per cent in concentrate are reported in %.
MAJOR_TRACE = {"As", "Pb", "Zn"}


def panel_entries():
    """(symbol, method, unit, reporting limit, decimals, basis) of the export panel."""
    yield "Cu", "titration-cu", "%", "0.01", 2, "dry"
    yield "Au", "fire-assay", "g/t", "0.05", 2, "dry"
    yield "Ag", "fire-assay", "g/t", "1", 1, "dry"
    yield "H2O", "moisture", "%", "0.01", 2, "as_received"
    for symbol in [s for s in RARE_EARTHS if s != "Pm"]:
        yield symbol, "icpms-4acid", "ppm", "0.5" if symbol == "Sc" else "0.05", 2, "dry"
    for symbol in TRACE:
        if symbol in MAJOR_TRACE:
            yield symbol, "icpms-4acid", "%", "0.001", 3, "dry"
        else:
            yield symbol, "icpms-4acid", "ppm", "0.05", 2, "dry"


# Method performance: blank limits in ug/L of digest, expanded relative uncertainty (k=2) in %.
UNCERTAINTY = {"titration-cu": "0.5", "fire-assay": "5", "moisture": "2"}
ICPMS_UNCERTAINTY = "10"
ICPMS_BLANK_LIMIT = {"default": "0.05", "Cu": "1", "Zn": "1", "Pb": "0.5", "As": "0.5", "Ni": "0.5"}

CRMS = [
    # name, producer, matrix, basis, aliases, [(symbol, value, unit, uncertainty, convention)]
    (
        "CCU-1f", "CANMET (NRCan)", "Copper concentrate", "as_received", "CCU1f\nCCU-1F",
        [
            ("Cu", "23.33", "%", "0.08", "ci95"), ("Au", "19.08", "g/t", "0.43", "ci95"),
            ("Ag", "157.0", "g/t", "1.4", "ci95"), ("As", "0.0821", "%", None, ""), ("Sb", "85.5", "ppm", None, ""),
            ("Hg", "12.19", "ppm", None, ""), ("Cd", "110.2", "ppm", None, ""), ("Te", "49.9", "ppm", None, ""),
            ("Pb", "0.2095", "%", None, ""), ("Zn", "4.085", "%", None, ""),
        ],
    ),
    (
        "OREAS 991", "OREAS", "Cu-Au-Ag concentrate", "dry", "OREAS991",
        [("Cu", "20.66", "%", "0.053", "sd1"), ("Au", "47.04", "g/t", "0.22", "sd1"), ("Ag", "48.14", "g/t", "0.90", "sd1")],
    ),
    (
        "AMIS0298", "AMIS", "Cu-Au concentrate", "dry", "AMIS 0298",
        [
            ("Cu", "15.65", "%", "0.39", "sd2"), ("Au", "17.88", "g/t", "1.04", "sd2"),
            ("Ag", "346", "g/t", "39", "sd2"), ("As", "4.82", "%", None, ""), ("Sb", "3724", "ppm", None, ""),
        ],
    ),
    (
        "OREAS 502c", "OREAS", "Cu-Au-Mo ore", "dry", "OREAS502c",
        [
            ("Cu", "0.783", "%", "0.022", "sd1"), ("Ag", "0.779", "ppm", None, ""), ("La", "33.1", "ppm", None, ""),
            ("Ce", "67", "ppm", None, ""), ("Nd", "29.4", "ppm", None, ""), ("Eu", "1.36", "ppm", None, ""),
            ("Gd", "4.94", "ppm", None, ""), ("Dy", "4.45", "ppm", None, ""), ("Ho", "0.88", "ppm", None, ""),
            ("Er", "2.49", "ppm", None, ""), ("Lu", "0.35", "ppm", None, ""),
        ],
    ),
]  # fmt: skip

PANELS = [("copper-concentrate-export", "Copper concentrate export panel", "copper-concentrate"),
          ("copper-ore-export", "Copper ore export panel", "copper-ore")]  # fmt: skip


def load(apps, schema_editor):
    Analyte = apps.get_model("assays", "Analyte")
    Method = apps.get_model("assays", "Method")
    MethodAnalyte = apps.get_model("assays", "MethodAnalyte")
    Panel = apps.get_model("assays", "Panel")
    PanelEntry = apps.get_model("assays", "PanelEntry")
    Material = apps.get_model("samples", "Material")
    ReferenceMaterial = apps.get_model("assays", "ReferenceMaterial")
    CertifiedValue = apps.get_model("assays", "CertifiedValue")

    analytes = {}
    for item in ELEMENTS.split(","):
        symbol, name = item.split(" ", 1)
        analytes[symbol], _ = Analyte.objects.get_or_create(
            symbol=symbol, defaults={"name": name, "default_unit": "ppm", "is_rare_earth": symbol in RARE_EARTHS}
        )
    analytes["H2O"], _ = Analyte.objects.get_or_create(
        symbol=MOISTURE[0], defaults={"name": MOISTURE[1], "default_unit": "%"}
    )
    for symbol, unit in (("Cu", "%"), ("Au", "g/t"), ("Ag", "g/t")):
        Analyte.objects.filter(symbol=symbol).update(default_unit=unit)

    methods = {}
    for code, name, technique, standard, imported in METHODS:
        methods[code], _ = Method.objects.get_or_create(
            code=code, defaults={"name": name, "technique": technique, "standard": standard, "imported": imported}
        )

    for code, name, material_code in PANELS:
        material = Material.objects.get(code=material_code)
        panel, _ = Panel.objects.get_or_create(code=code, defaults={"name": name, "material": material})
        for position, (symbol, method, unit, limit, decimals, basis) in enumerate(panel_entries()):
            PanelEntry.objects.get_or_create(
                panel=panel,
                analyte=analytes[symbol],
                defaults={
                    "method": methods[method], "unit": unit, "reporting_limit": Decimal(limit),
                    "decimals": decimals, "basis": basis, "position": position,
                },
            )  # fmt: skip
            if method.startswith("icpms"):
                for icp in ("icpms-4acid", "icpms-aqua-regia"):
                    MethodAnalyte.objects.get_or_create(
                        method=methods[icp],
                        analyte=analytes[symbol],
                        defaults={
                            "blank_limit": Decimal(ICPMS_BLANK_LIMIT.get(symbol, ICPMS_BLANK_LIMIT["default"])),
                            "blank_unit": "ug/L",
                            "rel_uncertainty_pct": Decimal(ICPMS_UNCERTAINTY),
                        },
                    )
            else:
                MethodAnalyte.objects.get_or_create(
                    method=methods[method],
                    analyte=analytes[symbol],
                    defaults={"rel_uncertainty_pct": Decimal(UNCERTAINTY[method])},
                )

    for name, producer, matrix, basis, aliases, values in CRMS:
        crm, _ = ReferenceMaterial.objects.get_or_create(
            name=name, defaults={"producer": producer, "matrix": matrix, "basis": basis, "aliases": aliases}
        )
        for symbol, value, unit, uncertainty, convention in values:
            CertifiedValue.objects.get_or_create(
                reference_material=crm,
                analyte=analytes[symbol],
                defaults={
                    "value": Decimal(value), "unit": unit,
                    "uncertainty": Decimal(uncertainty) if uncertainty else None, "convention": convention,
                },
            )  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [("assays", "0001_initial"), ("samples", "0002_materials")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
