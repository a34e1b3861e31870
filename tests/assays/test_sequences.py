"""The sequence files of a batch, as bytes: each vendor's header, rows, separator, line ends and encoding
(assays.sequences documents the layouts). The batch: two samples under the default ICP-MS mask."""

import csv
import io

import pytest

from assays import sequences
from assays.batch_selectors import batch_positions
from assays.models import Method
from assays.services import batches
from lims.exceptions import ApplicationError
from tests.conftest import received


@pytest.fixture
def batch(lot, sampler, technician, instrument):
    samples = [received(lot, sampler, technician) for _ in range(2)]
    return batches.batch_create(
        actor=technician,
        method=Method.objects.get(code="icpms-4acid"),
        instrument=instrument,
        codes=[s.code for s in samples],
    )


def sequence(batch, vendor):
    return sequences.sequence_file(batch, batch_positions(batch), vendor)


def codes(batch):
    return list(batch.positions.filter(kind="sample").order_by("number").values_list("label", flat=True))


def test_masshunter_batch_sample_list(batch):
    a, b = codes(batch)
    crm = f"{batch.reference_material.name} 1"
    file = sequence(batch, "agilent")
    assert file.filename == f"batch-{batch.pk}-masshunter.csv"
    assert file.content_type == "text/csv; charset=utf-8"
    assert (
        file.data
        == (
            "Vial Number,Type,Sample Name,Comment\r\n"
            "1,CalBlk,CAL BLANK 1,\r\n"
            f"2,Sample,{a},\r\n"
            f"3,Sample,{b},\r\n"
            f"4,DUP,DUP 3,duplicate of {b}\r\n"
            "5,LRB,METHOD BLANK 1,\r\n"
            f"6,Sample,{crm},\r\n"
            "7,CCV,CCV 1,\r\n"
        ).encode()
    )
    rows = list(csv.reader(io.StringIO(file.data.decode("utf-8"), newline="")))
    assert rows[0] == ["Vial Number", "Type", "Sample Name", "Comment"]
    assert [row[2] for row in rows[1:]] == ["CAL BLANK 1", a, b, "DUP 3", "METHOD BLANK 1", crm, "CCV 1"]


def test_qtegra_sample_list(batch):
    a, b = codes(batch)
    crm = f"{batch.reference_material.name} 1"
    file = sequence(batch, "thermo")
    assert file.filename == f"batch-{batch.pk}-qtegra.csv"
    # A byte order mark, semicolons and CRLF, as Qtegra's own files.
    assert (
        file.data
        == b"\xef\xbb\xbf"
        + (
            "Position;Label;Sample Type;Comment\r\n"
            "1;CAL BLANK 1;BLANK;\r\n"
            f"2;{a};UNKNOWN;\r\n"
            f"3;{b};UNKNOWN;\r\n"
            f"4;DUP 3;UNKNOWN;duplicate of {b}\r\n"
            "5;METHOD BLANK 1;UNKNOWN;\r\n"
            f"6;{crm};QC;\r\n"
            "7;CCV 1;QC;\r\n"
        ).encode()
    )
    rows = list(csv.reader(io.StringIO(file.data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert [row[1] for row in rows] == ["Label", "CAL BLANK 1", a, b, "DUP 3", "METHOD BLANK 1", crm, "CCV 1"]


def test_syngistix_sample_file(batch):
    a, b = codes(batch)
    crm = f"{batch.reference_material.name} 1"
    file = sequence(batch, "perkinelmer")
    assert file.filename == f"batch-{batch.pk}-syngistix.txt"
    assert file.content_type == "text/tab-separated-values; charset=windows-1252"
    n = f"Batch {batch.pk}"
    assert file.data == (
        "A/S Loc.\tSample ID\tBatch ID\tDescription\r\n"
        f"1\tCAL BLANK 1\t{n}\t\r\n"
        f"2\t{a}\t{n}\t\r\n"
        f"3\t{b}\t{n}\t\r\n"
        f"4\tDUP 3\t{n}\tduplicate of {b}\r\n"
        f"5\tMETHOD BLANK 1\t{n}\t\r\n"
        f"6\t{crm}\t{n}\t\r\n"
        f"7\tCCV 1\t{n}\t\r\n"
    ).encode("cp1252")
    rows = list(csv.reader(io.StringIO(file.data.decode("cp1252"), newline=""), delimiter="\t"))
    assert len(rows) == 8 and all(len(row) == 4 for row in rows)


def test_a_label_the_software_cannot_encode_refuses_the_export(batch):
    position = batch.positions.get(number=1)
    position.label = "CAL BLANK ☃"
    position.save()
    with pytest.raises(ApplicationError) as refused:
        sequence(batch, "perkinelmer")
    assert "cannot hold “☃”" in refused.value.message
    # UTF-8 layouts hold it.
    assert "CAL BLANK ☃".encode() in sequence(batch, "agilent").data


def test_an_unknown_format_is_refused(batch):
    with pytest.raises(ApplicationError) as refused:
        sequence(batch, "shimadzu")
    assert refused.value.field == "format"
