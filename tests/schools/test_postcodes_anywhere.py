"""With the postcode file loaded, schools and pupils' homes anywhere are placed by postcode."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from placements.accounts.models import Role
from placements.clock import today
from placements.postcodes.services import replace_postcodes
from schools.models import Pupil, School
from schools.validation import academic_year_start
from tests.employers.test_locations import disclosure
from tests.placements.test_postcodes import LEEDS
from tests.schools.test_import import HEADER, born, upload
from tests.schools.test_locations import SCHOOL
from tests.schools.test_pupils import FORM as PUPIL
from tests.schools.test_pupils import _born_in_year_10
from tests.support import make_user


@pytest.fixture
async def leeds(db):
    await replace_postcodes(db, LEEDS)
    await db.commit()


async def test_a_school_in_leeds_is_placed_by_its_postcode_and_moves_with_it(client, db, leeds):
    await client.sign_in(await make_user(db, Role.COORDINATOR))
    saved = await client.submit("/schools/new", {**SCHOOL, "postcode": "ls14dy"})
    assert saved.status_code == 303, saved.text
    await db.commit()
    school = await db.scalar(select(School))
    assert (school.postcode, school.lat, school.lon) == ("LS1 4DY", 53.7966, -1.5476)

    is_open, inside = disclosure((await client.page(f"/schools/{school.id}/edit")).text)
    assert not is_open and 'value="53' not in inside
    moved = await client.submit(f"/schools/{school.id}/edit", {**SCHOOL, "postcode": "LS1 5QX"})
    assert moved.status_code == 303, moved.text
    await db.commit()  # a fresh snapshot: the app committed in between
    await db.refresh(school)
    assert (school.lat, school.lon) == (53.795, -1.544)


async def test_a_home_in_a_sector_of_the_file_is_placed_at_the_sector(client, db, leeds):
    await client.sign_in(await make_user(db, Role.SCHOOL_STAFF))
    saved = await client.submit("/pupils/new", {**PUPIL, **_born_in_year_10(), "home_postcode": "LS1 4XX"})
    assert saved.status_code == 303, saved.text
    await db.commit()
    pupil = await db.scalar(select(Pupil))
    assert (pupil.lat, pupil.lon) == (pytest.approx(53.7973), pytest.approx(-1.5483))


async def test_the_api_places_schools_and_pupils_from_the_file(client, db, leeds):
    await client.sign_in(await make_user(db, Role.COORDINATOR))
    school = await client.api("POST", "/api/schools", json={**SCHOOL, "postcode": "LS1 4AP"})
    assert school.status_code == 201, school.text
    assert (school.json()["lat"], school.json()["lon"]) == (53.798, -1.549)

    await client.sign_in(await make_user(db, Role.SCHOOL_STAFF))
    body = {
        "first_name": "Ben",
        "last_name": "Jones",
        "date_of_birth": f"{academic_year_start(today()) - 15}-01-15",
        "year_group": 10,
        "home_postcode": "LS1 5QX",
    }
    pupil = await client.api("POST", "/api/pupils", json={**body, "reference": "API-1"})
    assert pupil.status_code == 201, pupil.text
    assert (pupil.json()["lat"], pupil.json()["lon"]) == (53.795, -1.544)
    nowhere = await client.api(
        "POST", "/api/pupils", json={**body, "reference": "API-2", "home_postcode": "M1 1AA"}
    )
    assert nowhere.status_code == 201 and nowhere.json()["lat"] is None


async def test_an_imported_file_places_every_home_from_the_file(client, db, leeds):
    await client.sign_in(await make_user(db, Role.SCHOOL_STAFF))
    rows = [
        f"R{n},Pupil{n},Smith,{born()},10,{postcode},no,no\n"
        for n, postcode in enumerate(["LS1 4DY", "BB1 7DH", "M1 1AA"])
    ]
    uploaded = await upload(client, (HEADER + "".join(rows)).encode())
    assert uploaded.status_code == 303, uploaded.text
    assert (await client.submit(uploaded.headers["location"], {})).status_code == 303
    await db.commit()
    placed = {p.home_postcode: (p.lat, p.lon) for p in await db.scalars(select(Pupil))}
    assert placed["LS1 4DY"] == (53.7966, -1.5476)
    assert placed["BB1 7DH"] == (53.753, -2.47)  # the built-in centroid: the file has no BB1
    assert placed["M1 1AA"] == (None, None)  # kept; the pupil travels from school
