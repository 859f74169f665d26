"""Employers give a postcode and we place them on the map; coordinates are only the exception,
behind "Set the location by coordinates instead"."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from employers.models import Employer, Placement
from placements.accounts.models import Role
from placements.geo import district_centroid
from tests.employers.test_placements import FORM as PLACEMENT
from tests.employers.test_sign_up import FORM as SIGN_UP
from tests.support import make_employer, make_placement, make_round, make_user

NOT_FOUND = "We cannot find this postcode. Check it, or set the location by coordinates instead"
DISCLOSURE = re.compile(
    r"<details[^>]*>\s*<summary.*?Set the location by coordinates instead.*?</details>", re.S
)


def disclosure(html: str) -> tuple[bool, str]:
    """(whether it is open, its HTML); the latitude and longitude are asked nowhere else."""
    found = DISCLOSURE.findall(html)
    assert len(found) == 1, html
    assert 'name="lat"' not in DISCLOSURE.sub("", html) and 'name="lon"' not in DISCLOSURE.sub("", html)
    return bool(re.match(r"<details[^>]* open", found[0])), found[0]


async def test_sign_up_asks_for_the_postcode_and_keeps_coordinates_behind_a_closed_disclosure(client):
    page = await client.page("/employers/sign-up")
    assert 'name="postcode"' in page.text
    is_open, inside = disclosure(page.text)
    assert not is_open and 'name="lat"' in inside and 'name="lon"' in inside


async def test_a_postcode_we_cannot_find_is_named_on_the_form_and_nothing_is_saved(client, db):
    response = await client.submit("/employers/sign-up", {**SIGN_UP, "postcode": "M1 1AA"})
    assert response.status_code == 400
    assert "There is a problem" in response.text and 'href="#postcode"' in response.text
    assert re.search(r'id="postcode-error".*?' + re.escape(NOT_FOUND), response.text, re.S)
    assert 'value="M1 1AA"' in response.text
    await db.commit()
    assert await db.scalar(select(func.count()).select_from(Employer)) == 0

    saved = await client.submit(
        "/employers/sign-up", {**SIGN_UP, "postcode": "M1 1AA", "lat": "53.4808", "lon": "-2.2426"}
    )
    assert saved.status_code == 200 and "Check your email" in saved.text
    await db.commit()
    employer = await db.scalar(select(Employer))
    assert (employer.postcode, employer.lat, employer.lon) == ("M1 1AA", 53.4808, -2.2426)


async def test_wrong_coordinates_reshow_the_disclosure_open(client):
    response = await client.submit("/employers/sign-up", {**SIGN_UP, "lat": "530", "lon": "-2.2"})
    assert response.status_code == 400 and 'href="#lat"' in response.text
    is_open, inside = disclosure(response.text)
    assert is_open and 'value="530"' in inside


async def test_changing_the_postcode_moves_an_employer_placed_by_postcode(client, db):
    employer = await make_employer(db, postcode="PR1 2HE", lat=None, lon=None)
    employer.lat, employer.lon = district_centroid("PR1 2HE")
    user = await make_user(db, Role.EMPLOYER_USER, employer_id=employer.id)
    await client.sign_in(user)
    page = await client.page(f"/employers/{employer.id}/details")
    is_open, inside = disclosure(page.text)
    assert not is_open and 'value="53' not in inside

    response = await client.submit(f"/employers/{employer.id}/details", {**SIGN_UP, "postcode": "BB1 7DH"})
    assert response.status_code == 303, response.text
    await db.refresh(employer)
    assert (employer.lat, employer.lon) == district_centroid("BB1 7DH")


async def test_coordinates_set_by_hand_are_shown_on_the_edit_form(client, db):
    placement_round = await make_round(db)
    user = await make_user(db, Role.EMPLOYER_USER)
    placement = await make_placement(
        db, user.employer_id, placement_round.id, postcode="M1 1AA", lat=53.4808, lon=-2.2426
    )
    await client.sign_in(user)
    is_open, inside = disclosure((await client.page(f"/placements/{placement.id}/edit")).text)
    assert is_open and 'value="53.4808"' in inside and 'value="-2.2426"' in inside


async def test_a_placement_at_a_postcode_we_cannot_find_is_refused_until_coordinates_are_given(client, db):
    placement_round = await make_round(db)
    await client.sign_in(await make_user(db, Role.EMPLOYER_USER))
    form = {**PLACEMENT, "postcode": "M1 1AA", "weeks": [placement_round.weeks[0]]}
    refused = await client.submit("/placements/new", form)
    assert refused.status_code == 400 and NOT_FOUND in refused.text and 'href="#postcode"' in refused.text
    await db.commit()
    assert await db.scalar(select(func.count()).select_from(Placement)) == 0

    saved = await client.submit("/placements/new", {**form, "lat": "53.4808", "lon": "-2.2426"})
    assert saved.status_code == 303, saved.text
    await db.commit()
    placement = await db.scalar(select(Placement))
    assert (placement.lat, placement.lon) == (53.4808, -2.2426)
