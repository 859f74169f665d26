"""Consent rules, erasure leaving no trace of the name, subject access export, the access matrix."""

from __future__ import annotations

import pytest
from sqlalchemy import String, Text, func, select, text
from sqlalchemy.types import JSON

from placements.accounts.models import Role
from placements.app import metadata
from placements.audit.models import AuditEntry
from schools.models import ErasedPupil
from schools.queries import pupils_with_current_consent
from tests.support import assert_refused, make_consent, make_pupil, make_school, make_user


async def test_consent_recorded_withdrawn_and_only_consented_pupils_are_eligible(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    pupil = await make_pupil(db, staff.school_id)
    other = await make_pupil(db, staff.school_id)
    pupil_id, other_id, school_id = pupil.id, other.id, staff.school_id
    await client.sign_in(staff)
    page = await client.submit(
        f"/pupils/{pupil_id}/consent",
        {
            "given_by": "Mary Parent",
            "relationship": "Mother",
            "given_on-day": "1",
            "given_on-month": "9",
            "given_on-year": "2026",
            "text_version": "2026-1",
        },
    )
    assert page.status_code == 303, page.text
    await db.rollback()
    assert [p.id for p in await pupils_with_current_consent(db, [school_id])] == [pupil_id]
    listing = await client.api("GET", "/api/pupils?consent=missing")
    assert [item["id"] for item in listing.json()["items"]] == [str(other_id)]

    future = await client.api(
        "POST",
        f"/api/pupils/{other_id}/consents",
        json={"given_by": "X", "relationship": "Father", "given_on": "2999-01-01", "text_version": "1"},
    )
    assert_refused(future, field="given_on")
    withdrawn = await client.submit(
        f"/pupils/{pupil_id}/consent/withdraw",
        {"withdrawn_on-day": "2", "withdrawn_on-month": "9", "withdrawn_on-year": "2026"},
    )
    assert withdrawn.status_code == 303
    await db.rollback()
    assert await pupils_with_current_consent(db) == []
    again = await client.api(
        "POST", f"/api/pupils/{pupil_id}/consents/withdraw", json={"withdrawn_on": "2026-09-03"}
    )
    assert_refused(again, field="withdrawn_on")
    history = await client.api("GET", f"/api/pupils/{pupil_id}/consents")
    assert history.json()[0]["withdrawn_on"] == "2026-09-02"
    actions = set(await db.scalars(select(AuditEntry.action).where(AuditEntry.record_id == str(pupil_id))))
    assert {"consent_recorded", "consent_withdrawn"} <= actions


async def test_empty_consent_form_shows_messages(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    pupil = await make_pupil(db, staff.school_id)
    await client.sign_in(staff)
    response = await client.submit(f"/pupils/{pupil.id}/consent", {})
    assert response.status_code == 400
    assert "Enter the name of the person who gave consent" in response.text
    assert "Enter the date consent was given" in response.text


async def _texts_containing(db, needle: str) -> list[str]:
    found = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, String | Text | JSON) or column.type.__class__.__name__ in (
                "JsonB",
                "JSONB",
            ):
                rows = await db.execute(
                    select(func.count())
                    .select_from(table)
                    .where(
                        func.lower(
                            column.cast(Text) if not isinstance(column.type, String | Text) else column
                        ).like(f"%{needle.lower()}%")
                    )
                )
                if rows.scalar():
                    found.append(f"{table.name}.{column.name}")
    # Sessions and anything else stored as bytes.
    for (value,) in (await db.execute(text("SELECT value FROM kv_store"))).all():
        if needle.lower().encode() in bytes(value).lower():
            found.append("kv_store.value")
    return found


async def test_erasure_leaves_no_trace_of_the_name_anywhere(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    pupil = await make_pupil(
        db, staff.school_id, first_name="Wilhelmina", last_name="Zarquon", pupil_premium=True
    )
    await make_consent(db, pupil.id, given_by="Parent Person")
    pupil_id, school_id = pupil.id, staff.school_id
    await client.sign_in(staff)
    # Touch the pupil every way that writes: edit, view, an import that names them, the SAR.
    await client.api(
        "PUT",
        f"/api/pupils/{pupil_id}",
        json={
            "reference": pupil.reference,
            "first_name": "Wilhelmina",
            "last_name": "Zarquon",
            "date_of_birth": pupil.date_of_birth.isoformat(),
            "year_group": 10,
            "pupil_premium": True,
        },
    )
    await client.page(f"/pupils/{pupil_id}")
    await client.api(
        "POST",
        "/api/pupil-imports",
        files={
            "data": (
                "p.csv",
                b"reference,first_name,last_name,date_of_birth,year_group\nX1,Wilhelmina,Zarquon,bad,10\n",
                "text/csv",
            )
        },
    )
    coordinator = await make_user(db, Role.COORDINATOR)
    await client.sign_in(coordinator)
    assert (await client.page(f"/pupils/{pupil_id}/subject-access.json")).status_code == 200
    await db.rollback()
    assert await _texts_containing(db, "Zarquon")  # the scan does find the name before erasure

    await client.sign_in(staff)
    confirm = await client.page(f"/pupils/{pupil_id}/remove")
    assert "cannot undo" in confirm.text
    assert (await client.submit(f"/pupils/{pupil_id}/remove", {})).status_code == 303
    await client.page("/pupils")  # the flash message is shown and gone
    await db.rollback()
    assert await _texts_containing(db, "Zarquon") == []
    assert await _texts_containing(db, "Wilhelmina") == []
    tombstone = await db.scalar(select(ErasedPupil))
    assert (tombstone.school_id, tombstone.year_group, tombstone.priority) == (school_id, 10, True)
    assert await db.scalar(
        select(AuditEntry.id).where(
            AuditEntry.action == "pupil_erased", AuditEntry.record_id == str(pupil_id)
        )
    )


async def test_subject_access_export_is_coordinator_only_and_audited(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    pupil = await make_pupil(db, staff.school_id, access_needs="Ramp")
    await make_consent(db, pupil.id)
    coordinator = await make_user(db, Role.COORDINATOR)
    await client.sign_in(staff)
    assert (await client.api("GET", f"/api/pupils/{pupil.id}/subject-access-export")).status_code == 403
    await client.sign_in(coordinator)
    response = await client.api("GET", f"/api/pupils/{pupil.id}/subject-access-export")
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    document = response.json()
    assert document["pupil"]["first_name"] == pupil.first_name and document["pupil"]["access_needs"] == "Ramp"
    assert document["consent"][0]["text_version"] == "2026-1"
    assert await db.scalar(select(AuditEntry.id).where(AuditEntry.action == "pupil_subject_access_exported"))


PAGE_ROUTES = [
    ("GET", "/pupils/{pupil}"),
    ("GET", "/pupils/{pupil}/edit"),
    ("POST", "/pupils/{pupil}/edit"),
    ("GET", "/pupils/{pupil}/remove"),
    ("POST", "/pupils/{pupil}/remove"),
    ("GET", "/pupils/{pupil}/consent"),
    ("POST", "/pupils/{pupil}/consent"),
    ("GET", "/pupils/{pupil}/consent/withdraw"),
    ("POST", "/pupils/{pupil}/consent/withdraw"),
    ("GET", "/schools/{school}"),
    ("GET", "/schools/{school}/edit"),
    ("POST", "/schools/{school}/edit"),
    ("GET", "/schools/{school}/staff/invite"),
    ("POST", "/schools/{school}/staff/invite"),
    ("GET", "/schools/{school}/staff/{staff}"),
    ("POST", "/schools/{school}/staff/{staff}"),
]
API_ROUTES = [
    ("GET", "/api/pupils/{pupil}"),
    ("PUT", "/api/pupils/{pupil}"),
    ("DELETE", "/api/pupils/{pupil}"),
    ("GET", "/api/pupils/{pupil}/consents"),
    ("POST", "/api/pupils/{pupil}/consents"),
    ("POST", "/api/pupils/{pupil}/consents/withdraw"),
    ("GET", "/api/schools/{school}"),
    ("PUT", "/api/schools/{school}"),
    ("GET", "/api/schools/{school}/staff"),
    ("POST", "/api/schools/{school}/staff"),
    ("PUT", "/api/schools/{school}/staff/{staff}"),
]
BODIES = {
    "/api/pupils/{pupil}": {
        "first_name": "A",
        "last_name": "B",
        "date_of_birth": "2011-01-01",
        "year_group": 10,
    },
    "/api/pupils/{pupil}/consents": {
        "given_by": "A",
        "relationship": "Mother",
        "given_on": "2026-01-01",
        "text_version": "1",
    },
    "/api/pupils/{pupil}/consents/withdraw": {"withdrawn_on": "2026-01-01"},
    "/api/schools/{school}": {"urn": "123456", "name": "X", "postcode": "PR1 2HE"},
    "/api/schools/{school}/staff": {"name": "A", "email": "a@example.org"},
    "/api/schools/{school}/staff/{staff}": {"is_digital_advisor": False},
}


@pytest.mark.parametrize(("method", "path"), PAGE_ROUTES + API_ROUTES)
async def test_another_schools_ids_are_not_found(client, db, method, path):
    mine = await make_user(db, Role.SCHOOL_STAFF)
    theirs = await make_user(db, Role.SCHOOL_STAFF)
    their_pupil = await make_pupil(db, theirs.school_id)
    await make_consent(db, their_pupil.id)
    url = path.format(pupil=their_pupil.id, school=theirs.school_id, staff=theirs.id)
    await client.sign_in(mine)
    if path.startswith("/api"):
        response = await client.api(method, url, json=BODIES.get(path) if method in ("POST", "PUT") else None)
    elif method == "GET":
        response = await client.page(url)
    else:
        response = await client.submit(url, {})
    assert response.status_code == 404, response.text
    await db.rollback()
    assert await db.scalar(select(func.count()).select_from(ErasedPupil)) == 0


async def test_roles_and_signed_out(client, db):
    school = await make_school(db)
    pupil = await make_pupil(db, school.id)
    employer_user = await make_user(db, Role.EMPLOYER_USER)
    assert (await client.api("GET", "/api/pupils")).status_code == 401
    assert (await client.page("/pupils")).status_code == 303
    await client.sign_in(employer_user)
    assert (await client.api("GET", f"/api/pupils/{pupil.id}")).status_code == 403
    assert (await client.page("/schools")).status_code == 403
    staff = await make_user(db, Role.SCHOOL_STAFF, school_id=school.id)
    await client.sign_in(staff)
    assert (await client.page("/schools")).status_code == 403  # the list of every school is coordinators'
    assert (await client.page(f"/schools/{school.id}")).status_code == 200
