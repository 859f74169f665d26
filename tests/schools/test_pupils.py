"""Pupils through pages and API: add, edit, list, search, the school-age check, access needs."""

from __future__ import annotations

import re

from sqlalchemy import select

from placements.accounts.models import Role
from placements.audit.models import AuditEntry
from placements.clock import today
from schools.models import Pupil
from schools.validation import academic_year_start
from tests.support import assert_refused, make_pupil, make_school, make_user


def _born_in_year_10() -> dict[str, str]:
    year = academic_year_start(today()) - 15
    return {"date_of_birth-day": "15", "date_of_birth-month": "1", "date_of_birth-year": str(year)}


FORM = {
    "first_name": "Aisha",
    "last_name": "Khan",
    "year_group": "10",
    "home_postcode": "pr1 2he",
    "max_travel_km": "15",
    "flags": ["pupil_premium", "send"],
    "access_needs": "Uses a wheelchair",
    "emergency_contact_name": "Sara Khan",
    "emergency_contact_relationship": "Mother",
    "emergency_contact_phone": "07700 900123",
}


async def test_school_staff_add_a_pupil_through_the_form(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    await client.sign_in(staff)
    response = await client.submit("/pupils/new", {**FORM, **_born_in_year_10(), "reference": "A100"})
    assert response.status_code == 303, response.text
    pupil = await db.scalar(select(Pupil).where(Pupil.reference == "A100"))
    assert pupil.school_id == staff.school_id
    assert pupil.home_postcode == "PR1 2HE" and pupil.lat is not None  # from the postcode district
    assert pupil.pupil_premium and pupil.send and not pupil.looked_after
    entry = await db.scalar(select(AuditEntry).where(AuditEntry.action == "pupil_created"))
    assert entry.record_id == str(pupil.id) and "Aisha" not in str(entry.detail)

    page = await client.page(f"/pupils/{pupil.id}")
    assert "Uses a wheelchair" in page.text and "Consent missing" in page.text


async def test_an_ordinary_pupil_with_only_the_required_fields_is_added_and_edited(client, db):
    """Most pupils have no priority flag ticked: the form then posts no `flags` field at all."""
    staff = await make_user(db, Role.SCHOOL_STAFF)
    await client.sign_in(staff)
    required = {"first_name": "Sam", "last_name": "Lee", "year_group": "10", **_born_in_year_10()}
    response = await client.submit("/pupils/new", required)
    assert response.status_code == 303, response.text
    pupil = await db.scalar(select(Pupil).where(Pupil.first_name == "Sam"))
    assert not (pupil.pupil_premium or pupil.send or pupil.looked_after)
    await db.commit()  # end this read so the edit below is seen
    edited = await client.submit(f"/pupils/{pupil.id}/edit", {**required, "last_name": "Leigh"})
    assert edited.status_code == 303, edited.text
    await db.refresh(pupil)
    assert pupil.last_name == "Leigh"


async def test_an_empty_pupil_form_is_shown_again_with_an_error_summary(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    await client.sign_in(staff)
    response = await client.submit("/pupils/new", {})
    assert response.status_code == 400
    assert "govuk-error-summary" in response.text and "Enter" in response.text
    assert await db.scalar(select(Pupil.id)) is None


async def test_form_errors_keep_what_was_typed_and_save_nothing(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    await client.sign_in(staff)
    response = await client.submit(
        "/pupils/new",
        {
            **FORM,
            "date_of_birth-day": "1",
            "date_of_birth-month": "1",
            "date_of_birth-year": "2001",
            "year_group": "10",
            "emergency_contact_phone": "call me",
        },
    )
    assert response.status_code == 400
    assert "Date of birth does not fit year 10" in response.text
    assert "Enter a phone number" in response.text
    assert 'value="Aisha"' in response.text
    assert await db.scalar(select(Pupil.id)) is None


async def test_year_group_out_of_range_is_refused(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    await client.sign_in(staff)
    response = await client.submit("/pupils/new", {**FORM, **_born_in_year_10(), "year_group": "5"})
    assert response.status_code == 400
    assert "Year group must be a number from 7 to 13" in response.text


async def test_edit_a_pupil_and_list_search(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    pupil = await make_pupil(db, staff.school_id, first_name="Zed", last_name="Quill")
    await make_pupil(db, staff.school_id, first_name="Other", last_name="Person")
    await client.sign_in(staff)
    values = {
        **FORM,
        **_born_in_year_10(),
        "reference": pupil.reference,
        "first_name": "Zedd",
        "last_name": "Quill",
    }
    assert (await client.submit(f"/pupils/{pupil.id}/edit", values)).status_code == 303
    await db.refresh(pupil)
    assert pupil.first_name == "Zedd"
    listing = await client.page("/pupils?q=quill")
    assert "Zedd Quill" in listing.text and "Other Person" not in listing.text
    assert "Uses a wheelchair" not in listing.text  # access needs never in lists
    missing = await client.page("/pupils?consent=missing")
    assert "Zedd Quill" in missing.text and "missing parental consent" in missing.text


async def test_search_takes_wildcards_literally(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    await make_pupil(db, staff.school_id, first_name="Zed", last_name="Quill")
    await make_pupil(db, staff.school_id, first_name="Ann", last_name="O_Neil")
    await client.sign_in(staff)
    assert "Zed Quill" not in (await client.page("/pupils?q=%25")).text
    underscore = await client.page("/pupils?q=_")
    assert "O_Neil" in underscore.text and "Zed Quill" not in underscore.text
    assert "Zed Quill" in (await client.page("/pupils?q=ZED QU")).text


async def test_pupil_api_create_read_update_delete(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    await client.sign_in(staff)
    born = f"{academic_year_start(today()) - 15}-01-15"
    body = {
        "reference": "API-1",
        "first_name": "Ben",
        "last_name": "Jones",
        "date_of_birth": born,
        "year_group": 10,
        "access_needs": "Quiet room",
    }
    created = await client.api("POST", "/api/pupils", json=body)
    assert created.status_code == 201, created.text
    pupil_id = created.json()["id"]
    assert created.json()["access_needs"] == "Quiet room"
    assert created.json()["has_current_consent"] is False

    duplicate = await client.api("POST", "/api/pupils", json=body)
    assert_refused(duplicate, field="reference")
    wrong_age = await client.api("POST", "/api/pupils", json={**body, "reference": "API-2", "year_group": 7})
    assert_refused(wrong_age, "does not fit year 7", field="date_of_birth")

    updated = await client.api("PUT", f"/api/pupils/{pupil_id}", json={**body, "first_name": "Benjamin"})
    assert updated.status_code == 200 and updated.json()["first_name"] == "Benjamin"
    listing = await client.api("GET", "/api/pupils?q=benj")
    assert listing.json()["total"] == 1
    assert (await client.api("DELETE", f"/api/pupils/{pupil_id}")).status_code == 204
    assert (await client.api("GET", f"/api/pupils/{pupil_id}")).status_code == 404


async def test_coordinators_see_pupils_but_not_access_needs(client, db):
    school = await make_school(db)
    pupil = await make_pupil(db, school.id, access_needs="Hearing loop needed")
    coordinator = await make_user(db, Role.COORDINATOR)
    await client.sign_in(coordinator)
    page = await client.page(f"/pupils/{pupil.id}")
    assert page.status_code == 200 and "Hearing loop needed" not in page.text
    api = await client.api("GET", f"/api/pupils/{pupil.id}")
    assert api.json()["access_needs"] is None
    assert (await client.api("POST", "/api/pupils", json={})).status_code == 403


async def test_a_long_list_pages_with_its_total_and_a_page_past_the_end_is_empty(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    for n in range(30):
        await make_pupil(db, staff.school_id, last_name=f"Pupil{n:02d}")
    other_school = await make_school(db)
    await make_pupil(db, other_school.id)
    await client.sign_in(staff)

    pages = [
        await client.api("GET", f"/api/pupils?limit=12&offset={offset}") for offset in (0, 12, 24, 36, 120)
    ]
    assert [page.json()["total"] for page in pages] == [30, 30, 30, 30, 30]
    names = [item["last_name"] for page in pages for item in page.json()["items"]]
    assert names == [f"Pupil{n:02d}" for n in range(30)]
    assert (await client.api("GET", "/api/pupils?q=nobody-by-this-name")).json()["total"] == 0

    first = await client.page("/pupils")
    assert "Showing 1 to 25 of 30 pupils" in first.text
    assert 'href="/pupils?page=2" rel="next"' in first.text and 'rel="prev"' not in first.text
    second = await client.page("/pupils?page=2")
    assert second.status_code == 200 and "Pupil29" in second.text and "Pupil24" not in second.text
    assert 'href="/pupils?page=1" rel="prev"' in second.text and 'rel="next"' not in second.text
    beyond = await client.page("/pupils?page=9")
    assert beyond.status_code == 200 and "of 30 pupils" in beyond.text
    assert not re.search(r"Pupil\d\d", beyond.text)
