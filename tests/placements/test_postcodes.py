"""Postcodes anywhere: loading ONSPD and Code-Point Open files, and placing a postcode from them."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from placements.cli import main
from placements.geo import district_centroid
from placements.postcodes.files import PostcodeFileRefused, read_postcodes
from placements.postcodes.grid import grid_to_osgb36, grid_to_wgs84, osgb36_to_wgs84
from placements.postcodes.lookup import Location, Precision, locate, locate_many
from placements.postcodes.models import Postcode, PostcodeArea
from placements.postcodes.services import load_postcode_file, replace_postcodes

ONSPD = """pcd,pcds,dointr,doterm,oscty,lat,long,ctry
LS1 4DY,LS1 4DY,198001,,E99999999,53.796600,-1.547600,E92000001
LS1 4AP,LS1 4AP,198001,,E99999999,53.798000,-1.549000,E92000001
LS1 5QX,LS1 5QX,199506,,E99999999,53.795000,-1.544000,E92000001
LS1 4ZZ,LS1 4ZZ,198001,201203,E99999999,53.700000,-1.400000,E92000001
LS1 4QQ,LS1 4QQ,201001,,E99999999,99.999999,0.000000,E92000001
"""
# Leeds: outside Lancashire, so the built-in district centroids know none of it.
LEEDS = [("LS1 4DY", 53.7966, -1.5476), ("LS1 4AP", 53.798, -1.549), ("LS1 5QX", 53.795, -1.544)]


def _file(tmp_path: Path, text: str, name: str = "postcodes.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


async def _placements(*arguments: str) -> Result:
    """The command line, in a thread: it runs its own event loop, as from a terminal."""
    return await asyncio.to_thread(CliRunner().invoke, main, list(arguments))


async def _count(db, model) -> int:
    await db.rollback()  # a fresh snapshot: the command committed in between
    return await db.scalar(select(func.count()).select_from(model))


def test_grid_references_become_latitude_and_longitude():
    # Ordnance Survey's worked example (A guide to coordinate systems in Great Britain, C.2).
    lat, lon = grid_to_osgb36(651409.903, 313177.270)
    assert lat == pytest.approx(52 + 39 / 60 + 27.2531 / 3600, abs=1e-8)
    assert lon == pytest.approx(1 + 43 / 60 + 4.5177 / 3600, abs=1e-8)
    # The Royal Observatory, Greenwich: 51.4775 N 0 E on OSGB36; 51.4780 N 0.00159 W on WGS84 by Helmert.
    assert grid_to_osgb36(538874.197, 177344.080) == pytest.approx((51.4775, 0.0), abs=1e-8)
    assert grid_to_wgs84(538876, 177344) == pytest.approx((51.47801, -0.001594), abs=5e-6)
    # Jodrell Bank: WGS84 53°14'10.5" N 2°18'25.7" W is 53.235974 N 2.305717 W on OSGB36.
    assert osgb36_to_wgs84(53.235974, -2.305717) == pytest.approx(
        (53 + 14 / 60 + 10.5 / 3600, -(2 + 18 / 60 + 25.7 / 3600)), abs=2e-6
    )


def test_a_file_in_neither_format_is_refused_from_its_first_line():
    for text in (
        "",
        "name,email\nAisha,a@example.org\n",
        "PR1 2HE,10,abc,429000\n",
        "pcds,lat\nPR1 2HE,53\n",
    ):
        with pytest.raises(PostcodeFileRefused):
            read_postcodes(io.StringIO(text))


async def test_loading_onspd_keeps_live_placed_postcodes_and_computes_sectors_and_districts(db, tmp_path):
    done = await load_postcode_file(db, _file(tmp_path, ONSPD))
    await db.commit()
    assert done.format == "ONS Postcode Directory"
    assert (done.loaded.postcodes, done.loaded.sectors, done.loaded.districts) == (3, 2, 1)
    assert (done.skipped.terminated, done.skipped.no_coordinates) == (1, 1)
    assert set(await db.scalars(select(Postcode.postcode))) == {"LS1 4DY", "LS1 4AP", "LS1 5QX"}
    sector = await db.get(PostcodeArea, "LS1 4")
    assert (sector.lat, sector.lon, sector.postcodes) == (pytest.approx(53.7973), pytest.approx(-1.5483), 2)
    district = await db.get(PostcodeArea, "LS1")
    assert district.postcodes == 3 and district.lat == pytest.approx((53.7966 + 53.798 + 53.795) / 3)

    reloaded = await load_postcode_file(
        db, _file(tmp_path, "pcds,lat,long\nLS2 9JT,53.8067,-1.5550\n", "new.csv")
    )
    await db.commit()
    assert reloaded.loaded.postcodes == 1
    assert list(await db.scalars(select(Postcode.postcode))) == ["LS2 9JT"]
    assert set(await db.scalars(select(PostcodeArea.code))) == {"LS2 9", "LS2"}


async def test_a_postcode_is_placed_by_itself_then_its_sector_then_its_district_then_the_built_in_table(db):
    await replace_postcodes(db, [*LEEDS, ("PR1 2HE", 53.7632, -2.7031)])
    await db.commit()
    assert await locate(db, "ls14dy") == Location(53.7966, -1.5476, Precision.POSTCODE)
    sector = await locate(db, "LS1 4XX")  # a new postcode, not in the file yet
    assert sector.precision is Precision.SECTOR and sector[:2] == pytest.approx((53.7973, -1.5483))
    district = await locate(db, "LS1 9XX")
    assert district.precision is Precision.DISTRICT and district.lat == pytest.approx(53.7965333)
    assert await locate(db, "PR1 2HE") == Location(53.7632, -2.7031, Precision.POSTCODE)
    # The loaded file's district comes before the built-in one; a district it lacks falls back.
    assert await locate(db, "PR1 9XX") == Location(53.7632, -2.7031, Precision.DISTRICT)
    assert await locate(db, "BB1 7DH") == Location(*district_centroid("BB1 7DH"), Precision.DISTRICT)
    assert await locate(db, "M1 1AA") is None
    assert await locate(db, "not a postcode") is None and await locate(db, None) is None
    many = await locate_many(db, ["LS1 4DY", "BB1 7DH", "M1 1AA", "", None])
    assert set(many) == {"LS1 4DY", "BB1 7DH"}


async def test_with_nothing_loaded_only_lancashire_is_placed(db):
    assert await locate(db, "BB1 7DH") == Location(*district_centroid("BB1 7DH"), Precision.DISTRICT)
    assert await locate(db, "LS1 4DY") is None


async def test_the_load_command_replaces_the_table_and_refuses_a_bad_file_changing_nothing(db, tmp_path):
    loaded = await _placements("postcodes", "load", str(_file(tmp_path, ONSPD)))
    assert loaded.exit_code == 0, loaded.output
    assert "Loaded 3 postcodes, 2 sectors and 1 districts" in loaded.output
    assert "Left out 1 terminated postcodes, 1 without coordinates" in loaded.output
    assert await _count(db, Postcode) == 3

    for text, says in (
        ("name,email\nAisha,a@example.org\n", "neither the ONS Postcode Directory"),
        (
            "pcds,lat,long\nLS2 9JT,53.8,-1.5\nLS2 9JU,north,-1.5\n",
            "line 3: the latitude 'north' is not a number",
        ),
        ("pcds,lat,long\nLS2 9JT,53.8,-1.5\nls29jt,53.8,-1.5\n", "lists a postcode more than once"),
    ):
        refused = await _placements("postcodes", "load", str(_file(tmp_path, text, "bad.csv")))
        assert refused.exit_code != 0 and says in refused.output and "Nothing was changed" in refused.output
        assert await _count(db, Postcode) == 3 and await _count(db, PostcodeArea) == 3

    zipped = _file(tmp_path, "", "onspd.zip")
    zipped.write_bytes(b"PK\x03\x04\xff\xfe\x00binary")
    refused = await _placements("postcodes", "load", str(zipped))
    assert refused.exit_code != 0 and "unzip it first" in refused.output
    assert await _count(db, Postcode) == 3


async def test_code_point_open_grid_references_are_converted(db, tmp_path):
    code_point = (
        '"SE109NF",10,538876,177344,"E92000001","E19000003","E18000007","","E09000011","E05000214"\n'
        '"SE109ZZ",90,0,0,"E92000001","","","","",""\n'
    )
    loaded = await _placements("postcodes", "load", str(_file(tmp_path, code_point, "se_data.csv")))
    assert loaded.exit_code == 0, loaded.output
    assert "(Code-Point Open)" in loaded.output and "1 without coordinates" in loaded.output
    await db.rollback()
    greenwich = await locate(db, "SE10 9NF")
    assert greenwich.precision is Precision.POSTCODE
    assert greenwich[:2] == pytest.approx((51.47801, -0.001594), abs=1e-5)
