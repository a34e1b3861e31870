"""What a row is: vendor type words, certified reference materials, duplicates and sample-name patterns.

Each vendor has one table, a `Vocabulary`: the words of its type column and the names its software gives QC rows
by default. `AGILENT_TYPES` (MassHunter's Type column: CalBlk, CalStd, BlkVrfy, QC1..QC5, ...), `THERMO` (Qtegra
writes no type: ZERO, MB and numbered standards), `WINLAB` (Calib Blank 1, Calib Std 1, ...), `GENERIC_TYPES`
(our own CSV) and `NO_TYPES` (no vendor words). The patterns every vendor shares (`_NAME_TYPES`) apply to all.

A row is classified in this order:

1. A name that matches a certified reference material is CRM with `crm_name` set, whatever the vendor type
   says: an Agilent QCS row named "OREAS 991" is a CRM, and its recovery is what the QC checks.
2. A specific vendor type, through the vendor's table. MassHunter's default type "Sample" is not specific: labs
   leave it on blanks and rinses, so the name decides. An unknown vendor type is OTHER: the instrument said the
   row is something particular, and we do not know what.
3. A duplicate marker in the name: a DUP/DUPL/DUPLICATE/DPL word anywhere ("S-12 DUP", "ORREAS-DPL 600"), or a
   D right after a final digit ("AMIS0682-01D") when the name without it is also in the file (otherwise a
   trailing D is just part of a name, as in "OREAS 45d").
4. The vendor's default names (its table), then the shared name patterns (`_NAME_TYPES`) for blanks, standards,
   check standards, spikes and rinses. A blank with a code before or after it ("791 Blank", "Blank Ox", "Blank 2")
   is a calibration blank unless a preparation word makes it a method blank ("Reagent blank", "MB"): both feed
   the blank check. Three words or more after "blank" are a description ("blank Table ICP" is a sample).
5. Anything else is SAMPLE.

Numbered standards (Qtegra, `THERMO`): Qtegra users name standards by their concentration, "0.1", "1", "10". A
bare number is a calibration standard only inside a calibration block: the rows right after a calibration blank
(ZERO, BLANK, "0") whose names are bare numbers, each higher than the one before, or named standards; the block
ends at the first other row. A bare number anywhere else is a sample name (labs do number their samples), matched
to the laboratory's samples like any other: a stray standard called "10" then shows as a row that names no
sample, rather than vanishing. A number with a leading zero ("007") is an identifier, never a standard. The rule
cannot tell a numbered sample measured right after the standards with a higher number from one more standard:
give numbered samples a prefix or measure something else in between.

Do not use: a row whose name holds DNU (or "do not use") as a word ("DNU S-12", "S-12 DNU"), whose vendor type is
DNU, or that its reader found marked so (MassHunter's Comment), gets `excluded`: it stays on the run with every
reading, and never feeds QC or results. Its type is what the rest of the name says.

`duplicate_of` names the original whenever a duplicate is recognised, also on a CRM row (a CRM duplicate is
checked both for recovery and against its first measurement). It is the original's name as written in the file
when the file has it, else the name without the marker.

CRM names match tolerantly: case, spaces, dots, hyphens and underscores do not count ("CCU 1f", "OREAS24B"),
and a replicate number after a separator is allowed ("AMIS0682-01" is AMIS0682). The producer prefix (the
letters before the first digit) may hold a typo: it matches when its edit distance to the CRM's prefix is at most
`CRM_PREFIX_DISTANCE` of the longer one (one letter in five or six: "ORREAS" is OREAS). The code from the first
digit on must be equal, because one character there is another material: "OREAS 40" is not OREAS 401,
"OREAS 24" is not OREAS 24b, and "OREAS-24b-extra" is not OREAS 24b.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from assays.importers.base import RowType, RunRow, collapse

KNOWN_CRMS = (
    "CCU-1f",
    "OREAS 991",
    "AMIS0298",
    "OREAS 502c",
    "OREAS 24b",
    "OREAS 45d",
    "OREAS 600",
    "OREAS 700",
    "OREAS 923",
    "OREAS 401",
    "AMIS0682",
    "AMIS0683",
)
CRM_PREFIX_DISTANCE = 0.25


class Vocabulary(dict[str, RowType | None]):
    """One vendor's table: its type column's words (casefolded) and the row type each means, None meaning "the
    name decides"; the sample names its software gives QC rows by default (`names`: patterns matched against the
    whole collapsed, casefolded name); and whether bare numbers in a calibration block are standards
    (`numbered_standards`). It is a mapping of the type words, so it goes wherever a type map goes."""

    def __init__(
        self,
        types: Mapping[str, RowType | None] | None = None,
        *,
        names: Iterable[tuple[str, RowType]] = (),
        numbered_standards: bool = False,
    ):
        super().__init__(types or {})
        self.names = tuple((re.compile(pattern), row_type) for pattern, row_type in names)
        self.numbered_standards = numbered_standards


# None means the type says nothing particular, so the name decides.
AGILENT_TYPES = Vocabulary(
    {
        "sample": None,
        # The unspiked sample a spike is compared with: a real result for that sample.
        "spike ref": RowType.SAMPLE,
        "calblk": RowType.CAL_BLANK,
        "calstd": RowType.CAL_STD,
        "icv": RowType.ICV,
        "icv (qc3)": RowType.ICV,
        # The second-source standard run once after calibration.
        "qcs": RowType.ICV,
        "qcs (qc1)": RowType.ICV,
        "ccv": RowType.CCV,
        "ccv (qc4)": RowType.CCV,
        "driftchk": RowType.CCV,
        # User-defined QC slots; labs run them as check standards through the batch.
        "qc1": RowType.CCV,
        "qc2": RowType.CCV,
        "qc3": RowType.CCV,
        "qc4": RowType.CCV,
        "qc5": RowType.CCV,
        "blk": RowType.CCB,
        "blkvrfy": RowType.CCB,
        "lrb": RowType.METHOD_BLANK,
        "lrbd": RowType.METHOD_BLANK,
        # Fortified (spiked) blanks and their duplicates.
        "lfb": RowType.SPIKE,
        "lfb (qc2)": RowType.SPIKE,
        "lfbd": RowType.SPIKE,
        "lrbs": RowType.SPIKE,
        "spike": RowType.SPIKE,
        "spike qc": RowType.SPIKE,
        "spikeqc2": RowType.SPIKE,
        "dup": RowType.DUPLICATE,
        "bkgnd": RowType.OTHER,
        "cicspike": RowType.OTHER,
        "dilstd": RowType.OTHER,
        "fqblk": RowType.OTHER,
        "isostd": RowType.OTHER,
        "sqblk": RowType.OTHER,
        "sqistd": RowType.OTHER,
        "sqstd": RowType.OTHER,
    }
)
# Thermo Qtegra has no type column. Its default calibration blank is ZERO; labs running it write MB for the
# method blank; a standard of concentration 0 is the calibration blank.
THERMO = Vocabulary(
    names=(
        (r"zero(?:[ ._-]*\d+)?", RowType.CAL_BLANK),
        (r"0(?:\.0+)?", RowType.CAL_BLANK),
        (r"mb(?:[ ._-]*\d+)?", RowType.METHOD_BLANK),
    ),
    numbered_standards=True,
)
# PerkinElmer WinLab32 names the rows of a calibration itself: Calib Blank 1, Calib Std 1, Calib Std 2, ...
WINLAB = Vocabulary(
    names=(
        (r"calib(?:ration)?[ ._-]*blank(?:[ ._-]*\d+)?", RowType.CAL_BLANK),
        (r"calib(?:ration)?[ ._-]*(?:std|standard)(?:[ ._-]*\d+)?", RowType.CAL_STD),
    )
)
# Our own CSV: the row types by their value, and "dnu" for a row not to use (the name then decides its type).
GENERIC_TYPES = Vocabulary({**{row_type.value: row_type for row_type in RowType}, "dnu": None})
NO_TYPES = Vocabulary()
# Vendor types that mark a row not to be used.
DNU_TYPES = frozenset(("dnu", "do not use"))

_NAME_TYPES = tuple(
    (re.compile(pattern), row_type)
    for pattern, row_type in (
        (r"(?:r|reagent|method|prep|procedural|digestion)[ ._-]*(?:blank|blk)(?:[ ._-]*\d+)?", RowType.METHOD_BLANK),
        (r"lrb(?:[ ._-]*\d+)?", RowType.METHOD_BLANK),
        # A blank with a code: "Blank 2", "791 Blank", "Blank Ox", "Blank HNO3"; never a spiked blank.
        (
            r"(?:cal(?:ibration)?|matrix|\d+)?[ ._-]*(?:blank|blk)(?:[ ._-]*(?:\d+|(?!spk)[a-z]{1,3}\d?))?",
            RowType.CAL_BLANK,
        ),
        (r"ccb(?![a-z]).*", RowType.CCB),
        (r"icv(?![a-z]).*", RowType.ICV),
        (r"ccv(?![a-z]).*", RowType.CCV),
        (r"(?:cal[ ._-]*)?(?:std|standard)(?![a-z]).*", RowType.CAL_STD),
        (r"\d+(?:\.\d+)? ?(?:ppt|ppb|ppm|ng/l|ug/l|μg/l|mg/l)", RowType.CAL_STD),
        (r".*\b(?:spike|spiked|spk)\b.*", RowType.SPIKE),
        (r"rinse|wash", RowType.OTHER),
    )
)
_DUPLICATE_MARKER = re.compile(r"[\s._-]*(?<![a-z0-9])(?:dup|dupl|duplicate|dpl)(?![a-z0-9])[\s._-]*", re.IGNORECASE)
_TRAILING_D = re.compile(r"(.*\d)[dD]", re.ASCII)
_CRM_NAME = re.compile(r"([a-z]+)[\s._-]*(\d[a-z0-9]*)(?:[\s._-]+(\d+))?", re.ASCII)
_SEPARATORS = re.compile(r"[\s._-]+")
DNU = re.compile(r"(?<![a-z0-9])(?:dnu|do[ ._-]*not[ ._-]*use)(?![a-z0-9])", re.IGNORECASE)
# A standard named by its concentration: no sign, no exponent, no leading zero before other digits.
_BARE_NUMBER = re.compile(r"(?:0|[1-9]\d*)(?:\.\d+)?", re.ASCII)


def name_key(name: str) -> str:
    """A name with case, spaces, dots, hyphens and underscores taken out: "R. Blk" and "rBLK" are one key."""
    return _SEPARATORS.sub("", name.casefold())


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


class CrmMatcher:
    def __init__(self, names: Iterable[str]):
        self._by_key: dict[str, str] = {}
        self._parts: list[tuple[str, str, str, str]] = []  # prefix, code, replicate, canonical name
        for name in names:
            self._by_key[name_key(name)] = name
            match = _CRM_NAME.fullmatch(name.strip().casefold())
            if match:
                self._parts.append((match[1], match[2], match[3] or "", name))

    def match(self, sample_name: str) -> str:
        """The canonical CRM name `sample_name` stands for, or ""."""
        exact = self._by_key.get(name_key(sample_name))
        if exact:
            return exact
        match = _CRM_NAME.fullmatch(sample_name.strip().casefold())
        if not match:
            return ""
        prefix, code, replicate = match[1], match[2], match[3] or ""
        best, best_distance = "", CRM_PREFIX_DISTANCE
        for crm_prefix, crm_code, crm_replicate, canonical in self._parts:
            if code != crm_code or crm_replicate not in ("", replicate):
                continue
            distance = edit_distance(prefix, crm_prefix) / max(len(prefix), len(crm_prefix))
            if distance <= best_distance:
                best, best_distance = canonical, distance
        return best


class Classifier:
    def __init__(self, crm_names: Iterable[str]):
        self.crms = CrmMatcher(crm_names)

    def classify_rows(self, rows: Sequence[RunRow], types: Mapping[str, RowType | None]) -> None:
        """Set row_type, crm_name, duplicate_of and excluded on every row. `types` maps casefolded vendor types;
        a `Vocabulary` also brings the vendor's default names."""
        names = types.names if isinstance(types, Vocabulary) else ()
        originals: dict[str, str] = {}
        for row in rows:
            originals.setdefault(name_key(row.sample_name), row.sample_name)
        for row in rows:
            vendor_type = row.vendor_type.casefold()
            name, marked = _without_dnu(row.sample_name)
            if vendor_type in DNU_TYPES:
                declared, marked = None, True
            else:
                declared = types.get(vendor_type, RowType.OTHER) if vendor_type else None
            row.excluded = row.excluded or marked
            row.row_type, row.crm_name, row.duplicate_of = self.classify(name, declared, originals, names)
        if isinstance(types, Vocabulary) and types.numbered_standards:
            _numbered_standards(rows)

    def classify(
        self,
        name: str,
        declared: RowType | None,
        originals: Mapping[str, str],
        names: Sequence[tuple[re.Pattern[str], RowType]] = (),
    ) -> tuple[RowType, str, str]:
        """(row type, CRM name, original's name) for a row called `name`; `originals` holds the file's names
        by `name_key`; `names` are the vendor's default names, tried before the shared patterns."""
        crm = self.crms.match(name)
        marked, original = (False, "") if crm else _original(name, originals)
        if marked and not crm:
            crm = self.crms.match(original)
        if crm:
            return RowType.CRM, crm, original
        if declared is not None:
            return declared, "", original
        if marked:
            return RowType.DUPLICATE, "", original
        folded = collapse(name).casefold()
        row_type = next(
            (row_type for pattern, row_type in (*names, *_NAME_TYPES) if pattern.fullmatch(folded)), RowType.SAMPLE
        )
        return row_type, "", ""


def _without_dnu(name: str) -> tuple[str, bool]:
    """The name without its do-not-use marker, and whether it had one."""
    core, markers = DNU.subn(" ", name)
    return (collapse(core).strip(" ._-:;,()[]"), True) if markers else (name, False)


def _numbered_standards(rows: Sequence[RunRow]) -> None:
    """Bare numbers inside a calibration block become calibration standards (see the module docstring)."""
    in_block, last = False, None
    for row in rows:
        if row.row_type is RowType.CAL_BLANK:
            in_block, last = True, None
            continue
        if not in_block:
            continue
        name = row.sample_name.strip()
        if row.row_type is RowType.SAMPLE and not row.duplicate_of and _BARE_NUMBER.fullmatch(name):
            level = Decimal(name)
            if last is None or level > last:
                row.row_type, last = RowType.CAL_STD, level
                continue
        elif row.row_type is RowType.CAL_STD:
            continue
        in_block = False


def _original(name: str, originals: Mapping[str, str]) -> tuple[bool, str]:
    """Whether `name` marks a duplicate, and the original's name."""
    core, markers = _DUPLICATE_MARKER.subn(" ", name)
    if markers:
        core = collapse(core).strip(" ._-")
        return bool(core), originals.get(name_key(core), core)
    trailing = _TRAILING_D.fullmatch(name.strip())
    if trailing and name_key(trailing[1]) in originals:
        return True, originals[name_key(trailing[1])]
    return False, ""
