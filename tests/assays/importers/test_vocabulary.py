import pytest

from assays.importers import KNOWN_CRMS, RowType
from assays.importers.base import RunRow
from assays.importers.vocabulary import AGILENT_TYPES, NO_TYPES, Classifier, CrmMatcher, name_key


@pytest.fixture(scope="module")
def crms():
    return CrmMatcher(KNOWN_CRMS)


@pytest.mark.parametrize(
    ("written", "crm"),
    [
        ("OREAS 600", "OREAS 600"),
        ("ORREAS - 600", "OREAS 600"),  # a doubled letter in the producer's name
        ("oreas 45D", "OREAS 45d"),  # case
        ("OREAS45D", "OREAS 45d"),  # no space
        ("CCU 1f", "CCU-1f"),  # space for hyphen
        ("ccu_1F", "CCU-1f"),
        ("Oreas 24b", "OREAS 24b"),
        ("OREAS 502c", "OREAS 502c"),
        ("AMIS 0298", "AMIS0298"),
        ("AMIS0682-03", "AMIS0682"),  # a numbered aliquot of the CRM
        ("OREA 991", "OREAS 991"),  # a missing letter
    ],
)
def test_crm_names_match_tolerantly(crms, written, crm):
    assert crms.match(written) == crm


@pytest.mark.parametrize(
    "written",
    [
        "OREAS-24b-extra",  # more than a numbered aliquot after the code
        "OREAS 24",  # the code must be whole: 24 is not 24b
        "OREAS 40",  # nor is 40 the 401 or 45d
        "OREAS 6000",
        "ORREEAS 600",  # two typos in six letters is past the 0.25 threshold
        "CCV 1f",  # a check standard, one letter away from CCU over three letters
        "AMIS0682-01D",  # a duplicate marker is not an aliquot number (the classifier handles it)
        "KZ-CU-0001",
        "",
    ],
)
def test_near_misses_do_not_match(crms, written):
    assert crms.match(written) == ""


def test_the_lab_can_name_its_own_crms():
    matcher = CrmMatcher(["GBM908-10", "CDN-CM-36"])
    assert matcher.match("GBM 908-10") == "GBM908-10"
    # "-10" is part of that CRM's name, not an aliquot.
    assert matcher.match("GBM 908") == ""
    # A name outside the usual pattern still matches on case and separators.
    assert matcher.match("cdn cm 36") == "CDN-CM-36"
    assert matcher.match("OREAS 600") == ""


def classify(names, types=NO_TYPES, vendor_types=None):
    """Row types of a file with these sample names (and vendor types), as (type, crm, original) per name."""
    rows = [RunRow(number, name, vendor_type=(vendor_types or {}).get(name, "")) for number, name in enumerate(names)]
    Classifier(KNOWN_CRMS).classify_rows(rows, types)
    return {row.sample_name: (row.row_type, row.crm_name, row.duplicate_of) for row in rows}


@pytest.mark.parametrize(
    ("name", "row_type"),
    [
        ("BLK", RowType.CAL_BLANK),
        ("BLANK", RowType.CAL_BLANK),
        ("Cal Blank 2", RowType.CAL_BLANK),
        ("matrix blank", RowType.CAL_BLANK),
        ("R. Blk", RowType.METHOD_BLANK),
        ("rBLK", RowType.METHOD_BLANK),
        ("Reagent blank", RowType.METHOD_BLANK),
        ("Method Blank", RowType.METHOD_BLANK),
        ("LRB 3", RowType.METHOD_BLANK),
        ("CCB", RowType.CCB),
        ("ICV", RowType.ICV),
        ("CCV 2", RowType.CCV),
        ("STD 250 PPb", RowType.CAL_STD),
        ("STD0.03", RowType.CAL_STD),
        ("Standard 4", RowType.CAL_STD),
        ("500ppb", RowType.CAL_STD),
        ("KZ-CU-0002 SPK", RowType.SPIKE),
        ("rinse", RowType.OTHER),
        ("KZ-CU-0001", RowType.SAMPLE),
        ("blank Table ICP", RowType.SAMPLE),  # a description, not a blank's name
        ("CARRIERS1030-40200ppm", RowType.SAMPLE),
        ("Stdev check", RowType.SAMPLE),
    ],
)
def test_names_classify_rows_without_a_type_column(name, row_type):
    assert classify([name])[name][0] is row_type


def test_duplicates_name_their_original():
    classified = classify(["KZ-CU-0001", "KZ-CU-0001D", "S-12 DUP", "KZ-CU-0002-dup", "X-7D"])
    assert classified["KZ-CU-0001D"] == (RowType.DUPLICATE, "", "KZ-CU-0001")
    # An explicit marker names the original even when it is not in the file.
    assert classified["S-12 DUP"] == (RowType.DUPLICATE, "", "S-12")
    assert classified["KZ-CU-0002-dup"] == (RowType.DUPLICATE, "", "KZ-CU-0002")
    # A trailing D alone is part of a name unless the name without it is in the file.
    assert classified["X-7D"] == (RowType.SAMPLE, "", "")


def test_a_duplicate_finds_its_original_as_written():
    classified = classify(["ORREAS - 600", "ORREAS-DPL 600"])
    assert classified["ORREAS-DPL 600"] == (RowType.CRM, "OREAS 600", "ORREAS - 600")


def test_a_crm_code_ending_in_d_is_not_a_duplicate():
    classified = classify(["OREAS 45", "OREAS 45d"])
    assert classified["OREAS 45d"] == (RowType.CRM, "OREAS 45d", "")


def test_the_vendor_type_decides_except_for_crms():
    vendor_types = {"STD 5": "BLK", "OREAS 991": "QCS", "KZ-CU-0003": "SQStd", "Blank": "Sample", "7/9/20": "DUP"}
    classified = classify(list(vendor_types), AGILENT_TYPES, vendor_types)
    # The instrument's type beats the look of the name...
    assert classified["STD 5"][0] is RowType.CCB
    # ...except that a CRM is a CRM whatever its type.
    assert classified["OREAS 991"] == (RowType.CRM, "OREAS 991", "")
    assert classified["KZ-CU-0003"][0] is RowType.OTHER
    # "Sample" is MassHunter's default: the name decides.
    assert classified["Blank"][0] is RowType.CAL_BLANK
    # A DUP whose original cannot be told from the name.
    assert classified["7/9/20"] == (RowType.DUPLICATE, "", "")


def test_an_unknown_vendor_type_is_other():
    classified = classify(["KZ-CU-0004"], AGILENT_TYPES, {"KZ-CU-0004": "Calibrant X"})
    assert classified["KZ-CU-0004"][0] is RowType.OTHER


def test_name_keys_ignore_case_and_separators():
    assert name_key("R. Blk") == name_key("rBLK") == "rblk"
    assert name_key("ORREAS - 600") == "orreas600"
