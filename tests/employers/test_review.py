"""Coordinators review employers: the queue with what is missing, approve / reject / suspend,
each confirmed, emailed and audited; coordinators add employers directly; colleagues are invited."""

from __future__ import annotations

from sqlalchemy import select

from employers.models import Employer, EmployerStatus
from placements.accounts.models import Role, User
from placements.audit.models import AuditEntry
from placements.notifications.models import OutboxMessage
from tests.support import make_compliance, make_employer, make_user


async def _emails_to(db, address):
    await db.commit()
    return list(await db.scalars(select(OutboxMessage).where(OutboxMessage.to_address == address)))


async def test_the_queue_lists_pending_employers_with_what_is_missing(client, db):
    pending = await make_employer(db, name="Pending Pixels", status=EmployerStatus.PENDING)
    complete = await make_employer(db, name="Complete Code", status=EmployerStatus.PENDING)
    await make_compliance(db, complete.id)
    await make_employer(db, name="Approved Apps")
    await client.sign_in(await make_user(db, Role.COORDINATOR))

    page = await client.page("/employers")
    assert page.status_code == 200
    assert "Pending Pixels" in page.text and "Complete Code" in page.text
    assert "Approved Apps" not in page.text
    assert "Add the compliance record" in page.text  # what Pending Pixels is missing
    assert f"/employers/{pending.id}" in page.text

    everyone = await client.page("/employers?status=")
    assert "Approved Apps" in everyone.text

    api = await client.api("GET", "/api/employers?status=pending")
    assert api.status_code == 200
    items = {item["name"]: item for item in api.json()["items"]}
    assert set(items) == {"Pending Pixels", "Complete Code"}
    assert items["Complete Code"]["problems"] == ["A coordinator has not approved the organisation yet"]


async def test_approve_from_the_page_asks_first_then_emails_and_audits(client, db):
    employer = await make_employer(db, status=EmployerStatus.PENDING)
    member = await make_user(db, Role.EMPLOYER_USER, employer_id=employer.id)
    coordinator = await make_user(db, Role.COORDINATOR)
    await client.sign_in(coordinator)

    review = await client.page(f"/employers/{employer.id}")
    assert review.status_code == 200 and "waiting for your review" in review.text
    confirm = await client.page(f"/employers/{employer.id}/approve")
    assert confirm.status_code == 200 and "Approve this organisation?" in confirm.text

    response = await client.submit(f"/employers/{employer.id}/approve", {})
    assert response.status_code == 303
    await db.commit()
    await db.refresh(employer)
    assert employer.status is EmployerStatus.APPROVED
    [email] = await _emails_to(db, member.email)
    assert "approved" in email.subject
    await db.commit()
    entry = await db.scalar(select(AuditEntry).where(AuditEntry.action == "employer_approved"))
    assert entry.actor_id == coordinator.id and entry.record_id == str(employer.id)

    again = await client.submit(f"/employers/{employer.id}/approve", {})
    assert again.status_code == 400
    assert "You cannot approve an organisation that is approved" in again.text


async def test_reject_needs_a_reason_which_is_emailed(client, db):
    employer = await make_employer(db, status=EmployerStatus.PENDING)
    member = await make_user(db, Role.EMPLOYER_USER, employer_id=employer.id)
    await client.sign_in(await make_user(db, Role.COORDINATOR))

    missing = await client.submit(f"/employers/{employer.id}/reject", {"reason": ""})
    assert missing.status_code == 400
    assert "Enter the reason to reject the organisation" in missing.text
    await db.commit()
    await db.refresh(employer)
    assert employer.status is EmployerStatus.PENDING

    response = await client.submit(f"/employers/{employer.id}/reject", {"reason": "Not a digital business"})
    assert response.status_code == 303
    await db.commit()
    await db.refresh(employer)
    assert employer.status is EmployerStatus.REJECTED and employer.status_reason == "Not a digital business"
    [email] = await _emails_to(db, member.email)
    assert "Not a digital business" in email.body
    await db.commit()
    assert await db.scalar(select(AuditEntry).where(AuditEntry.action == "employer_rejected"))


async def test_suspend_later_with_a_reason(client, db):
    employer = await make_employer(db)
    await client.sign_in(await make_user(db, Role.COORDINATOR))
    page = await client.page(f"/employers/{employer.id}/suspend")
    assert "Suspend this organisation?" in page.text
    response = await client.submit(
        f"/employers/{employer.id}/suspend", {"reason": "Insurance claim under review"}
    )
    assert response.status_code == 303
    await db.commit()
    await db.refresh(employer)
    assert employer.status is EmployerStatus.SUSPENDED
    await db.commit()
    assert await db.scalar(select(AuditEntry).where(AuditEntry.action == "employer_suspended"))


async def test_decisions_through_the_api(client, db):
    employer = await make_employer(db, status=EmployerStatus.PENDING)
    other = await make_employer(db, status=EmployerStatus.PENDING)
    await client.sign_in(await make_user(db, Role.COORDINATOR))

    approved = await client.api("POST", f"/api/employers/{employer.id}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    twice = await client.api("POST", f"/api/employers/{employer.id}/approve")
    assert twice.status_code == 409
    suspended = await client.api("POST", f"/api/employers/{employer.id}/suspend", json={"reason": "Late"})
    assert suspended.status_code == 200 and suspended.json()["status_reason"] == "Late"
    rejected = await client.api("POST", f"/api/employers/{other.id}/reject", json={"reason": "Duplicate"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    no_reason = await client.api("POST", f"/api/employers/{other.id}/reject", json={"reason": ""})
    assert no_reason.status_code == 400
    await db.commit()
    actions = set(await db.scalars(select(AuditEntry.action)))
    assert {"employer_approved", "employer_suspended", "employer_rejected"} <= actions


async def test_employer_users_cannot_decide(client, db):
    user = await make_user(db, Role.EMPLOYER_USER)
    await client.sign_in(user)
    own = user.employer_id
    assert (await client.page(f"/employers/{own}/approve")).status_code == 403
    assert (await client.submit(f"/employers/{own}/approve", {})).status_code == 403
    assert (await client.api("POST", f"/api/employers/{own}/approve")).status_code == 403
    assert (await client.page("/employers")).status_code == 403


async def test_a_coordinator_adds_an_employer_directly_and_invites_its_first_user(client, db):
    await client.sign_in(await make_user(db, Role.COORDINATOR))
    form = await client.page("/employers/new")
    assert form.status_code == 200
    bad = await client.submit("/employers/new", {"name": "Wyre Web", "user_email": "not an email"})
    assert bad.status_code == 400
    assert "Enter an email address in the correct format" in bad.text
    await db.commit()
    assert await db.scalar(select(Employer)) is None

    response = await client.submit(
        "/employers/new",
        {
            "name": "Wyre Web",
            "address": "3 Dock Street",
            "postcode": "FY7 6AT",
            "pathways": ["design"],
            "size": "1-9",
            "user_name": "Wendy Wyre",
            "user_email": "wendy@wyre.example",
        },
    )
    assert response.status_code == 303, response.text
    await db.commit()
    employer = await db.scalar(select(Employer).where(Employer.name == "Wyre Web"))
    assert employer.status is EmployerStatus.APPROVED
    await db.commit()
    invited = await db.scalar(select(User).where(User.email == "wendy@wyre.example"))
    assert invited.employer_id == employer.id and invited.password_hash is None
    [email] = await _emails_to(db, "wendy@wyre.example")
    assert "/invitation/" in email.body

    api = await client.api(
        "POST",
        "/api/employers",
        json={
            "name": "Hodder Hosting",
            "address": "4 King Street",
            "postcode": "BB7 2BX",
            "pathways": ["IT support"],
            "size": "10-49",
            "user_name": "Hal Hodder",
            "user_email": "hal@hodder.example",
        },
    )
    assert api.status_code == 201, api.text
    assert api.json()["status"] == "approved"


async def test_an_employer_user_invites_a_colleague_to_their_own_organisation(client, db):
    user = await make_user(db, Role.EMPLOYER_USER)
    await client.sign_in(user)
    page = await client.page(f"/employers/{user.employer_id}/colleagues")
    assert page.status_code == 200
    response = await client.submit(
        f"/employers/{user.employer_id}/colleagues", {"name": "Colin Colleague", "email": "colin@example.org"}
    )
    assert response.status_code == 303
    await db.commit()
    colleague = await db.scalar(select(User).where(User.email == "colin@example.org"))
    assert colleague.employer_id == user.employer_id and colleague.role is Role.EMPLOYER_USER
    await db.commit()
    entry = await db.scalar(select(AuditEntry).where(AuditEntry.action == "user_invited"))
    assert entry.actor_id == user.id

    duplicate = await client.submit(
        f"/employers/{user.employer_id}/colleagues", {"name": "Colin Again", "email": "colin@example.org"}
    )
    assert duplicate.status_code == 400 and "already has an account in your organisation" in duplicate.text

    api = await client.api(
        "POST",
        f"/api/employers/{user.employer_id}/users",
        json={"name": "Cara Colleague", "email": "cara@example.org"},
    )
    assert api.status_code == 201 and api.json() == {
        "email": "cara@example.org",
        "message": "Invitation sent",
    }
    await db.commit()
    cara = await db.scalar(select(User).where(User.email == "cara@example.org"))
    assert cara.employer_id == user.employer_id
    listed = await client.api("GET", f"/api/employers/{user.employer_id}/users")
    assert {u["email"] for u in listed.json()} == {user.email, "colin@example.org", "cara@example.org"}


async def test_an_employer_user_changes_their_organisation_details(client, db):
    user = await make_user(db, Role.EMPLOYER_USER)
    await client.sign_in(user)
    form = await client.page(f"/employers/{user.employer_id}/details")
    assert form.status_code == 200
    bad = await client.submit(f"/employers/{user.employer_id}/details", {"name": "", "postcode": "BB1 7DH"})
    assert bad.status_code == 400 and "Enter the name of the organisation" in bad.text
    response = await client.submit(
        f"/employers/{user.employer_id}/details",
        {
            "name": "Renamed Ltd",
            "address": "5 Church Street",
            "postcode": "BB11 1JA",
            "lat": "",
            "lon": "",
            "pathways": ["data"],
            "size": "50-249",
        },
    )
    assert response.status_code == 303
    await db.commit()
    employer = await db.get(Employer, user.employer_id)
    await db.commit()
    await db.refresh(employer)
    assert employer.name == "Renamed Ltd" and employer.postcode == "BB11 1JA"
    api = await client.api(
        "PUT",
        f"/api/employers/{user.employer_id}",
        json={
            "name": "Renamed Again",
            "address": "5 Church Street",
            "postcode": "BB11 1JA",
            "pathways": ["data"],
            "size": "50-249",
        },
    )
    assert api.status_code == 200 and api.json()["name"] == "Renamed Again"
