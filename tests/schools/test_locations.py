"""Schools and pupils' homes are placed on the map by postcode; coordinates are only the
exception, behind "Set the location by coordinates instead"."""

from __future__ import annotations

from sqlalchemy import func, select

from placements.accounts.models import Role
from placements.geo import district_centroid
from schools.models import Pupil, School
from tests.employers.test_locations import NOT_FOUND, disclosure
from tests.schools.test_pupils import FORM as PUPIL
from tests.schools.test_pupils import _born_in_year_10
from tests.support import make_pupil, make_user

SCHOOL = {"urn": "119584", "name": "Ribble High", "postcode": "M1 1AA", "phase": "secondary"}


async def test_a_school_at_a_postcode_we_cannot_find_is_refused_until_coordinates_are_given(client, db):
    await client.sign_in(await make_user(db, Role.COORDINATOR))
    is_open, _ = disclosure((await client.page("/schools/new")).text)
    assert not is_open

    refused = await client.submit("/schools/new", SCHOOL)
    assert refused.status_code == 400 and NOT_FOUND in refused.text and 'href="#postcode"' in refused.text
    await db.commit()
    assert await db.scalar(select(func.count()).select_from(School)) == 0

    half = await client.submit("/schools/new", {**SCHOOL, "lat": "53.4808"})
    assert half.status_code == 400 and "Enter both the latitude and the longitude" in half.text
    assert disclosure(half.text)[0]

    saved = await client.submit("/schools/new", {**SCHOOL, "lat": "53.4808", "lon": "-2.2426"})
    assert saved.status_code == 303, saved.text
    await db.commit()
    school = await db.scalar(select(School))
    assert (school.lat, school.lon) == (53.4808, -2.2426)


async def test_a_home_postcode_we_cannot_find_is_named_on_the_pupil_form(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    await client.sign_in(staff)
    form = {**PUPIL, **_born_in_year_10(), "home_postcode": "M1 1AA"}
    refused = await client.submit("/pupils/new", form)
    assert refused.status_code == 400 and 'href="#home_postcode"' in refused.text
    assert "We cannot find this postcode" in refused.text
    assert "set the home location by coordinates" in refused.text
    await db.commit()
    assert await db.scalar(select(func.count()).select_from(Pupil)) == 0

    saved = await client.submit("/pupils/new", {**form, "lat": "53.4808", "lon": "-2.2426"})
    assert saved.status_code == 303, saved.text
    await db.commit()
    pupil = await db.scalar(select(Pupil))
    assert (pupil.home_postcode, pupil.lat, pupil.lon) == ("M1 1AA", 53.4808, -2.2426)


async def test_a_pupils_home_placed_by_postcode_moves_with_a_new_postcode(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    pupil = await make_pupil(db, staff.school_id, home_postcode="PR1 2HE")
    pupil.lat, pupil.lon = district_centroid("PR1 2HE")
    await db.commit()
    await client.sign_in(staff)
    is_open, _ = disclosure((await client.page(f"/pupils/{pupil.id}/edit")).text)
    assert not is_open
    form = {**PUPIL, **_born_in_year_10(), "reference": pupil.reference, "home_postcode": "BB1 7DH"}
    response = await client.submit(f"/pupils/{pupil.id}/edit", form)
    assert response.status_code == 303, response.text
    await db.refresh(pupil)
    assert (pupil.lat, pupil.lon) == district_centroid("BB1 7DH")
