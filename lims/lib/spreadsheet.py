"""Text written to a CSV or XLSX file that someone opens in a spreadsheet.

The importers keep names such as `-0.5 cm 2206_TAN 230110`, `+ve control` or `@home` exactly as the lab wrote
them: they are data. A spreadsheet would read them as formulas (`=HYPERLINK(...)` or `+cmd|' /C calc'!A0` are the
malicious kind), so everything this application writes for a spreadsheet goes through `safe_cell`, as OWASP's
"CSV Injection" page advises: text that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading
single quote, which spreadsheets show as text and do not evaluate. Numbers are left alone, also as text:
`-0.5` and `+0.2` are values, and a quote would turn them into text in the sheet. The csv module's quoting takes
care of separators and quotes inside a cell; this takes care of what the cell means.

    writer.writerow(safe_row(["Sample", reading.sample_name, reading.value]))
"""

import re
from collections.abc import Iterable

# What OWASP lists as the start of a formula or of a field a spreadsheet may evaluate.
FORMULA_START = frozenset("=+-@\t\r")
# A plain decimal number, signed or not, with an optional exponent (ASCII digits only).
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def safe_cell(value):
    """`value` ready for a spreadsheet cell: text that would start a formula gets a leading `'`; numbers (also
    as text, "-0.5"), empty text and values that are not text are returned unchanged. Leading spaces do not hide
    a formula (" =1+1" is quoted too)."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] not in FORMULA_START and value.lstrip(" ")[:1] not in FORMULA_START:
        return value
    if _NUMBER.fullmatch(value.strip(" ")):
        return value
    return "'" + value


def safe_row(values: Iterable) -> list:
    """Every cell of a row through `safe_cell`."""
    return [safe_cell(value) for value in values]
