"""What a row is: vendor type words, certified reference materials, duplicates and sample-name patterns.

A row is classified in this order:

1. A name that matches a certified reference material is CRM with `crm_name` set, whatever the vendor type
   says: an Agilent QCS row named "OREAS 991" is a CRM, and its recovery is what the QC checks.
2. A specific vendor type, through the vendor's map (`AGILENT_TYPES`, `GENERIC_TYPES`). MassHunter's default
   type "Sample" is not specific: labs leave it on blanks and rinses, so the name decides. An unknown vendor
   type is OTHER: the instrument said the row is something particular, and we do not know what.
3. A duplicate marker in the name: a DUP/DUPL/DUPLICATE/DPL word anywhere ("S-12 DUP", "ORREAS-DPL 600"), or a
   D right after a final digit ("AMIS0682-01D") when the name without it is also in the file (otherwise a
   trailing D is just part of a name, as in "OREAS 45d").
4. Name patterns (`_NAME_TYPES`) for blanks, standards, check standards, spikes and rinses.
5. Anything else is SAMPLE.

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

# None means the type says nothing particular, so the name decides.
AGILENT_TYPES: dict[str, RowType | None] = {
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
GENERIC_TYPES: dict[str, RowType | None] = {row_type.value: row_type for row_type in RowType}
NO_TYPES: dict[str, RowType | None] = {}

_NAME_TYPES = tuple(
    (re.compile(pattern), row_type)
    for pattern, row_type in (
        (r"(?:r|reagent|method|prep|procedural|digestion)[ ._-]*(?:blank|blk)(?:[ ._-]*\d+)?", RowType.METHOD_BLANK),
        (r"lrb(?:[ ._-]*\d+)?", RowType.METHOD_BLANK),
        (r"(?:cal(?:ibration)?|matrix)?[ ._-]*(?:blank|blk)(?:[ ._-]*\d+)?", RowType.CAL_BLANK),
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
        """Set row_type, crm_name and duplicate_of on every row. `types` maps casefolded vendor types."""
        originals: dict[str, str] = {}
        for row in rows:
            originals.setdefault(name_key(row.sample_name), row.sample_name)
        for row in rows:
            declared = types.get(row.vendor_type.casefold(), RowType.OTHER) if row.vendor_type else None
            row.row_type, row.crm_name, row.duplicate_of = self.classify(row.sample_name, declared, originals)

    def classify(self, name: str, declared: RowType | None, originals: Mapping[str, str]) -> tuple[RowType, str, str]:
        """(row type, CRM name, original's name) for a row called `name`; `originals` holds the file's names
        by `name_key`."""
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
        row_type = next((row_type for pattern, row_type in _NAME_TYPES if pattern.fullmatch(folded)), RowType.SAMPLE)
        return row_type, "", ""


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
