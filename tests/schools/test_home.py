"""Figures on the home page: a school's for its staff (pupils, missing consent, its digital advisor),
the programme's for coordinators, an employer's own placements for its people."""

from __future__ import annotations

import re
from datetime import date

from employers.models import EmployerStatus
from placements.accounts.models import Role
from tests.support import (
    make_consent,
    make_employer,
    make_placement,
    make_pupil,
    make_round,
    make_school,
    make_user,
)


def figure(html: str, key: str) -> str:
    """The value next to `key` in the home page's list of the school's figures."""
    key_cell = rf'<dt class="govuk-summary-list__key">\s*{re.escape(key)}\s*</dt>'
    found = re.search(rf"{key_cell}\s*<dd[^>]*>\s*(.*?)\s*</dd>", html, re.DOTALL)
    assert found, f"no {key!r} on the page"
    return found.group(1)


async def test_school_staff_see_their_own_schools_figures(client, db):
    school = await make_school(db, name="Ribble High")
    staff = await make_user(db, Role.SCHOOL_STAFF, school_id=school.id, name="Sam Staff")
    consented = await make_pupil(db, school.id, first_name="Connie")
    await make_consent(db, consented.id)
    withdrawn = await make_pupil(db, school.id, first_name="Wendy")
    await make_consent(db, withdrawn.id, withdrawn_on=date(2026, 10, 1))
    await make_pupil(db, school.id, first_name="Nomi")
    # Another school's pupils, all without consent, and its advisor: none of it counts here.
    other = await make_school(db, name="Lune Academy")
    for _ in range(4):
        await make_pupil(db, other.id)
    await make_user(db, Role.SCHOOL_STAFF, school_id=other.id, name="Olive Other", is_digital_advisor=True)

    await client.sign_in(staff)
    home = await client.page("/")
    assert home.status_code == 200
    assert "Ribble High" in home.text and "Lune Academy" not in home.text
    assert figure(home.text, "Pupils registered") == "3"
    assert figure(home.text, "Pupils missing consent") == "2"
    assert figure(home.text, "Digital advisor") == "None"
    assert "Olive Other" not in home.text
    assert "Your school has no digital advisor" in home.text
    assert 'href="/pupils?consent=missing"' in home.text

    # The link leads to the two pupils without consent.
    missing = await client.page("/pupils?consent=missing")
    assert "Wendy" in missing.text and "Nomi" in missing.text and "Connie" not in missing.text

    await make_user(db, Role.SCHOOL_STAFF, school_id=school.id, name="Dee Advisor", is_digital_advisor=True)
    await make_consent(db, withdrawn.id)
    await make_consent(db, (await make_pupil(db, other.id)).id)
    home = await client.page("/")
    assert figure(home.text, "Pupils registered") == "3"
    assert figure(home.text, "Pupils missing consent") == "1"
    assert figure(home.text, "Digital advisor") == "Dee Advisor"
    assert "Your school has no digital advisor" not in home.text


async def test_a_school_with_every_consent_has_no_missing_link(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    pupil = await make_pupil(db, staff.school_id)
    await make_consent(db, pupil.id)
    await client.sign_in(staff)
    home = await client.page("/")
    assert figure(home.text, "Pupils registered") == "1"
    assert figure(home.text, "Pupils missing consent") == "0"
    assert "/pupils?consent=missing" not in home.text


async def test_coordinators_see_the_programmes_figures_and_employers_their_own(client, db):
    round_ = await make_round(db)
    schools = [await make_school(db) for _ in range(2)]
    for school in (*schools, schools[0]):
        await make_pupil(db, school.id)
    approved = await make_employer(db)
    await make_employer(db, status=EmployerStatus.PENDING)
    for _ in range(3):
        await make_placement(db, approved.id, round_.id)
    other = await make_employer(db)
    await make_placement(db, other.id, round_.id)

    await client.sign_in(await make_user(db, Role.COORDINATOR))
    home = (await client.page("/")).text
    assert figure(home, "Schools") == "2"
    assert figure(home, "Employers") == "3 (1 waiting for approval)"
    assert figure(home, "Pupils registered") == "3"
    assert figure(home, "Placements posted") == "4"
    assert "waiting for a decision" not in home  # no review requests

    await client.sign_in(await make_user(db, Role.EMPLOYER_USER, employer_id=approved.id))
    assert "3 placements posted." in (await client.page("/")).text
