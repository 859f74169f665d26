"""Deactivating and reactivating accounts: coordinators for everyone, an organisation's admins for
their colleagues; sessions end at once and every change is audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from placements.accounts.management import may_manage
from placements.accounts.models import Role, User
from placements.audit.models import AuditEntry
from tests.support import emailed_link, make_school, make_user, second_browser


async def _actions(db, user: User) -> list[str]:
    await db.commit()
    return list(
        await db.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.record_id == str(user.id), AuditEntry.action.like("user_%"))
            .order_by(AuditEntry.at)
        )
    )


async def test_a_coordinator_deactivates_an_account_and_its_sessions_end_at_once(client, db, app):
    coordinator = await make_user(db, Role.COORDINATOR)
    leaver = await make_user(db, Role.SCHOOL_STAFF, name="Lee Leaver")
    async with second_browser(app) as leavers_browser:
        await leavers_browser.sign_in(leaver)
        assert (await leavers_browser.api("GET", "/api/me")).status_code == 200

        await client.sign_in(coordinator)
        page = await client.page(f"/users/{leaver.id}")
        assert page.status_code == 200 and "Deactivate account" in page.text
        done = await client.submit(f"/users/{leaver.id}/deactivate", {})
        assert done.status_code == 303
        assert "Deactivated" in (await client.page(f"/users/{leaver.id}")).text

        assert (await leavers_browser.api("GET", "/api/me")).status_code == 401
        assert (await leavers_browser.sign_in(leaver)).status_code == 400  # and can't sign in again

        assert (await client.submit(f"/users/{leaver.id}/reactivate", {})).status_code == 303
        assert (await leavers_browser.sign_in(leaver)).status_code == 303
    assert await _actions(db, leaver) == ["user_deactivated", "user_reactivated"]


async def test_reactivating_does_not_bring_old_sessions_back(client, db, app):
    coordinator = await make_user(db, Role.COORDINATOR)
    user = await make_user(db, Role.EMPLOYER_USER)
    async with second_browser(app) as old_browser:
        await old_browser.sign_in(user)
        await client.sign_in(coordinator)
        await client.api("POST", f"/api/users/{user.id}/deactivate")
        await client.api("POST", f"/api/users/{user.id}/reactivate")
        assert (await old_browser.api("GET", "/api/me")).status_code == 401


async def test_a_deactivated_account_cannot_use_an_emailed_link(client, db):
    coordinator = await make_user(db, Role.COORDINATOR)
    await client.sign_in(coordinator)
    await client.submit(
        "/users/invite", {"name": "Ned New", "email": "ned@example.org", "role": "coordinator"}
    )
    await db.commit()
    ned = await db.scalar(select(User).where(User.email == "ned@example.org"))
    await client.api("POST", f"/api/users/{ned.id}/deactivate")
    await client.api("POST", f"/api/users/{ned.id}/reactivate")
    link = await emailed_link(db, "ned@example.org", "invitation")
    assert (await client.page(link)).status_code == 404


async def test_a_school_admin_manages_colleagues_of_their_own_school_only(client, db):
    school = await make_school(db)
    admin = await make_user(db, Role.SCHOOL_STAFF, school_id=school.id, is_admin=True)
    colleague = await make_user(db, Role.SCHOOL_STAFF, school_id=school.id)
    elsewhere = await make_user(db, Role.SCHOOL_STAFF)
    await client.sign_in(admin)
    assert "Deactivate account" in (await client.page(f"/users/{colleague.id}")).text
    response = await client.api("POST", f"/api/users/{colleague.id}/deactivate")
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert (await client.api("POST", f"/api/users/{elsewhere.id}/deactivate")).status_code == 404
    assert (await client.page(f"/users/{elsewhere.id}")).status_code == 404
    own = await client.api("POST", f"/api/users/{admin.id}/deactivate")
    assert own.status_code == 409 and "your own account" in own.json()["detail"]
    await db.commit()
    assert (await db.get(User, elsewhere.id)).is_active and (await db.get(User, admin.id)).is_active


async def test_an_employer_user_who_is_not_an_admin_cannot_deactivate_colleagues(client, db):
    member = await make_user(db, Role.EMPLOYER_USER)
    colleague = await make_user(db, Role.EMPLOYER_USER, employer_id=member.employer_id)
    await client.sign_in(member)
    page = await client.page(f"/users/{colleague.id}")
    assert page.status_code == 200 and "Deactivate account" not in page.text
    assert (await client.api("POST", f"/api/users/{colleague.id}/deactivate")).status_code == 403
    assert (await client.submit(f"/users/{colleague.id}/deactivate", {})).status_code == 403
    await db.commit()
    assert (await db.get(User, colleague.id)).is_active


async def test_an_admin_lets_a_colleague_manage_accounts_too(client, db):
    admin = await make_user(db, Role.EMPLOYER_USER, is_admin=True)
    colleague = await make_user(db, Role.EMPLOYER_USER, employer_id=admin.employer_id)
    await client.sign_in(admin)
    assert (await client.submit(f"/users/{colleague.id}/admin", {"is_admin": "yes"})).status_code == 303
    await db.commit()
    assert await db.scalar(select(User.is_admin).where(User.id == colleague.id))
    assert await _actions(db, colleague) == ["user_admin_granted"]


@pytest.mark.parametrize(
    ("actor", "target", "allowed"),
    [
        ({"role": Role.COORDINATOR}, {"role": Role.SCHOOL_STAFF, "school_id": 1}, True),
        (
            {"role": Role.SCHOOL_STAFF, "school_id": 1, "is_admin": True},
            {"role": Role.SCHOOL_STAFF, "school_id": 1},
            True,
        ),
        (
            {"role": Role.SCHOOL_STAFF, "school_id": 1, "is_admin": True},
            {"role": Role.SCHOOL_STAFF, "school_id": 2},
            False,
        ),
        ({"role": Role.SCHOOL_STAFF, "school_id": 1}, {"role": Role.SCHOOL_STAFF, "school_id": 1}, False),
        ({"role": Role.EMPLOYER_USER, "employer_id": 1, "is_admin": True}, {"role": Role.COORDINATOR}, False),
    ],
)
def test_who_may_manage_whom(actor, target, allowed):
    import uuid

    def person(fields: dict) -> User:
        ids = {
            key: uuid.UUID(int=value) for key, value in fields.items() if key in ("school_id", "employer_id")
        }
        return User(id=uuid.uuid4(), **{**fields, **ids, "is_admin": fields.get("is_admin", False)})

    assert may_manage(person(actor), person(target)) is allowed
    someone = person(actor)
    assert may_manage(someone, someone) is False  # nobody manages their own account


async def test_the_first_person_invited_to_an_organisation_manages_it(client, db):
    await client.sign_in(await make_user(db, Role.COORDINATOR))
    school = await make_school(db)
    await db.commit()
    for email in ("first@example.org", "second@example.org"):
        await client.submit(
            "/users/invite",
            {"name": "Someone", "email": email, "role": "school_staff", "school_id": str(school.id)},
        )
    await db.commit()
    admins = {u.email: u.is_admin for u in await db.scalars(select(User).where(User.school_id == school.id))}
    assert admins == {"first@example.org": True, "second@example.org": False}
