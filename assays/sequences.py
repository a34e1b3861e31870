"""A batch's sequence (sample list) as a file the instrument's software imports, one layout per vendor.

Every layout lists the positions in the batch's order, one line each, and names each one by its label
(assays.batch_models.BatchPosition.label): the sample's code, or the QC item's name (CAL BLANK 1,
METHOD BLANK 1, OREAS 991 1, DUP 21, CCV 1). The software carries the name into its results export, and
the importers read it back as what it is (assays.importers.vocabulary; assays.services.batches checks
that when the batch is built). The file is for a machine: its words are the vendor's, not translated.
The autosampler location is the position number; a laboratory whose rack numbers its vials otherwise
renumbers them in the software. Preparation figures (weights, volumes, dilutions) are not in the files:
they are the laboratory's records, applied when the results are computed.

Agilent MassHunter, batch sample list (`agilent`, `batch-<n>-masshunter.csv`)
    UTF-8 without byte order mark, comma-separated, CRLF line ends, fields quoted only where needed.
    Header: `Vial Number,Type,Sample Name,Comment`. Type is MassHunter's sample type, the word its batch
    table then shows in its own Type column: CalBlk (calibration blank), LRB (method blank: a laboratory
    reagent blank), CCV, DUP (duplicate), Sample (samples and the CRM, which the importers know by name).
    Comment: `duplicate of <sample code>` on a duplicate, empty elsewhere.

        Vial Number,Type,Sample Name,Comment
        1,CalBlk,CAL BLANK 1,
        2,Sample,KZL-26-000001,
        3,DUP,DUP 2,duplicate of KZL-26-000001

Thermo Qtegra, sample list (`thermo`, `batch-<n>-qtegra.csv`)
    UTF-8 with a byte order mark, semicolon-separated, CRLF line ends, as Qtegra writes its own exports.
    Header: `Position;Label;Sample Type;Comment`. Sample Type: BLANK (calibration blank), QC (CRM and
    CCV), UNKNOWN (samples, duplicates and method blanks, which are measured as unknowns). Qtegra's
    results export carries the label only; the importers know each row by it.

        (BOM)Position;Label;Sample Type;Comment
        1;CAL BLANK 1;BLANK;
        2;KZL-26-000001;UNKNOWN;

PerkinElmer Syngistix / WinLab32, sample information file (`perkinelmer`, `batch-<n>-syngistix.txt`)
    Windows-1252 (the software's code page; a label it cannot encode refuses the export), tab-separated,
    CRLF line ends. Header: `A/S Loc.<TAB>Sample ID<TAB>Batch ID<TAB>Description`. Batch ID: `Batch <n>`
    on every line; Description as MassHunter's Comment. The software names its own calibration rows
    (Calib Blank 1, Calib Std 1) in the method; the file holds the batch's positions.

        A/S Loc.<TAB>Sample ID<TAB>Batch ID<TAB>Description
        1<TAB>CAL BLANK 1<TAB>Batch 7<TAB>
        2<TAB>KZL-26-000001<TAB>Batch 7<TAB>
"""

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from assays.batch_models import Batch, BatchPosition, PositionKind
from lims.exceptions import ApplicationError


@dataclass(frozen=True)
class SequenceFile:
    filename: str
    content_type: str
    data: bytes


def _comment(position: BatchPosition) -> str:
    if position.kind == PositionKind.DUPLICATE and position.duplicate_of is not None:
        return f"duplicate of {position.duplicate_of.label}"
    return ""


AGILENT_TYPES = {
    PositionKind.SAMPLE: "Sample",
    PositionKind.CAL_BLANK: "CalBlk",
    PositionKind.METHOD_BLANK: "LRB",
    PositionKind.CRM: "Sample",
    PositionKind.DUPLICATE: "DUP",
    PositionKind.CCV: "CCV",
}
THERMO_TYPES = {
    PositionKind.SAMPLE: "UNKNOWN",
    PositionKind.CAL_BLANK: "BLANK",
    PositionKind.METHOD_BLANK: "UNKNOWN",
    PositionKind.CRM: "QC",
    PositionKind.DUPLICATE: "UNKNOWN",
    PositionKind.CCV: "QC",
}


def _agilent(batch: Batch, positions: list[BatchPosition]) -> Iterable[list[str]]:
    yield ["Vial Number", "Type", "Sample Name", "Comment"]
    for p in positions:
        yield [str(p.number), AGILENT_TYPES[PositionKind(p.kind)], p.label, _comment(p)]


def _thermo(batch: Batch, positions: list[BatchPosition]) -> Iterable[list[str]]:
    yield ["Position", "Label", "Sample Type", "Comment"]
    for p in positions:
        yield [str(p.number), p.label, THERMO_TYPES[PositionKind(p.kind)], _comment(p)]


def _perkinelmer(batch: Batch, positions: list[BatchPosition]) -> Iterable[list[str]]:
    yield ["A/S Loc.", "Sample ID", "Batch ID", "Description"]
    for p in positions:
        yield [str(p.number), p.label, f"Batch {batch.pk}", _comment(p)]


@dataclass(frozen=True)
class Layout:
    name: str  # as the software calls itself, for the page
    suffix: str
    content_type: str
    delimiter: str
    encoding: str
    rows: Callable[[Batch, list[BatchPosition]], Iterable[list[str]]]


LAYOUTS = {
    "agilent": Layout("Agilent MassHunter", "masshunter.csv", "text/csv", ",", "utf-8", _agilent),
    "thermo": Layout("Thermo Qtegra", "qtegra.csv", "text/csv", ";", "utf-8-sig", _thermo),
    "perkinelmer": Layout(
        "PerkinElmer Syngistix / WinLab", "syngistix.txt", "text/tab-separated-values", "\t", "cp1252", _perkinelmer
    ),
}


def sequence_file(batch: Batch, positions: Iterable[BatchPosition], vendor: str) -> SequenceFile:
    """The sequence of `batch` (its `positions`, with their duplicates' originals) in `vendor`'s layout."""
    layout = LAYOUTS.get(vendor)
    if layout is None:
        raise ApplicationError(
            _("Unknown sequence format “%(format)s”; the formats are %(formats)s.")
            % {"format": vendor, "formats": ", ".join(LAYOUTS)},
            field="format",
        )
    text = io.StringIO()
    writer = csv.writer(text, delimiter=layout.delimiter, lineterminator="\r\n")
    writer.writerows(layout.rows(batch, list(positions)))
    try:
        data = text.getvalue().encode(layout.encoding)
    except UnicodeEncodeError as exc:
        raise ApplicationError(
            _("%(software)s reads %(encoding)s files, which cannot hold “%(text)s”; rename it to export the sequence.")
            % {"software": layout.name, "encoding": layout.encoding, "text": exc.object[exc.start : exc.end]},
            field="format",
        ) from exc
    content_type = f"{layout.content_type}; charset={'windows-1252' if layout.encoding == 'cp1252' else 'utf-8'}"
    return SequenceFile(f"batch-{batch.pk}-{layout.suffix}", content_type, data)
