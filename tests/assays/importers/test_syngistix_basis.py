"""The basis of a Syngistix report's values, decided from the evidence in the workbook, never from the label.

Syngistix keeps the `(mg/L)` label on its factored sheets ("Concentrations", "Org Concentrations") even where it
applied the sample weight and volume. A report lab would send: the factored sheet beside "Unfactored
Concentrations", the calibration rows unfactored (factor 1), the samples and CRMs factored by volume/mass.
"""

import io
from decimal import Decimal

import openpyxl
import pytest

from assays.importers import SOLID, SOLUTION, ImportRejected, RowType, parse

HEADER = [" ", "Sample Id", "R", "Acquisition Time", "QC Status", "Dataset File", "Method File"]
ANALYTES = ["Cu 63\n(mg/L)", "La 139\n(mg/L)", "Au 197\n(mg/L)"]
# (index, name, time, unfactored values): 0.2507 g made up to 50 mL, so the factor is 199.44...
ROWS = [
    ("1", "BLK", "13/04/24 09:00:05 AM", ["", "", ""]),
    ("2", "STD 0.25 ppm", "13/04/24 09:03:10 AM", ["0.25", "0.25", "0.25"]),
    ("3", "OREAS 502c", "13/04/24 09:09:41 AM", ["39.2610", "0.16596", "0.0024"]),
    ("4", "KZ-CU-0001", "13/04/24 09:12:52 AM", ["1170.05", "0.0501", "0.0261"]),
]
FACTOR = Decimal(50) / Decimal("0.2507")


def factored(values: list[str], row_factor: Decimal) -> list[str]:
    return [f"{Decimal(v) * row_factor:.10g}" if v else "" for v in values]


def workbook(*, concentrations=True, unfactored=True, tamper=None, factor=FACTOR) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)

    def sheet(title, transform):
        ws = book.create_sheet(title)
        ws.append(HEADER + ANALYTES)
        for index, name, time, values in ROWS:
            prepared = name.startswith(("OREAS", "KZ"))
            ws.append([index, name, "", time, "", f"C:\\Data\\{name}.1", "GEO.mth", *transform(values, prepared)])

    sheet("Raw Intensities", lambda values, prepared: ["1000" for _ in values])
    if concentrations:

        def factored_values(values, prepared):
            out = factored(values, factor if prepared else Decimal(1))
            if tamper and prepared:
                out[0] = tamper
            return out

        sheet("Concentrations", factored_values)
    if unfactored:
        sheet("Unfactored Concentrations", lambda values, prepared: values)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def by_name(run, name, analyte):
    return next(r for r in run.readings if r.sample_name == name and r.analyte == analyte)


def test_factored_values_are_read_as_contents_of_the_sample():
    run = parse(workbook(), filename="report.xlsx")
    assert run.sheet == "Concentrations"
    copper = by_name(run, "KZ-CU-0001", "Cu")
    # The value as the sheet states it, in mg/kg of the solid: never multiplied again by mass and volume.
    assert copper.value == Decimal(f"{Decimal('1170.05') * FACTOR:.10g}")
    assert (copper.unit, copper.basis) == ("mg/kg", SOLID)
    assert "199.442" in copper.note  # 50 mL / 0.2507 g
    crm = by_name(run, "OREAS 502c", "La")
    assert (crm.row_type, crm.unit, crm.basis) == (RowType.CRM, "mg/kg", SOLID)


def test_rows_the_sheet_did_not_factor_stay_solution_concentrations():
    run = parse(workbook(), filename="report.xlsx")
    standard = by_name(run, "STD 0.25 ppm", "Cu")
    assert (standard.value, standard.unit, standard.basis) == (Decimal("0.25"), "mg/L", SOLUTION)


def test_the_unfactored_sheet_is_solution_concentrations():
    run = parse(workbook(), filename="report.xlsx", sheet="Unfactored Concentrations")
    copper = by_name(run, "KZ-CU-0001", "Cu")
    assert (copper.value, copper.unit, copper.basis) == (Decimal("1170.05"), "mg/L", SOLUTION)


def test_a_factored_sheet_without_its_unfactored_twin_is_refused_naming_the_sheet():
    with pytest.raises(ImportRejected) as refused:
        parse(workbook(unfactored=False), filename="report.xlsx")
    message = str(refused.value)
    assert "“Concentrations”" in message and "Unfactored Concentrations" in message


def test_a_row_whose_values_are_not_one_multiple_is_refused():
    # Someone edited one cell of the factored sheet: the ratios no longer agree.
    with pytest.raises(ImportRejected) as refused:
        parse(workbook(tamper="5.5"), filename="report.xlsx")
    assert "not one multiple" in str(refused.value)


def test_a_factor_below_one_is_no_volume_per_mass():
    with pytest.raises(ImportRejected) as refused:
        parse(workbook(factor=Decimal("0.005")), filename="report.xlsx")
    assert "no volume per sample mass" in str(refused.value)


def test_a_lone_sheet_says_its_basis_is_unknown():
    # One sheet saved as CSV: the mg/L label alone proves nothing; the import refuses it (tests of run_import).
    book = openpyxl.load_workbook(io.BytesIO(workbook()))
    text = io.StringIO()
    for row in book["Concentrations"].iter_rows(values_only=True):
        text.write(",".join(f'"{cell}"' if cell is not None else "" for cell in row) + "\n")
    run = parse(text.getvalue().encode(), filename="concentrations.csv")
    assert {r.basis for r in run.readings} == {""}


def test_a_sheet_that_does_not_pair_is_passed_over_for_one_that_does():
    # "Concentrations" was edited by hand (its sample ids no longer match); " Org Concentrations" is the original.
    book = openpyxl.load_workbook(io.BytesIO(workbook()))
    book["Concentrations"]["B4"] = "DU-0001"
    original = book.copy_worksheet(book["Unfactored Concentrations"])
    original.title = " Org Concentrations"
    for row in original.iter_rows(min_row=2):
        if str(row[1].value).startswith(("OREAS", "KZ")):
            for cell in row[7:]:
                if cell.value:
                    cell.value = f"{Decimal(str(cell.value)) * FACTOR:.10g}"
    buffer = io.BytesIO()
    book.save(buffer)
    run = parse(buffer.getvalue(), filename="report.xlsx")
    assert run.sheet.strip() == "Org Concentrations"
    assert by_name(run, "KZ-CU-0001", "Cu").basis == SOLID
    # Named explicitly, the edited sheet is refused rather than replaced.
    with pytest.raises(ImportRejected) as refused:
        parse(buffer.getvalue(), filename="report.xlsx", sheet="Concentrations")
    assert "DU-0001" in str(refused.value)
