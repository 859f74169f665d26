"""Invitations from schools and employers: fixed wording, nothing from a pending organisation, no
word on whether an address has an account elsewhere, and limits per client, organisation and address."""

from __future__ import annotations

from sqlalchemy import func, select

from employers.models import EmployerStatus
from placements.accounts.models import Role, User
from placements.audit.models import AuditEntry
from placements.notifications.models import OutboxMessage
from tests.support import make_employer, make_user

PHISHING_NAME = "Urgent: your account is locked, sign in at http://evil.example"


async def _emails_to(db, address: str) -> list[OutboxMessage]:
    await db.commit()
    return list(await db.scalars(select(OutboxMessage).where(OutboxMessage.to_address == address)))


async def test_an_invitation_email_carries_nothing_the_inviter_typed(client, db):
    inviter = await make_user(db, Role.EMPLOYER_USER, name="Ivan Inviter")
    await client.sign_in(inviter)
    response = await client.submit(
        f"/employers/{inviter.employer_id}/colleagues", {"name": PHISHING_NAME, "email": "new@example.org"}
    )
    assert response.status_code == 303
    [email] = await _emails_to(db, "new@example.org")
    assert "evil.example" not in email.body and "Ivan" not in email.body
    assert email.subject == "You are invited to Placements"


async def test_a_pending_organisation_invites_nobody(client, db):
    pending = await make_employer(db, status=EmployerStatus.PENDING)
    member = await make_user(db, Role.EMPLOYER_USER, employer_id=pending.id)
    await client.sign_in(member)
    page = await client.submit(f"/employers/{pending.id}/colleagues", {"name": "X", "email": "x@example.org"})
    assert page.status_code == 400 and "once a coordinator has approved it" in page.text
    api = await client.api(
        "POST", f"/api/employers/{pending.id}/users", json={"name": "X", "email": "x@example.org"}
    )
    assert api.status_code == 409
    await db.commit()
    assert await db.scalar(select(User).where(User.email == "x@example.org")) is None
    assert await _emails_to(db, "x@example.org") == []


async def test_inviting_an_address_that_has_an_account_elsewhere_answers_as_usual(client, db):
    coordinator = await make_user(db, Role.COORDINATOR)
    other_school_staff = await make_user(db, Role.SCHOOL_STAFF)
    inviter = await make_user(db, Role.SCHOOL_STAFF)
    await client.sign_in(inviter)
    school = f"/schools/{inviter.school_id}/staff/invite"
    answers = [
        await client.submit(school, {"name": "Someone", "email": email})
        for email in ("brand-new@example.org", other_school_staff.email, coordinator.email)
    ]
    assert {a.status_code for a in answers} == {303}
    assert {a.headers["location"] for a in answers} == {f"/schools/{inviter.school_id}"}
    api = [
        await client.api(
            "POST", f"/api/schools/{inviter.school_id}/staff", json={"name": "S", "email": email}
        )
        for email in ("another-new@example.org", coordinator.email)
    ]
    assert [a.status_code for a in api] == [201, 201]
    assert api[0].json().keys() == api[1].json().keys() and api[1].json()["message"] == "Invitation sent"

    await db.commit()
    for existing in (other_school_staff, coordinator):
        moved = await db.scalar(select(User).where(User.id == existing.id))
        assert (moved.role, moved.school_id) == (existing.role, existing.school_id)  # not moved
        told = await _emails_to(db, existing.email)
        assert told and "already has an account" in told[0].body and "/invitation/" not in told[0].body
    refused = await db.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "invitation_to_existing_account")
    )
    assert refused == 3


async def test_inviting_a_colleague_twice_says_so(client, db):
    inviter = await make_user(db, Role.SCHOOL_STAFF)
    colleague = await make_user(db, Role.SCHOOL_STAFF, school_id=inviter.school_id)
    await client.sign_in(inviter)
    again = await client.submit(
        f"/schools/{inviter.school_id}/staff/invite", {"name": "Again", "email": colleague.email}
    )
    assert again.status_code == 400 and "already has an account in your organisation" in again.text


async def test_an_organisation_sends_ten_invitations_a_day(client, db):
    inviter = await make_user(db, Role.EMPLOYER_USER)
    colleague = await make_user(db, Role.EMPLOYER_USER, employer_id=inviter.employer_id)
    await client.sign_in(inviter)
    for n in range(10):
        body = {"name": "P", "email": f"p{n}@example.org"}
        assert (
            await client.api("POST", f"/api/employers/{inviter.employer_id}/users", json=body)
        ).status_code == 201
    await client.submit("/sign-out", {})
    await client.sign_in(colleague)  # a colleague shares the organisation's count
    refused = await client.api(
        "POST", f"/api/employers/{inviter.employer_id}/users", json={"name": "P", "email": "p10@example.org"}
    )
    assert refused.status_code == 429 and "10 invitations today" in refused.json()["detail"]
    page = await client.submit(
        f"/employers/{inviter.employer_id}/colleagues", {"name": "P", "email": "p11@example.org"}
    )
    assert page.status_code == 429 and "10 invitations today" in page.text
    await db.commit()
    assert await db.scalar(select(User).where(User.email.in_(["p10@example.org", "p11@example.org"]))) is None


async def test_invitations_from_one_client_are_limited(client, db):
    await client.sign_in(await make_user(db, Role.COORDINATOR))
    for n in range(30):
        body = {"email": f"c{n}@example.org", "name": "C", "role": "coordinator"}
        assert (await client.api("POST", "/api/users", json=body)).status_code == 201
    refused = await client.api(
        "POST", "/api/users", json={"email": "c30@example.org", "name": "C", "role": "coordinator"}
    )
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0


async def test_emails_to_one_address_are_limited(client, db):
    target = await make_user(db, Role.SCHOOL_STAFF)
    for n in range(3):
        inviter = await make_user(db, Role.EMPLOYER_USER)
        await client.sign_in(inviter)
        await client.submit(
            f"/employers/{inviter.employer_id}/colleagues", {"name": f"T{n}", "email": target.email}
        )
        await client.submit("/sign-out", {})
    await client.submit("/password-reset", {"email": target.email})
    assert len(await _emails_to(db, target.email)) == 3
