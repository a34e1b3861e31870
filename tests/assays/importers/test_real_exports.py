"""Every file of the shared folder of real instrument exports, read in place.

The folder sits beside the checkout (../shared/icpms-real) and is never copied into the project: the licences of
those files do not allow it. Without it the tests skip. Batch-result exports must parse with the analytes and
row types they hold; the time-resolved Qtegra file and the lab's side files (ISTD map, calibration levels) are
not run exports and must be refused with a message that says so.
"""

from decimal import Decimal
from pathlib import Path

import pytest

from assays.importers import ImportRejected, ParsedRun, Qualifier, RowType, parse

REAL = Path(__file__).resolve().parents[3] / ".." / "shared" / "icpms-real"
REE = {"La", "Ce", "Pr", "Nd", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu"}


def real(name: str) -> ParsedRun:
    return parse(read(name), filename=name)


def read(name: str) -> bytes:
    if not REAL.is_dir():
        pytest.skip(f"the real exports are not at {REAL} (they live beside the checkout, not in it)")
    return (REAL / name).read_bytes()


def analytes(run: ParsedRun) -> set[str]:
    return {reading.analyte for reading in run.readings}


def row_types(run: ParsedRun) -> set[RowType]:
    return {reading.row_type for reading in run.readings}


def check_agilent_french_csv(run: ParsedRun) -> None:
    assert run.format == "agilent_masshunter"
    assert {"Cu"} | REE <= analytes(run)
    assert {RowType.SAMPLE, RowType.CAL_BLANK, RowType.CAL_STD} <= row_types(run)
    assert [label.split()[1] for label in run.internal_standards] == ["Sc", "In"]
    # 19/12/2018: French, day-first.
    assert {reading.acquired_at.date().isoformat() for reading in run.readings} == {"2018-12-19"}
    censored = [reading for reading in run.readings if reading.qualifier is Qualifier.BELOW_DL]
    assert censored and all(reading.value is None for reading in censored)


def check_agilent_total_dilution(run: ParsedRun) -> None:
    assert run.sheet == "Sheet1"
    assert {"Cu", "As", "Pb"} <= analytes(run)
    assert {RowType.ICV, RowType.CCB, RowType.METHOD_BLANK, RowType.DUPLICATE, RowType.SPIKE} <= row_types(run)
    sodium = next(r for r in run.readings if r.data_file == "032SMPL.d" and r.analyte == "Na")
    # Conc. is already corrected: 65579.5 ppb at Total Dil. 100 (Meas. Conc. 655.79).
    assert (round(sodium.value, 1), sodium.dilution_factor) == (Decimal("65579.5"), Decimal("100"))
    assert all(r.rejected for r in run.readings if r.data_file == "008CALS.d")
    assert any(r.qualifier is Qualifier.OVER_RANGE for r in run.readings)


def check_agilent_mercury(run: ParsedRun) -> None:
    assert {(r.isotope, r.mode) for r in run.readings} == {
        (mass, mode) for mass in ("200", "201", "202") for mode in ("Hg No Gas", "Hg He")
    }
    assert {r.row_type for r in run.readings if r.vendor_type in ("QC1", "QC2")} == {RowType.CCV}
    assert {r.row_type for r in run.readings if r.sample_name == "rinse"} == {RowType.OTHER}


def check_syngistix(run: ParsedRun) -> None:
    # "Concentrations" was edited by hand for a test suite (its sample ids and some values no longer match
    # "Unfactored Concentrations"), so the importer reads the factored sheet that agrees with it.
    assert (run.format, run.sheet) == ("perkinelmer_syngistix", " Org Concentrations")
    # Both stacked blocks: the multi-element one and the rare-earth one.
    assert {"Cu", "Zn", "La", "Ce", "Lu"} <= analytes(run)
    # The factored sheet's values, as contents of the solid: the CRMs and samples were prepared at ~199.4 mL/g.
    silver = next(r for r in run.readings if r.sample_name == "Oreas 24b" and r.analyte == "Ag")
    assert (silver.value, silver.unit, silver.basis) == (Decimal("1.50694863922671"), "mg/kg", "solid")
    # Standards and blanks were not factored: they stay solution concentrations.
    standard = next(r for r in run.readings if r.sample_name == "STD 500 PPb" and r.analyte == "Ag")
    assert (standard.unit, standard.basis) == ("mg/L", "solution")
    with pytest.raises(ImportRejected, match="DU-0001"):
        parse(read("perkinelmer_syngistix_nexion350x_workbook__sheets_flattened.csv"), sheet="Concentrations")
    original = run
    crms = {r.crm_name for r in original.readings if r.row_type is RowType.CRM}
    assert crms == {"OREAS 24b", "OREAS 45d", "OREAS 700", "OREAS 923", "OREAS 600", "AMIS0682", "AMIS0683"}
    assert {r.duplicate_of for r in original.readings if r.sample_name == "AMIS0682-01D"} == {"AMIS0682-01"}
    assert {r.row_type for r in original.readings if r.sample_name in ("R. Blk", "rBLK")} == {RowType.METHOD_BLANK}
    # The one saturated reading.
    assert any(r.qualifier is Qualifier.OVER_RANGE for r in original.readings)


def check_winlab(run: ParsedRun) -> None:
    assert run.format == "perkinelmer_winlab"
    assert analytes(run) == {"Au", "Fe"}
    assert {r.crm_name for r in run.readings if r.sample_name == "ORREAS - 600"} == {"OREAS 600"}
    assert {r.crm_name for r in run.readings if r.row_type is RowType.CRM} == {"OREAS 600", "OREAS 45d", "OREAS 401"}
    assert any(r.negative for r in run.readings)


def check_qtegra_semicolon(run: ParsedRun) -> None:
    assert run.format == "thermo_qtegra"
    assert analytes(run) == {"Be", "Fe", "K", "Ca", "Ti", "Al", "Mg", "Na"}
    assert {r.unit for r in run.readings} == {"ppm"}
    assert {RowType.CAL_BLANK, RowType.CAL_STD, RowType.SAMPLE} <= row_types(run)


def check_qtegra_tab(run: ParsedRun) -> None:
    assert analytes(run) == {"Fe"}
    assert [label.split()[0] for label in run.internal_standards] == ["Sc"]
    assert all(r.detection_limit is not None for r in run.readings if r.row_type is RowType.SAMPLE)
    assert any(r.qualifier is Qualifier.NOT_REPORTED for r in run.readings)


BATCH_EXPORTS = {
    "agilent_masshunter_7900_batch_semicolon_FR__truncated60rows.csv": check_agilent_french_csv,
    "agilent_masshunter_batch_totaldil_20200713.xlsx": check_agilent_total_dilution,
    "agilent_masshunter_7700x_Hg_water_extraction.xlsx": check_agilent_mercury,
    "perkinelmer_syngistix_nexion350x_workbook__sheets_flattened.csv": check_syngistix,
    "perkinelmer_winlab32_optima8300_Au_oreas.csv": check_winlab,
    "thermo_qtegra_icpoes_export_semicolon.csv": check_qtegra_semicolon,
    "thermo_qtegra_icpoes_export_tab_with_LOD_BEC.csv": check_qtegra_tab,
}
NOT_RUN_EXPORTS = {
    "thermo_qtegra_icpms_timeresolved_rows.csv": "time-resolved",
    "agilent_masshunter_7900_istd_map.csv": "no known export layout",
    "agilent_masshunter_7900_calstd_levels.csv": "no known export layout",
}


@pytest.mark.parametrize("name", BATCH_EXPORTS)
def test_a_batch_export_parses(name):
    BATCH_EXPORTS[name](real(name))


@pytest.mark.parametrize("name", NOT_RUN_EXPORTS)
def test_a_file_that_is_not_a_run_export_is_refused(name):
    with pytest.raises(ImportRejected) as rejected:
        real(name)
    assert NOT_RUN_EXPORTS[name] in str(rejected.value)


def test_every_file_of_the_folder_is_covered():
    read("PROVENANCE.md")
    exports = {path.name for path in REAL.iterdir() if path.suffix in (".csv", ".xlsx")}
    # A file added to the folder needs an expectation here.
    assert exports == set(BATCH_EXPORTS) | set(NOT_RUN_EXPORTS)
