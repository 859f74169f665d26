"""Schools: a coordinator adds one, the list shows which have no digital advisor, staff invite colleagues."""

from __future__ import annotations

from sqlalchemy import select

from placements.accounts.models import Role, User
from placements.notifications.models import OutboxMessage
from schools.models import School
from tests.support import assert_refused, make_school, make_user, run_queued_jobs


async def test_coordinator_adds_a_school_and_sees_it_has_no_advisor(client, db):
    coordinator = await make_user(db, Role.COORDINATOR)
    await client.sign_in(coordinator)
    bad = await client.submit("/schools/new", {"urn": "12", "name": "", "postcode": "nope"})
    assert bad.status_code == 400 and "URN must be 6 or 7 digits" in bad.text
    response = await client.submit("/schools/new", dict(urn="119584", name="Ribble High", postcode="pr1 2he"))
    assert response.status_code == 303, response.text
    school = await db.scalar(select(School).where(School.urn == "119584"))
    assert school.postcode == "PR1 2HE" and school.lat is not None
    listing = await client.page("/schools?without_advisor=yes")
    assert "Ribble High" in listing.text and "None" in listing.text
    duplicate = await client.api(
        "POST", "/api/schools", json=dict(urn="119584", name="X", postcode="PR1 2HE")
    )
    assert_refused(duplicate, field="urn")
    api = await client.api("GET", "/api/schools?without_digital_advisor=true")
    assert [item["urn"] for item in api.json()["items"]] == ["119584"]


async def test_school_staff_invite_a_digital_advisor_to_their_own_school(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    school_id = staff.school_id
    await client.sign_in(staff)
    missing_phone = await client.submit(
        f"/schools/{school_id}/staff/invite",
        {"name": "Dee Advisor", "email": "dee@example.org", "is_digital_advisor": "yes"},
    )
    assert missing_phone.status_code == 400 and "contact phone" in missing_phone.text
    response = await client.submit(
        f"/schools/{school_id}/staff/invite",
        {
            "name": "Dee Advisor",
            "email": "dee@example.org",
            "is_digital_advisor": "yes",
            "phone": "01772 123456",
        },
    )
    assert response.status_code == 303, response.text
    # Let the invitation's email job finish first: its write and ours would race for SQLite's lock.
    await run_queued_jobs()
    await db.rollback()
    advisor = await db.scalar(select(User).where(User.email == "dee@example.org"))
    assert advisor.school_id == school_id and advisor.is_digital_advisor and advisor.phone == "01772 123456"
    assert await db.scalar(select(OutboxMessage.id).where(OutboxMessage.to_address == "dee@example.org"))
    other = await make_school(db)
    await db.commit()
    assert (await client.api("GET", "/api/schools")).json()["total"] == 1
    assert (await client.api("GET", f"/api/schools/{other.id}")).status_code == 404
