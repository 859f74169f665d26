"""With the postcode file loaded, employers and placements anywhere are placed by postcode."""

from __future__ import annotations

from sqlalchemy import select

from employers.models import Employer, Placement
from placements.accounts.models import Role
from tests.employers.test_locations import NOT_FOUND
from tests.employers.test_placements import FORM as PLACEMENT
from tests.employers.test_sign_up import FORM as SIGN_UP
from tests.schools.test_postcodes_anywhere import leeds  # noqa: F401  (the fixture)
from tests.support import make_round, make_user


async def test_an_employer_in_leeds_signs_up_by_postcode(client, db, leeds):  # noqa: F811
    response = await client.submit("/employers/sign-up", {**SIGN_UP, "postcode": "LS1 4DY"})
    assert response.status_code == 200 and "Check your email" in response.text
    await db.commit()
    employer = await db.scalar(select(Employer))
    assert (employer.postcode, employer.lat, employer.lon) == ("LS1 4DY", 53.7966, -1.5476)

    nowhere = await client.submit(
        "/employers/sign-up", {**SIGN_UP, "postcode": "M1 1AA", "user_email": "b@b.org"}
    )
    assert nowhere.status_code == 400 and NOT_FOUND in nowhere.text


async def test_placements_in_leeds_by_page_and_api(client, db, leeds):  # noqa: F811
    placement_round = await make_round(db)
    await client.sign_in(await make_user(db, Role.EMPLOYER_USER))
    week = placement_round.weeks[0]
    saved = await client.submit("/placements/new", {**PLACEMENT, "postcode": "LS1 4AP", "weeks": [week]})
    assert saved.status_code == 303, saved.text
    await db.commit()
    placement = await db.scalar(select(Placement))
    assert (placement.lat, placement.lon) == (53.798, -1.549)

    body = {
        "title": "Helpdesk trainee",
        "description": "Answer calls with us.",
        "pathway": "IT support",
        "work_mode": "on_site",
        "address": "1 Park Row",
        "postcode": "LS1 5QX",
        "weeks": [week],
        "capacity": 2,
        "year_groups": [12],
        "supervisor_name": "Ian",
    }
    created = await client.api("POST", "/api/placements", json=body)
    assert created.status_code == 201, created.text
    assert (created.json()["lat"], created.json()["lon"]) == (53.795, -1.544)
    refused = await client.api("POST", "/api/placements", json={**body, "postcode": "M1 1AA"})
    assert refused.status_code == 422 and NOT_FOUND in refused.text
