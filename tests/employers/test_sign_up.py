"""A business signs itself up: pages and API, validation, addresses that already have an account,
limits, and the coordinators' daily digest."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine
from sqlalchemy import select

from employers.models import Employer, EmployerStatus
from placements.accounts.models import Role, User
from placements.audit.models import AuditEntry
from placements.clock import now
from placements.geo import district_centroid
from placements.jobs.schedule import start_daily_job
from placements.notifications.models import OutboxMessage
from tests.support import assert_refused, make_user, run_queued_jobs

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
}


async def test_sign_up_creates_a_pending_employer_and_emails_its_user_a_link(client, db):
    coordinator = await make_user(db, Role.COORDINATOR)
    form = await client.page("/employers/sign-up")
    assert form.status_code == 200
    assert "Register your business" in form.text

    response = await client.submit("/employers/sign-up", FORM)
    assert response.status_code == 200, response.text
    assert "Check your email" in response.text and "Rita@Ribble.example" in response.text

    await db.commit()
    employer = await db.scalar(select(Employer).where(Employer.name == "Ribble Robots Ltd"))
    assert employer.status is EmployerStatus.PENDING
    assert employer.postcode == "PR1 2HE"
    assert employer.pathways == ["software", "data"]
    # Coordinates from the built-in postcode district table.
    assert (employer.lat, employer.lon) == district_centroid("PR1 2HE")
    await db.commit()
    user = await db.scalar(select(User).where(User.email == "rita@ribble.example"))
    assert user.role is Role.EMPLOYER_USER and user.employer_id == employer.id
    assert user.password_hash is None and user.is_admin  # chosen from the emailed link
    await db.commit()
    audit = await db.scalar(select(AuditEntry).where(AuditEntry.action == "employer_signed_up"))
    assert audit.record_id == str(employer.id)
    # Coordinators hear of sign-ups once a day, not once per sign-up.
    assert await db.scalar(select(OutboxMessage).where(OutboxMessage.to_address == coordinator.email)) is None

    email = await db.scalar(select(OutboxMessage).where(OutboxMessage.to_address == "rita@ribble.example"))
    link = re.search(r"http://testserver\.local(/invitation/[\w-]+)", email.body).group(1)
    await client.submit(link, {"password": "lune tide harbour", "confirm_password": "lune tide harbour"})
    assert (await client.sign_in("rita@ribble.example", "lune tide harbour")).status_code == 303
    page = await client.page("/employers/mine", follow_redirects=True)
    assert page.status_code == 200
    assert "A coordinator has not approved the organisation yet" in page.text
    assert "Add the compliance record" in page.text


async def test_sign_up_with_an_existing_address_gives_the_same_answer_and_tells_the_address(client, db):
    existing = await make_user(db, Role.SCHOOL_STAFF)
    new = await client.submit("/employers/sign-up", {**FORM, "user_email": "new@ribble.example"})
    taken = await client.submit("/employers/sign-up", {**FORM, "user_email": existing.email.upper()})
    assert new.status_code == taken.status_code == 200
    assert new.text.replace("new@ribble.example", "X") == taken.text.replace(existing.email.upper(), "X")
    await db.commit()
    assert len(list(await db.scalars(select(Employer)))) == 1  # nothing made for the existing address
    assert (await db.get(User, existing.id)).school_id == existing.school_id
    told = await db.scalar(select(OutboxMessage).where(OutboxMessage.to_address == existing.email))
    assert "already has an account" in told.body and "/invitation/" not in told.body


async def test_sign_ups_from_one_client_are_limited(client, db):
    for n in range(5):
        answer = await client.submit("/employers/sign-up", {**FORM, "user_email": f"r{n}@ribble.example"})
        assert answer.status_code == 200
    refused = await client.submit("/employers/sign-up", {**FORM, "user_email": "r9@ribble.example"})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    await db.commit()
    assert len(list(await db.scalars(select(Employer)))) == 5


async def test_line_breaks_in_the_name_are_kept_out_of_it(client, db):
    await client.submit("/employers/sign-up", {**FORM, "name": "Ribble\r\nBcc: victim@example.org\n Ltd"})
    await db.commit()
    employer = await db.scalar(select(Employer))
    assert employer.name == "Ribble Bcc: victim@example.org Ltd"


async def test_coordinators_get_one_digest_a_day_naming_no_one(client, db):
    coordinator = await make_user(db, Role.COORDINATOR)
    for n in range(3):
        await client.submit("/employers/sign-up", {**FORM, "user_email": f"d{n}@ribble.example"})
    await run_queued_jobs()  # their own emails first, so that nothing writes while the digest starts

    async def run_digest() -> None:
        await start_daily_job(db, "sign_up_digest")
        await db.commit()
        await run_queued_jobs()

    await run_digest()
    await run_digest()  # the same day again: nothing more
    with time_machine.travel(now() + timedelta(days=1, hours=1)):
        await run_digest()  # the next day, with no new sign-ups: nothing
    await db.commit()
    digests = list(
        await db.scalars(select(OutboxMessage).where(OutboxMessage.to_address == coordinator.email))
    )
    assert len(digests) == 1
    assert ": 3." in digests[0].body and "Ribble" not in digests[0].body + digests[0].subject
    assert "http://testserver.local/employers?status=pending" in digests[0].body


async def test_sign_up_shows_messages_next_to_the_fields_and_saves_nothing(client, db):
    bad = {
        **FORM,
        "name": "",
        "postcode": "nowhere",
        "pathways": [],
        "size": "",
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
    assert "We cannot find this postcode" in response.text
    assert await db.scalar(select(Employer)) is None
    response = await client.submit(
        "/employers/sign-up", {**FORM, "postcode": "M1 1AA", "lat": "53.48", "lon": "-2.24"}
    )
    assert response.status_code == 200 and "Check your email" in response.text


API_BODY = {
    "name": "Lune Logic",
    "address": "2 Market Street",
    "postcode": "LA1 1PJ",
    "pathways": ["cyber"],
    "size": "1-9",
    "user_name": "Lee Lune",
    "user_email": "lee@lune.example",
}


async def test_api_sign_up(client, db):
    response = await client.api("POST", "/api/employers/sign-up", json=API_BODY)
    assert response.status_code == 201, response.text
    assert response.json() == {
        "email": "lee@lune.example",
        "message": "We have emailed this address: the link in it finishes signing up.",
    }
    await db.commit()
    employer = await db.scalar(select(Employer))
    assert employer.status is EmployerStatus.PENDING
    assert (employer.lat, employer.lon) == district_centroid("LA1 1PJ")

    again = await client.api("POST", "/api/employers/sign-up", json={**API_BODY, "name": "Another"})
    assert again.status_code == 201 and again.json() == response.json()  # the same answer

    unknown_district = await client.api(
        "POST", "/api/employers/sign-up", json={**API_BODY, "user_email": "x@y.example", "postcode": "M1 1AA"}
    )
    assert_refused(unknown_district, "We cannot find this postcode", field="postcode")
    await db.commit()
    assert len(list(await db.scalars(select(Employer)))) == 1


async def test_a_new_business_finds_sign_up_from_the_sign_in_page(client):
    sign_in = await client.page("/sign-in")
    link = re.search(r'<a class="govuk-link" href="([^"]+)">Sign up to offer placements</a>', sign_in.text)
    assert link and "New business?" in sign_in.text
    sign_up = await client.page(link.group(1))
    assert sign_up.status_code == 200 and "Register your business" in sign_up.text
