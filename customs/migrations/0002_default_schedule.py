"""The default payable schedule, used for any lot whose contract has no schedule of its own
(REFERENCE.md, "Payable value of copper concentrate": typical terms, not verified per contract).
Editable afterwards in the admin and the API.

- Cu: 96.5 % of the content, at least 1 unit (1 %) deducted.
- Au: 90 % of the content, paid from 1 g/dmt; Ag: 90 %, paid from 30 g/dmt.
- TREO: 100 % of the contained rare-earth oxides. Smelters seldom pay for them, but customs values
  what leaves the country, and rare earths riding along unpaid is the undervaluation this exists to
  catch. A contract's own schedule may leave them out.
- Penalties, pro rata, per dry tonne: As above 0.2 %, USD 3.00 per 0.1 %; Sb above 500 ppm and Bi
  above 200 ppm, USD 3.00 per 100 ppm; Hg above 10 ppm, USD 3.00 per 10 ppm.
- No treatment or refining charge: they are negotiated per contract.
"""

from decimal import Decimal

from django.db import migrations

PAYABLE = [
    # commodity, unit, payable %, minimum deduction, minimum payable content
    ("Cu", "%", "96.5", "1", None),
    ("Au", "g/t", "90", None, "1"),
    ("Ag", "g/t", "90", None, "30"),
    ("TREO", "ppm", "100", None, None),
]
PENALTIES = [
    # commodity, unit, free allowance, per step of, USD per dmt per step
    ("As", "%", "0.2", "0.1", "3.00"),
    ("Sb", "ppm", "500", "100", "3.00"),
    ("Bi", "ppm", "200", "100", "3.00"),
    ("Hg", "ppm", "10", "10", "3.00"),
]


def _decimal(text):
    return Decimal(text) if text is not None else None


def load(apps, schema_editor):
    PayableTerm = apps.get_model("customs", "PayableTerm")
    for commodity, unit, pct, deduction, minimum in PAYABLE:
        PayableTerm.objects.get_or_create(
            contract_reference="", kind="payable", commodity=commodity,
            defaults={"unit": unit, "payable_pct": Decimal(pct), "min_deduction": _decimal(deduction),
                      "min_content": _decimal(minimum), "currency": "USD"},
        )  # fmt: skip
    for commodity, unit, free, step, rate in PENALTIES:
        PayableTerm.objects.get_or_create(
            contract_reference="", kind="penalty", commodity=commodity,
            defaults={"unit": unit, "free_allowance": Decimal(free), "step": Decimal(step), "rate": Decimal(rate),
                      "currency": "USD"},
        )  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [("customs", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
