import json

from assays.importers import RowType, parse
from tests.assays.importers import fixture


def test_it_summarises_a_run():
    summary = parse(fixture("agilent_en.csv")).summary()
    assert summary == {
        "format": "agilent_masshunter",
        "sheet": "",
        # Measurements per type, not readings.
        "rows_by_type": {
            "cal_blank": 1,
            "cal_std": 2,
            "icv": 1,
            "ccv": 2,
            "ccb": 1,
            "method_blank": 1,
            "crm": 1,
            "duplicate": 1,
            "spike": 1,
            "sample": 2,
            "other": 1,
        },
        # Only SAMPLE rows, in file order.
        "sample_ids": ["KZ-CU-0001", "KZ-CU-0002"],
        "analytes": [
            {"analyte": "Cu", "isotope": "63", "mode": "He", "unit": "ppb"},
            {"analyte": "La", "isotope": "139", "mode": "No Gas", "unit": "ppb"},
            {"analyte": "Hg", "isotope": "200", "mode": "Hg No Gas", "unit": "ug/L"},
            {"analyte": "Hg", "isotope": "200", "mode": "Hg He", "unit": "ug/L"},
            {"analyte": "As", "isotope": "75->91", "mode": "O2", "unit": "ppb"},
        ],
        "censored": {"<": 15, ">": 0, "OR": 2, "NA": 6},
        "negative": 1,
        "readings": 70,
        "internal_standards": ["45 Sc ( ISTD ) [ He ]"],
    }
    # The service stores it as JSON.
    assert json.loads(json.dumps(summary)) == summary


def test_sample_ids_are_distinct():
    summary = parse(fixture("qtegra_semicolon.csv")).summary()
    # KZ-CU-0004 was measured twice.
    assert summary["sample_ids"] == ["KZ-CU-0004"]
    assert summary["rows_by_type"][RowType.SAMPLE] == 2
