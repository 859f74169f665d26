"""Replacing the loaded postcodes with a new file's, and computing their sectors and districts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from placements.postcodes.files import Skipped, read_postcodes
from placements.postcodes.models import Postcode, PostcodeArea

BATCH = 10_000


@dataclass(frozen=True)
class Loaded:
    postcodes: int
    sectors: int
    districts: int


@dataclass(frozen=True)
class LoadedFile:
    format: str
    loaded: Loaded
    skipped: Skipped


async def load_postcode_file(db: AsyncSession, path: Path) -> LoadedFile:
    """Replace the loaded postcodes with those of the ONSPD or Code-Point Open file at `path`.

    Raises PostcodeFileRefused (or UnicodeDecodeError for a file that is not text) before anything
    changes when the file is in neither format, and while loading for a row that cannot be read:
    the caller's transaction must then be rolled back."""
    with path.open(newline="", encoding="utf-8-sig") as text:
        rows = read_postcodes(text)
        loaded = await replace_postcodes(db, rows.rows)
    return LoadedFile(format=rows.format, loaded=loaded, skipped=rows.skipped)


async def replace_postcodes(db: AsyncSession, rows: Iterable[tuple[str, float, float]]) -> Loaded:
    """Delete the previous load and insert `rows` (normalised postcode, latitude, longitude) in
    batches, then the sectors and districts. The caller's transaction makes it all or nothing, and
    until it commits every lookup still sees the previous load."""
    await db.execute(delete(PostcodeArea))
    await db.execute(delete(Postcode))
    table = Postcode.__table__
    loaded = 0
    rows = iter(rows)
    while batch := [{"postcode": p, "lat": lat, "lon": lon} for p, lat, lon in islice(rows, BATCH)]:
        await db.execute(insert(table), batch)
        loaded += len(batch)
    sectors = await _insert_areas(db, chars_dropped=2)  # "PR1 2HE" → "PR1 2"
    districts = await _insert_areas(db, chars_dropped=4)  # "PR1 2HE" → "PR1"
    return Loaded(postcodes=loaded, sectors=sectors, districts=districts)


async def _insert_areas(db: AsyncSession, *, chars_dropped: int) -> int:
    # Every normalised postcode ends in a space and three characters ("9AA"), so the sector and
    # the district are prefixes of a known length on both SQLite and PostgreSQL.
    code = func.substr(Postcode.postcode, 1, func.length(Postcode.postcode) - chars_dropped)
    areas = select(code, func.avg(Postcode.lat), func.avg(Postcode.lon), func.count()).group_by(code)
    result = await db.execute(
        insert(PostcodeArea.__table__).from_select(["code", "lat", "lon", "postcodes"], areas)
    )
    return result.rowcount or 0
