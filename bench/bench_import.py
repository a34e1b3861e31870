"""ICP-MS import: a MassHunter batch table of 500 samples x 60 analytes (30,000 sample readings, plus a
calibration blank and two CCVs) imported through assays.services.run_import, the service the upload
page and the API call, on the database DATABASE_URL names (a throw-away test database is created).

Floor, measured in the same run on the same bytes: the csv module reading the file and converting the
concentration cells to Decimal, plus one bulk insert of as many rows into the same readings table through
the same insert path (COPY on PostgreSQL, executemany on SQLite).
Target: import <= 2x the floor; peak memory of the import under 300 MB.

The 500 samples are created directly in the database as received (their custody chains are not what is
measured here)."""

import io
import json
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lims.settings")
os.environ.setdefault("DEBUG", "1")

import django

django.setup()

import csv  # noqa: E402

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402

SAMPLES, REPEAT = 500, 3
ANALYTES = [
    "Li",
    "Be",
    "B",
    "Na",
    "Mg",
    "Al",
    "P",
    "K",
    "Ca",
    "Sc",
    "Ti",
    "V",
    "Cr",
    "Mn",
    "Fe",
    "Co",
    "Ni",
    "Cu",
    "Zn",
    "Ga",
    "Ge",
    "As",
    "Se",
    "Rb",
    "Sr",
    "Y",
    "Zr",
    "Nb",
    "Mo",
    "Ag",
    "Cd",
    "In",
    "Sn",
    "Sb",
    "Te",
    "Cs",
    "Ba",
    "La",
    "Ce",
    "Pr",
    "Nd",
    "Sm",
    "Eu",
    "Gd",
    "Tb",
    "Dy",
    "Ho",
    "Er",
    "Tm",
    "Yb",
    "Lu",
    "Hf",
    "Ta",
    "W",
    "Re",
    "Tl",
    "Pb",
    "Bi",
    "Th",
    "U",
]
MASS = {symbol: str(7 + 3 * index) for index, symbol in enumerate(ANALYTES)}


def masshunter_file(codes: list[str]) -> bytes:
    assert len(ANALYTES) == 60
    meta = ["Rjct", "Data File", "Acq. Date-Time", "Type", "Level", "Sample Name", "Total Dil."]
    top = ["Sample", *[""] * (len(meta) - 1)]
    sub = list(meta)
    for symbol in ANALYTES:
        top += [f"{MASS[symbol]}  {symbol}  [ He ] ", ""]
        sub += ["CPS", "Conc. [ ppb ]"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([top, sub])
    start = timezone.localtime().replace(tzinfo=None)

    def row(index, kind, name, values):
        stamp = (start + timedelta(minutes=index)).strftime("%m/%d/%Y %H:%M")
        cells = ["FALSE", f"{index:03d}SMPL.d", stamp, kind, "", name, "1"]
        for value in values:
            cells += ["12345", value]
        writer.writerow(cells)

    row(0, "CalBlk", "Cal blank", ["<0.004"] * 60)
    row(1, "CCV", "CCV 10 ppb", ["10.1"] * 60)
    for index, code in enumerate(codes, start=2):
        row(index, "Sample", code, [f"{(index * 7 + a * 13) % 900 + 1.234:.3f}" for a in range(60)])
    row(len(codes) + 2, "CCV", "CCV 10 ppb", ["9.9"] * 60)
    return out.getvalue().encode()


def make_samples(technician):
    from samples.models import Lot, Material, Sample

    exporter = technician.organisation.__class__.objects.create(name="Bench exporter", kind="exporter")
    lot = Lot.objects.create(
        exporter=exporter, lot_number="BENCH-1", material=Material.objects.get(code="copper-concentrate"),
        hs_code="2603.00", origin="Bench", wet_mass_t=Decimal(1000), destination_country="CN", registered_by=technician,
    )  # fmt: skip
    now = timezone.now()
    Sample.objects.bulk_create(
        Sample(
            code=f"KZL-99-{n:06d}", lot=lot, purpose="laboratory", mass_g=Decimal(250), status="received",
            current_custodian=technician, collected_at=now, collection_location="Bench",
        )
        for n in range(1, SAMPLES + 1)
    )  # fmt: skip
    return [f"KZL-99-{n:06d}" for n in range(1, SAMPLES + 1)]


def floor(data: bytes, run) -> float:
    """The csv module and one bulk insert of as many rows into the readings table, through the same
    insert path and columns the import uses (COPY on PostgreSQL), each sample's readings pointing at
    its sample as the import's do (so the database checks the same foreign keys), so the ratio
    measures everything the import adds: vendor parsing, censored values, classification, checks,
    the selection rule, sample matching and QC."""
    from django.db.models import JSONField

    from assays.models import Analyte, Reading
    from assays.services import READING_COLUMNS
    from lims.lib.bulk import bulk_insert
    from samples.models import Sample

    def default(column: str):
        field = Reading._meta.get_field(column.removesuffix("_id"))
        if isinstance(field, JSONField):  # as the import writes it: JSON text
            return json.dumps(field.get_default())
        return None if field.null else field.get_default()

    template = {column: default(column) for column in READING_COLUMNS}
    template.update(run_id=run.pk, row=0, row_type="sample", analyte_id=Analyte.objects.get(symbol="Cu").pk)
    template.update(unit="ppb", basis="solution")
    before, after = list(READING_COLUMNS).index("value"), list(template.values())
    sample_at = list(READING_COLUMNS).index("sample_id")
    sample_ids = dict(Sample.objects.filter(code__startswith="KZL-99-").values_list("code", "pk"))
    heads: dict = {}
    tail = tuple(after[before + 1 :])
    started = time.perf_counter()
    rows = csv.reader(io.StringIO(data.decode()))
    next(rows), next(rows)
    values = []
    for cells in rows:
        sample_id = sample_ids.get(cells[5])
        head = heads.get(sample_id)
        if head is None:
            head = heads[sample_id] = tuple(sample_id if i == sample_at else v for i, v in enumerate(after[:before]))
        for cell in cells[8::2]:
            values.append((*head, Decimal(cell) if cell[0] != "<" else None, *tail))
    bulk_insert(Reading, READING_COLUMNS, values)
    elapsed = time.perf_counter() - started
    Reading.objects.filter(run=run, column="").delete()
    return elapsed


def main() -> None:
    from assays import services
    from assays.models import Instrument, Method, Run
    from lims.models import Organisation, User

    databases = setup_databases(verbosity=0, interactive=False)
    media = tempfile.TemporaryDirectory()
    settings.MEDIA_ROOT = media.name
    try:
        lab = Organisation.objects.create(name="Bench laboratory", kind="laboratory")
        technician = User.objects.create_user("bench-tech", organisation=lab)
        technician.groups.add(Group.objects.get(name="technician"))
        instrument = Instrument.objects.create(
            name="ICP-MS", model="Agilent 7900", serial="BENCH", calibration_due=date.today() + timedelta(days=30)
        )
        method = Method.objects.get(code="icpms-4acid")
        data = masshunter_file(make_samples(technician))

        def import_once():
            return services.run_import(
                actor=technician, data=data, filename="bench.csv", instrument=instrument, method=method,
                prep_mass_g=Decimal("0.25"), prep_volume_ml=Decimal("50"),
            )  # fmt: skip

        ours, floors = [], []
        for _ in range(REPEAT):
            started = time.perf_counter()
            run = import_once()
            ours.append(time.perf_counter() - started)
            floors.append(floor(data, run))
            services.run_discard(actor=technician, run=run)
        # Memory in a pass of its own: tracing allocations slows the code it traces.
        tracemalloc.start()
        services.run_discard(actor=technician, run=import_once())
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        readings = Run.objects.first().readings.count()
    finally:
        teardown_databases(databases, verbosity=0)
        media.cleanup()
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    best, base = min(ours), min(floors)
    print(f"database: {engine}; file: {len(data) / 1e6:.1f} MB, {readings} readings")
    print(f"import (run_import):        {best * 1000:8.0f} ms  (median {statistics.median(ours) * 1000:.0f} ms)")
    print(f"floor (csv + bulk insert):  {base * 1000:8.0f} ms  (median {statistics.median(floors) * 1000:.0f} ms)")
    print(f"ratio: {best / base:.2f}x the floor (target <= 2x)")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak Python memory during import: {peak / 1e6:.0f} MB; process peak RSS: {rss:.0f} MB (target < 300 MB)")


if __name__ == "__main__":
    main()
