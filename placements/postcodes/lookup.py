"""Placing a postcode on the map: the postcode itself, else its sector, else its district, from the
loaded table; else the built-in centroids of Lancashire's districts (all there is when no file
was loaded); else nowhere."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from placements.geo import DISTRICT_CENTROIDS, district_centroid, normalise_postcode
from placements.postcodes.models import Postcode, PostcodeArea

# Well under every database's limit on bound parameters in one statement.
CHUNK = 500


class Precision(StrEnum):
    POSTCODE = "postcode"
    SECTOR = "sector"
    DISTRICT = "district"


class Location(NamedTuple):
    lat: float
    lon: float
    precision: Precision


def sector_of(postcode: str) -> str:
    return postcode[:-2]


def district_of(postcode: str) -> str:
    return postcode.split(" ")[0]


async def _points(
    db: AsyncSession,
    model: type[Postcode] | type[PostcodeArea],
    key: InstrumentedAttribute[str],
    codes: set[str],
) -> dict[str, tuple[float, float]]:
    ordered = sorted(codes)
    found: dict[str, tuple[float, float]] = {}
    for start in range(0, len(ordered), CHUNK):
        rows = await db.execute(
            select(key, model.lat, model.lon).where(key.in_(ordered[start : start + CHUNK]))
        )
        found.update({code: (lat, lon) for code, lat, lon in rows.tuples()})
    return found


async def locate_many(db: AsyncSession, postcodes: Iterable[str | None]) -> dict[str, Location]:
    """Each postcode that can be placed, by its normalised form ("PR1 2HE")."""
    wanted = {found for raw in postcodes if raw and (found := normalise_postcode(raw))}
    if not wanted:
        return {}
    points = await _points(db, Postcode, Postcode.postcode, wanted)
    areas = await _points(
        db, PostcodeArea, PostcodeArea.code, {sector_of(p) for p in wanted} | {district_of(p) for p in wanted}
    )
    located: dict[str, Location] = {}
    for postcode in wanted:
        for point, precision in (
            (points.get(postcode), Precision.POSTCODE),
            (areas.get(sector_of(postcode)), Precision.SECTOR),
            (areas.get(district_of(postcode)), Precision.DISTRICT),
            (DISTRICT_CENTROIDS.get(district_of(postcode)), Precision.DISTRICT),
        ):
            if point is not None:
                located[postcode] = Location(point[0], point[1], precision)
                break
    return located


async def locate(db: AsyncSession, postcode: str | None) -> Location | None:
    """Where `postcode` is, as precisely as we know; None when it is not a postcode we can place."""
    normalised = normalise_postcode(postcode) if postcode else None
    if normalised is None:
        return None
    return (await locate_many(db, [normalised])).get(normalised)


async def coordinates_as_entered(
    db: AsyncSession, postcode: str | None, lat: float | None, lon: float | None
) -> dict[str, str]:
    """A form's `lat` and `lon` for a stored location: blank when they are only where the postcode
    places it (or where the built-in centroids placed it before a postcode file was loaded), so that
    changing the postcode moves the location with it."""
    if lat is None or lon is None:
        return {"lat": "", "lon": ""}
    located = await locate(db, postcode)
    if (lat, lon) in ((located.lat, located.lon) if located else None, district_centroid(postcode)):
        return {"lat": "", "lon": ""}
    return {"lat": str(lat), "lon": str(lon)}
