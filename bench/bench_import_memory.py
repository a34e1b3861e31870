"""Import memory: files far past the row limit, and files at it, parsed by `assays.importers.parse` with the
installation's limits (LIMS_IMPORT_MAX_BYTES, LIMS_IMPORT_MAX_ROWS; the defaults unless the environment sets
them), each in a child process of its own whose peak RSS (ru_maxrss) is the figure.

Cases (generic long layout, assays/importers/generic.py):
  - a 1,000,000-row CSV, the six required columns with short values, so that it stays under the byte limit
    and the row limit is what stops it;
  - an .xlsx of 1,040,000 rows whose sheet XML inflates to about 190 MB (shared strings as Excel writes them);
  - a CSV and an .xlsx of exactly LIMS_IMPORT_MAX_ROWS rows, every column filled: the largest files imported;
  - a CSV of two-character cells filling the byte limit: past the cell limit long before the row limit;
  - the CSV at the limit again, stored through assays.services.run_import on a throw-away database (the whole
    import the worker runs: parse, checks, selection, COPY, QC), against a floor child with the same database.
Floor, per case: a child that imports the same libraries (Django set up, the importers loaded) and reads the
file's bytes, and parses nothing. Target: every case refused or imported within 300 MB peak RSS.

The files are written to a temporary directory (the workbook straight as XML into the zip: openpyxl's
write-only mode takes minutes for 190 MB).
"""

import csv
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lims.settings")
os.environ.setdefault("DEBUG", "1")

BIG_ROWS = 1_000_000
BIG_XLSX_ROWS = 1_040_000  # a sheet of about 190 MB
TARGET_MB = 300
ANALYTES = ("Li", "Be", "Na", "Mg", "Al", "K", "Ca", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "As", "Se")
HEADER = ["sample", "analyte", "value", "unit", "qualifier", "detection_limit", "type", "isotope", "acquired_at"]
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _value(index: int) -> str:
    return f"{index % 9973 * 0.137:.3f}"


def compact_csv(path: Path, rows: int) -> None:
    """`rows` lines (the header included) of the required columns only: about 19 bytes a line."""
    with path.open("w", newline="") as out:
        out.write("sample,analyte,value,unit,qualifier,detection_limit\n")
        for index in range(rows - 1):
            out.write(f"S{index // 18 % 1000},{ANALYTES[index % 18]},{_value(index)[:4]},ppb,,\n")


def full_csv(path: Path, rows: int) -> None:
    """`rows` lines (the header included), every column filled as an instrument would."""
    with path.open("w", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(HEADER)
        for index in range(rows - 1):
            sample = f"KZL-26-{index // 18:06d}"
            minute = index // 18
            stamp = f"2026-05-{1 + minute // 1440 % 28:02d}T{minute // 60 % 24:02d}:{minute % 60:02d}:00"
            limit = "0.004" if index % 7 == 0 else ""
            qualifier = "<" if limit else ""
            value = "" if limit else _value(index)
            writer.writerow([sample, ANALYTES[index % 18], value, "ppb", qualifier, limit, "sample", "63", stamp])


def tiny_cells_csv(path: Path, size: int) -> None:
    """A header of the generic layout, then lines of two-character cells up to `size` bytes."""
    line = ",".join(["12"] * 200) + "\n"
    with path.open("w", newline="") as out:
        out.write(",".join(HEADER) + "\n")
        out.write(line * ((size - 100) // len(line)))


def workbook(path: Path, rows: int) -> int:
    """An .xlsx of `rows` rows (the header included) in the generic layout; the inflated size of its sheet. Text
    is in shared strings, as Excel writes it; cells state no reference (`r`), which is valid and lets 190 MB of
    XML compress under the byte limit (with references it compresses 8x, not 14x)."""
    import openpyxl

    skeleton = io.BytesIO()
    book = openpyxl.Workbook()
    book.active.title = "Results"
    book.active.append(["placeholder"])
    book.save(skeleton)
    strings = [*HEADER, *ANALYTES, "ppb", "sample"]
    first_sample = len(strings)
    samples = (rows + 17) // 18
    strings += [f"KZL-26-{number:06d}" for number in range(samples)]
    strings += [
        f"2026-05-{1 + number // 1440 % 28:02d}T{number // 60 % 24:02d}:{number % 60:02d}:00"
        for number in range(samples)
    ]
    index_of = {text: position for position, text in enumerate(strings)}
    with zipfile.ZipFile(skeleton) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            if member.filename in ("xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"):
                continue
            data = source.read(member.filename)
            if member.filename == "[Content_Types].xml" and b"sharedStrings" not in data:
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            if member.filename == "xl/_rels/workbook.xml.rels" and b"sharedStrings" not in data:
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdStrings" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
                )
            target.writestr(member, data)
        shared = "".join(f"<si><t>{text}</t></si>" for text in strings)
        target.writestr(
            "xl/sharedStrings.xml",
            f'<sst xmlns="{_NS}" count="{len(strings)}" uniqueCount="{len(strings)}">{shared}</sst>',
        )
        inflated = 0
        with target.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:

            def write(text: str) -> None:
                nonlocal inflated
                data = text.encode()
                inflated += len(data)
                sheet.write(data)

            write(f'<worksheet xmlns="{_NS}"><dimension ref="A1:I{rows}"/><sheetData>')
            header = "".join(f'<c t="s"><v>{index_of[name]}</v></c>' for name in HEADER)
            write(f'<row r="1">{header}</row>')
            chunk = []
            for index in range(rows - 1):
                sample = first_sample + index // 18
                chunk.append(
                    f'<row r="{index + 2}"><c t="s"><v>{sample}</v></c><c t="s"><v>{9 + index % 18}</v></c>'
                    f'<c><v>{_value(index)}</v></c><c t="s"><v>{first_sample - 2}</v></c><c/><c/>'
                    f'<c t="s"><v>{first_sample - 1}</v></c><c><v>63</v></c>'
                    f'<c t="s"><v>{sample + samples}</v></c></row>'
                )
                if len(chunk) == 10_000:
                    write("".join(chunk))
                    chunk = []
            write("".join(chunk) + "</sheetData></worksheet>")
    return inflated


def child(kind: str, path: str) -> None:
    """Runs in the child: parse (or, for the floor, only load) the file and report; "import" stores it through
    assays.services.run_import, as the imports worker does, on a throw-away database ("import-floor": the same
    database and user, no import)."""
    import django

    django.setup()
    from django.conf import settings

    from assays import importers

    if kind.startswith("import"):
        import_child(kind, path)
        return
    data = Path(path).read_bytes()
    outcome, seconds = "loaded", 0.0
    if kind == "parse":
        started = time.perf_counter()
        try:
            run = importers.parse(
                data,
                filename=Path(path).name,
                max_bytes=settings.LIMS_IMPORT_MAX_BYTES,
                max_rows=settings.LIMS_IMPORT_MAX_ROWS,
            )
            outcome = f"imported: {len(run.readings)} readings"
        except importers.ImportRejected as rejected:
            outcome = "refused: " + "; ".join(problem.message for problem in rejected.problems[:2])
        seconds = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"outcome": outcome, "rss": rss, "seconds": seconds}))


def import_child(kind: str, path: str) -> None:
    from datetime import date, timedelta
    from decimal import Decimal

    from django.conf import settings
    from django.contrib.auth.models import Group
    from django.test.utils import setup_databases, teardown_databases

    databases = setup_databases(verbosity=0, interactive=False)
    media = tempfile.TemporaryDirectory()
    settings.MEDIA_ROOT = media.name
    try:
        from assays import services
        from assays.models import Instrument, Method
        from lims.exceptions import ApplicationError
        from lims.models import Organisation, User

        lab = Organisation.objects.create(name="Bench laboratory", kind="laboratory")
        technician = User.objects.create_user("bench-tech", organisation=lab)
        technician.groups.add(Group.objects.get(name="technician"))
        instrument = Instrument.objects.create(
            name="ICP-MS", model="Agilent 7900", serial="BENCH", calibration_due=date.today() + timedelta(days=30)
        )
        data = Path(path).read_bytes()
        outcome, seconds = "loaded", 0.0
        if kind == "import":
            started = time.perf_counter()
            try:
                run = services.run_import(
                    actor=technician, data=data, filename=Path(path).name, instrument=instrument,
                    method=Method.objects.get(code="icpms-4acid"), prep_mass_g=Decimal("0.25"),
                    prep_volume_ml=Decimal("50"),
                )  # fmt: skip
                outcome = f"stored: {run.readings.count()} readings, run {run.status}"
            except ApplicationError as refused:
                outcome = f"refused: {refused.message}"
            seconds = time.perf_counter() - started
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    finally:
        teardown_databases(databases, verbosity=0)
        media.cleanup()
    print(json.dumps({"outcome": outcome, "rss": rss, "seconds": seconds}))


def measure(kind: str, path: Path) -> dict:
    result = subprocess.run(  # noqa: S603
        [sys.executable, __file__, kind, str(path)], cwd=ROOT, check=True, capture_output=True, text=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    import django

    django.setup()
    from django.conf import settings

    max_rows, max_bytes = settings.LIMS_IMPORT_MAX_ROWS, settings.LIMS_IMPORT_MAX_BYTES
    print(f"limits: LIMS_IMPORT_MAX_ROWS={max_rows}, LIMS_IMPORT_MAX_BYTES={max_bytes}")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        cases = []
        started = time.perf_counter()
        path = folder / "long_1m.csv"
        compact_csv(path, BIG_ROWS)
        cases.append((f"CSV, {BIG_ROWS:,} rows, {path.stat().st_size / 1e6:.1f} MB", path))
        path = folder / "long_1m.xlsx"
        inflated = workbook(path, BIG_XLSX_ROWS)
        cases.append(
            (
                f".xlsx, {BIG_XLSX_ROWS:,} rows, sheet {inflated / 1e6:.0f} MB inflated, {path.stat().st_size / 1e6:.1f} MB",
                path,
            )
        )
        path = folder / "long_at_limit.csv"
        full_csv(path, max_rows)
        cases.append((f"CSV, {max_rows:,} rows (the limit), {path.stat().st_size / 1e6:.1f} MB", path))
        path = folder / "long_at_limit.xlsx"
        inflated = workbook(path, max_rows)
        cases.append((f".xlsx, {max_rows:,} rows (the limit), sheet {inflated / 1e6:.0f} MB inflated", path))
        path = folder / "tiny_cells.csv"
        tiny_cells_csv(path, max_bytes)
        cases.append((f"CSV of 2-character cells, {path.stat().st_size / 1e6:.1f} MB", path))
        print(f"files written in {time.perf_counter() - started:.0f} s")
        worst = 0.0
        for label, path in cases:
            ours, floor = measure("parse", path), measure("floor", path)
            worst = max(worst, ours["rss"])
            print(f"{label}")
            print(f"    {ours['outcome'][:150]}")
            print(
                f"    peak RSS {ours['rss']:5.0f} MB in {ours['seconds']:.1f} s; floor (imports + the file's bytes) "
                f"{floor['rss']:5.0f} MB; parsing adds {ours['rss'] - floor['rss']:.0f} MB"
            )
        # The largest file accepted, stored as the imports worker stores it: parse, checks, selection, COPY, QC.
        label, path = cases[2]
        ours, floor = measure("import", path), measure("import-floor", path)
        worst = max(worst, ours["rss"])
        print(f"{label}, through run_import on {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}")
        print(f"    {ours['outcome'][:150]}")
        print(
            f"    peak RSS {ours['rss']:5.0f} MB in {ours['seconds']:.1f} s; floor (imports, a test database, the "
            f"file's bytes) {floor['rss']:5.0f} MB; the import adds {ours['rss'] - floor['rss']:.0f} MB"
        )
    print(f"worst peak RSS: {worst:.0f} MB (target < {TARGET_MB} MB)")


if __name__ == "__main__":
    if len(sys.argv) == 3:
        child(sys.argv[1], sys.argv[2])
    else:
        main()
