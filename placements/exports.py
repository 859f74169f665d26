"""What every CSV/XLSX download in the service shares.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (or a tab/carriage return
followed by one) as a formula: a pupil called "=HYPERLINK(...)" must not become a live link in
the coordinator's Excel. `safe_cell` neutralises such a cell by prefixing an apostrophe, which
Excel and LibreOffice show as plain text. Use it for every value written to an export.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value as an export should hold it: text that a spreadsheet would run is made inert."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header: Iterable[str], rows: Iterable[Iterable[Any]], *, bom: bool = True) -> str:
    """A CSV document with every cell passed through `safe_cell` (a BOM so Excel reads UTF-8)."""
    out = io.StringIO()
    if bom:
        out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()
