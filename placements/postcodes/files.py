"""Reading the two postcode files we accept, one row at a time (ONSPD has 2.7 million rows).

- the ONS Postcode Directory (ONSPD) CSV: a header naming `pcds` (or `pcd`), `lat`, `long` and
  usually `doterm`, the date a postcode was terminated (blank while it is live). A postcode with
  no grid reference has latitude 99.999999.
- Ordnance Survey's Code-Point Open CSV files: no header; postcode, positional quality,
  eastings, northings, then administrative codes. Quality 90 means no coordinates.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TextIO

from placements.geo import normalise_postcode
from placements.postcodes.grid import grid_to_wgs84

NO_GRID_REFERENCE = 99.999999  # ONSPD's latitude for a postcode it cannot place
CODE_POINT_NO_COORDINATES = "90"


class PostcodeFileRefused(ValueError):
    """The file is not one we can read; nothing was loaded."""


@dataclass
class Skipped:
    terminated: int = 0
    no_coordinates: int = 0
    not_postcodes: int = 0


@dataclass
class PostcodeRows:
    """The file's format and its live, placed postcodes, read as they are iterated;
    `skipped` counts the others once iteration has finished."""

    format: str
    rows: Iterator[tuple[str, float, float]]
    skipped: Skipped = field(default_factory=Skipped)


def _number(text: str, line: int, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise PostcodeFileRefused(f"line {line}: the {what} {text!r} is not a number") from None


def _onspd(
    reader: Iterator[list[str]], header: list[str], skipped: Skipped
) -> Iterator[tuple[str, float, float]]:
    columns = {name.strip().lower(): index for index, name in enumerate(header)}
    code = columns["pcds"] if "pcds" in columns else columns["pcd"]
    lat_at, lon_at, ended_at = columns["lat"], columns["long"], columns.get("doterm")
    for line, cells in enumerate(reader, start=2):
        if not cells:
            continue
        if ended_at is not None and cells[ended_at].strip():
            skipped.terminated += 1
            continue
        lat = _number(cells[lat_at], line, "latitude")
        if lat == NO_GRID_REFERENCE:
            skipped.no_coordinates += 1
            continue
        postcode = normalise_postcode(cells[code])
        if postcode is None:
            skipped.not_postcodes += 1
            continue
        yield postcode, lat, _number(cells[lon_at], line, "longitude")


def _code_point(
    reader: Iterator[list[str]], first: list[str], skipped: Skipped
) -> Iterator[tuple[str, float, float]]:
    for line, cells in enumerate(_chain(first, reader), start=1):
        if not cells:
            continue
        if len(cells) < 4:
            raise PostcodeFileRefused(f"line {line}: a Code-Point Open row has at least 4 columns")
        easting, northing = _number(cells[2], line, "easting"), _number(cells[3], line, "northing")
        if cells[1].strip() == CODE_POINT_NO_COORDINATES or (easting == 0 and northing == 0):
            skipped.no_coordinates += 1
            continue
        postcode = normalise_postcode(cells[0])
        if postcode is None:
            skipped.not_postcodes += 1
            continue
        lat, lon = grid_to_wgs84(easting, northing)
        yield postcode, round(lat, 6), round(lon, 6)


def _chain(first: list[str], rest: Iterator[list[str]]) -> Iterator[list[str]]:
    yield first
    yield from rest


def _is_code_point(cells: list[str]) -> bool:
    if len(cells) < 4 or normalise_postcode(cells[0]) is None:
        return False
    return all(cell.strip().isdigit() for cell in cells[1:4])


def read_postcodes(text: TextIO) -> PostcodeRows:
    """The file's rows, after checking from its first line that it is ONSPD or Code-Point Open.

    Raises PostcodeFileRefused at once for any other file, and while iterating for a row that
    cannot be read (a coordinate that is not a number)."""
    reader = csv.reader(text)
    first = next(reader, None)
    if not first:
        raise PostcodeFileRefused("the file is empty")
    names = {cell.strip().lower() for cell in first}
    skipped = Skipped()
    if names & {"pcds", "pcd"} and {"lat", "long"} <= names:
        return PostcodeRows("ONS Postcode Directory", _onspd(reader, first, skipped), skipped)
    if _is_code_point(first):
        return PostcodeRows("Code-Point Open", _code_point(reader, first, skipped), skipped)
    raise PostcodeFileRefused(
        "this is neither the ONS Postcode Directory (a CSV whose header names pcds or pcd, lat and long) "
        "nor Code-Point Open (no header; postcode, positional quality, eastings, northings)"
    )
