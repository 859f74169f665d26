"""A business signs itself up: pages and API, validation, duplicates, the coordinators' email."""

from __future__ import annotations

from sqlalchemy import select

from employers.models import Employer, EmployerStatus
from placements.accounts.models import Role, User
from placements.audit.models import AuditEntry
from placements.geo import district_centroid
from placements.notifications.models import OutboxMessage
from tests.support import make_user

FORM = {
    "name": "Ribble Robots Ltd",
    "companies_house_number": "01234567",
    "address": "1 Fishergate",
    "town": "Preston",
    "postcode": "pr1 2he",
    "lat": "",
    "lon": "",
    "sector": "Software house",
    "pathways": ["software", "data"],
    "size": "10-49",
    "user_name": "Rita Ribble",
    "user_email": "Rita@Ribble.example",
    "password": "a long enough password",
    "confirm_password": "a long enough password",
}


async def test_sign_up_creates_a_pending_employer_and_its_user_and_tells_coordinators(client, db):
    coordinator = await make_user(db, Role.COORDINATOR)
    form = await client.page("/employers/sign-up")
    assert form.status_code == 200
    assert "Register your business" in form.text

    response = await client.submit("/employers/sign-up", FORM)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/employers/mine"

    await db.commit()
    employer = await db.scalar(select(Employer).where(Employer.name == "Ribble Robots Ltd"))
    assert employer.status is EmployerStatus.PENDING
    assert employer.postcode == "PR1 2HE"
    assert employer.pathways == ["software", "data"]
    # Coordinates from the built-in postcode district table.
    assert (employer.lat, employer.lon) == district_centroid("PR1 2HE")
    await db.commit()
    user = await db.scalar(select(User).where(User.email == "rita@ribble.example"))
    assert user.role is Role.EMPLOYER_USER and user.employer_id == employer.id and user.password_hash

    await db.commit()
    email = await db.scalar(select(OutboxMessage).where(OutboxMessage.to_address == coordinator.email))
    assert "Ribble Robots Ltd" in email.subject
    assert f"http://testserver.local/employers/{employer.id}" in email.body
    await db.commit()
    audit = await db.scalar(select(AuditEntry).where(AuditEntry.action == "employer_signed_up"))
    assert audit.record_id == str(employer.id)

    # Signed in straight away, and sees the pending organisation and what is missing.
    page = await client.page("/employers/mine", follow_redirects=True)
    assert page.status_code == 200
    assert "A coordinator has not approved the organisation yet" in page.text
    assert "Add the compliance record" in page.text


async def test_sign_up_shows_messages_next_to_the_fields_and_saves_nothing(client, db):
    bad = {
        **FORM,
        "name": "",
        "postcode": "nowhere",
        "pathways": [],
        "size": "",
        "password": "short",
        "confirm_password": "short",
        "lat": "95",
    }
    response = await client.submit("/employers/sign-up", bad)
    assert response.status_code == 400
    text = response.text
    assert "There is a problem" in text
    for message in (
        "Enter the name of the organisation",
        "Enter a real postcode, like PR1 2HE",
        "Select the pathways you could offer placements in",
        "Select the size of the organisation",
        "Password must be at least 10 characters",
        "Enter a latitude between 49 and 61",
    ):
        assert message in text
    assert 'href="#postcode"' in text and 'id="postcode-error"' in text
    assert "Rita Ribble" in text  # what was typed is kept
    await db.commit()
    assert await db.scalar(select(Employer)) is None
    await db.commit()
    assert await db.scalar(select(User)) is None


async def test_sign_up_needs_coordinates_outside_the_known_districts(client, db):
    response = await client.submit("/employers/sign-up", {**FORM, "postcode": "M1 1AA"})
    assert response.status_code == 400
    assert "we could not work them out from the postcode" in response.text
    response = await client.submit(
        "/employers/sign-up", {**FORM, "postcode": "M1 1AA", "lat": "53.48", "lon": "-2.24"}
    )
    assert response.status_code == 303


async def test_sign_up_with_an_existing_email_is_a_clear_error(client, db):
    existing = await make_user(db, Role.SCHOOL_STAFF)
    response = await client.submit("/employers/sign-up", {**FORM, "user_email": existing.email.upper()})
    assert response.status_code == 400
    assert "There is already an account with this email address" in response.text
    await db.commit()
    assert await db.scalar(select(Employer)) is None


API_BODY = {
    "name": "Lune Logic",
    "address": "2 Market Street",
    "postcode": "LA1 1PJ",
    "pathways": ["cyber"],
    "size": "1-9",
    "user_name": "Lee Lune",
    "user_email": "lee@lune.example",
    "password": "a long enough password",
}


async def test_api_sign_up(client, db):
    response = await client.api("POST", "/api/employers/sign-up", json=API_BODY)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "pending"
    assert body["eligible_for_matching"] is False
    assert "A coordinator has not approved the organisation yet" in body["problems"]
    assert (body["lat"], body["lon"]) == district_centroid("LA1 1PJ")

    again = await client.api("POST", "/api/employers/sign-up", json={**API_BODY, "name": "Another"})
    assert again.status_code == 409
    assert "already an account" in again.json()["detail"]

    unknown_district = await client.api(
        "POST", "/api/employers/sign-up", json={**API_BODY, "user_email": "x@y.example", "postcode": "M1 1AA"}
    )
    assert unknown_district.status_code == 409
    assert "latitude" in unknown_district.json()["detail"]

    bad = await client.api("POST", "/api/employers/sign-up", json={**API_BODY, "password": "short"})
    assert bad.status_code == 400
    await db.commit()
    assert len(list(await db.scalars(select(Employer)))) == 1
