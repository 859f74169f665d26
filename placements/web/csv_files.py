"""Reading an uploaded CSV file: one reader for every upload, whatever spreadsheet wrote the file.

It refuses, with a message for the person, anything that is not a CSV file it can read whole:
too large, a workbook, not UTF-8 text, a NUL character, a cell too long, a quote never closed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
SAVE_AS = "Save it as 'CSV UTF-8 (comma delimited)' and try again"
# Excel writes a semicolon where the decimal mark is a comma, and "Text (Tab delimited)" files.
DELIMITERS = (",", ";", "\t")


class CsvRefused(ValueError):
    """The upload is not something we can read at all: the message says what to do instead."""


@dataclass(frozen=True)
class CsvFile:
    header: list[str]
    # Each row that has something in it, with its number as the spreadsheet shows it (the header is
    # row 1): blank lines and rows of empty cells are left out but still counted.
    rows: list[tuple[int, list[str]]]


def read_csv(
    content: bytes,
    *,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
    rows_are: str = "rows",
    encodings: tuple[str, ...] = ("utf-8-sig",),
) -> CsvFile:
    """The file's header and rows; at most `max_rows` rows after the header may have cells
    (`rows_are` names them in the refusal)."""
    if len(content) > max_bytes:
        raise CsvRefused(f"The selected file must be smaller than {max_bytes // (1024 * 1024)} MB")
    text = _decode(content, encodings)
    if not text.strip():
        raise CsvRefused("The selected file is empty")
    if "\x00" in text:
        raise CsvRefused(f"The file is not a CSV file: it contains a NUL character. {SAVE_AS}")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    records: list[list[str]] = []
    filled = 0
    while True:
        row = len(records) + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise CsvRefused(_unreadable(str(exc), row, text)) from exc
        if any(cells) and row > 1:
            filled += 1
            if filled > max_rows:
                raise CsvRefused(
                    f"The file has more than {max_rows:,} {rows_are}. Split it into smaller files"
                )
        records.append(cells)
    rows = [
        (number, cells) for number, cells in enumerate(records[1:], start=2) if any(c.strip() for c in cells)
    ]
    return CsvFile(records[0], rows)


def _decode(content: bytes, encodings: tuple[str, ...]) -> str:
    if content.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise CsvRefused(
            "The file is an Excel workbook, not a CSV file. In Excel choose File, Save As, "
            "'CSV UTF-8 (comma delimited)' and upload that file"
        )
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CsvRefused(f"The file is saved as 'Unicode Text' (UTF-16), not UTF-8. {SAVE_AS}")
    for encoding in encodings:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CsvRefused(f"The file is not UTF-8 text. {SAVE_AS}")


def _delimiter(text: str) -> str:
    """The separator the header row uses most: column names never contain one."""
    header = text[:4096].partition("\n")[0]
    return max(DELIMITERS, key=header.count)


def _unreadable(error: str, row: int, text: str) -> str:
    """What is wrong with the file, in a person's words, from what the csv module found at `row`."""
    too_long = "field larger than field limit" in error
    # Quote marks come in pairs in a CSV file; an odd one out opens a cell that never closes.
    if "unexpected end of data" in error or (too_long and text.count('"') % 2):
        return (
            f'Row {row} has a quote mark (") that is never closed, so the rest of the file '
            "reads as one cell. Check the quote marks on that row"
        )
    if too_long:
        return (
            f"Row {row} has a cell longer than {csv.field_size_limit():,} characters. "
            "Check it is the right file"
        )
    if "expected after" in error:
        return (
            f'Row {row} has a quote mark (") in the middle of a cell. A cell that starts with a '
            'quote mark must end with one; write a quote mark inside a cell as two ("")'
        )
    return f"The file is not a readable CSV file (row {row}: {error}). {SAVE_AS}"
