"""Formulas are refused where a value belongs, in every format; text is data, kept exactly as written."""

from decimal import Decimal

import pytest

from assays.importers import ImportRejected, parse
from tests.assays.importers import fixture, reading, workbook


def test_a_formula_in_any_reader_s_value_cell_is_named_as_a_formula():
    # Syngistix reads its values through the shared cell reader: the formula is named where it is.
    data = fixture("syngistix_sheet.csv").replace(b"GEO 4-ACIDS.mth,12.5,", b"GEO 4-ACIDS.mth,=12.5,")
    with pytest.raises(ImportRejected) as rejected:
        parse(data)
    [problem] = rejected.value.problems
    assert problem.column == "Cu 63 (mg/L)"
    assert problem.message.startswith("“=12.5” would run as a spreadsheet formula")


def test_a_workbook_formula_in_a_name_cell_is_kept_as_text():
    data = workbook(
        {
            "Sheet1": [
                ["Sample", None, "63  Cu  [ He ] "],
                ["Type", "Sample Name", "Conc. [ ppb ]"],
                ["Sample", '=CONCAT("KZ-CU-",601)', 1.5],
                ["Sample", "-0.5 cm 2206_TAN 230110", -0.5],
            ]
        }
    )
    run = parse(data, filename="run.xlsx")
    assert reading(run, '=CONCAT("KZ-CU-",601)', "Cu").value == Decimal("1.5")
    assert reading(run, "-0.5 cm 2206_TAN 230110", "Cu").value == Decimal("-0.5")
