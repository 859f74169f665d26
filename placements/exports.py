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

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

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


def xlsx_bytes(sheet: str, header: Iterable[str], rows: Iterable[Iterable[Any]]) -> bytes:
    """An Excel workbook of one sheet (bold header row), every cell passed through `safe_cell`.

    The workbook is written streaming (openpyxl's write-only mode), so a long table stays cheap.
    """
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet[:31])
    bold = Font(bold=True)
    heading = []
    for name in header:
        cell = WriteOnlyCell(worksheet, value=safe_cell(name))
        cell.font = bold
        heading.append(cell)
    worksheet.append(heading)
    for row in rows:
        worksheet.append([safe_cell(cell) for cell in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
