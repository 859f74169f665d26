"""Personal access tokens: a person creates one (shown once, stored hashed), a program uses it as
`Authorization: Bearer` on /api/… with no cookie or CSRF token, within its scope and life; every
use is audited; its owner revokes it; nobody else can."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from sqlalchemy import func, select, update

from placements.accounts.models import ApiToken, Role, User
from placements.audit.models import AuditEntry
from placements.clock import now, today
from schools.validation import academic_year_start
from tests.support import make_pupil, make_user

SECRET = re.compile(r"plc_[A-Za-z0-9_-]{43}")


def _program(app) -> httpx.AsyncClient:
    """A program with no browser: no cookies, only what it is given."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver.local")


async def _create(client, **fields) -> str:
    created = await client.submit(
        "/api-tokens", {"name": "Council warehouse", "scope": "read", "days": "30", **fields}
    )
    assert created.status_code == 200, created.text
    assert "shown only this once" in created.text and created.headers["cache-control"] == "no-store"
    return SECRET.search(created.text).group(0)


async def test_a_read_only_token_reads_the_owners_pupils_and_nothing_more(client, app, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    other = await make_user(db, Role.SCHOOL_STAFF)
    mine = await make_pupil(db, staff.school_id, first_name="Ayla")
    await make_pupil(db, other.school_id, first_name="Zed")
    await db.commit()
    await client.sign_in(staff)
    assert "Create a token" in (await client.page("/api-tokens")).text
    secret = await _create(client)
    await db.commit()
    stored = await db.scalar(select(ApiToken))
    assert stored.token_hash != secret and secret not in stored.token_hash and stored.scope.value == "read"

    bearer = {"authorization": f"Bearer {secret}"}
    async with _program(app) as program:
        listed = await program.get("/api/pupils", headers=bearer)
        assert listed.status_code == 200, listed.text
        names = {row["first_name"] for row in listed.json()["items"]}
        assert names == {mine.first_name}
        write = await program.post("/api/pupils", headers=bearer, json={"reference": "X"})
        assert write.status_code == 403 and "can only read" in write.text
        assert (await program.get("/pupils", headers=bearer)).status_code == 401  # pages need a person
        assert (
            await program.get("/api/pupils", headers={"authorization": "Bearer plc_" + "x" * 43})
        ).status_code == 401
        assert (await program.get("/api/pupils")).status_code == 401
    await db.commit()
    used = list(await db.scalars(select(AuditEntry).where(AuditEntry.action == "api_token_used")))
    assert {(entry.actor_id, entry.detail["path"]) for entry in used} >= {(staff.id, "/api/pupils")}
    assert (
        await db.scalar(select(ApiToken).execution_options(populate_existing=True))
    ).last_used_at is not None


async def test_a_token_with_the_owners_rights_writes_without_csrf_and_ignores_a_browsers_session(
    client, app, db
):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    coordinator = await make_user(db, Role.COORDINATOR)
    await db.commit()
    await client.sign_in(staff)
    secret = await _create(client, scope="full", name="MIS sync")
    body = {
        "reference": "MIS-1",
        "first_name": "Ben",
        "last_name": "Jones",
        "date_of_birth": f"{academic_year_start(today()) - 15}-01-15",
        "year_group": 10,
    }
    async with _program(app) as program:
        created = await program.post("/api/pupils", headers={"authorization": f"Bearer {secret}"}, json=body)
        assert created.status_code == 201, created.text
    # A coordinator's browser sending the staff member's token acts as the staff member, not as itself.
    await client.sign_in(coordinator)
    seen = await client.http.get("/api/pupils", headers={"authorization": f"Bearer {secret}"})
    assert seen.status_code == 200 and [row["reference"] for row in seen.json()["items"]] == ["MIS-1"]


async def test_tokens_expire_stop_with_their_owner_and_only_the_owner_revokes_them(client, app, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    stranger = await make_user(db, Role.SCHOOL_STAFF)
    await db.commit()
    await client.sign_in(staff)
    secret = await _create(client)
    await db.commit()
    token_id = await db.scalar(select(ApiToken.id))
    bearer = {"authorization": f"Bearer {secret}"}

    await client.sign_in(stranger)
    assert (await client.page(f"/api-tokens/{token_id}/revoke")).status_code == 404
    assert (await client.submit(f"/api-tokens/{token_id}/revoke", {})).status_code == 404
    await client.sign_in(staff)
    assert "cannot be undone" in (await client.page(f"/api-tokens/{token_id}/revoke")).text
    async with _program(app) as program:
        assert (await program.get("/api/pupils", headers=bearer)).status_code == 200
        revoked = await client.submit(f"/api-tokens/{token_id}/revoke", {})
        assert revoked.status_code == 303
        assert (await program.get("/api/pupils", headers=bearer)).status_code == 401
        assert "Revoked" in (await client.page("/api-tokens")).text

        live = await _create(client, name="Second")
        await db.commit()  # a fresh transaction, after what the requests wrote
        await db.execute(
            update(ApiToken)
            .where(ApiToken.revoked_at.is_(None))
            .values(expires_at=now() - timedelta(seconds=1))
        )
        await db.commit()
        assert (
            await program.get("/api/pupils", headers={"authorization": f"Bearer {live}"})
        ).status_code == 401
        third = await _create(client, name="Third")
        await db.commit()
        await db.execute(update(User).where(User.id == staff.id).values(is_active=False))
        await db.commit()
        assert (
            await program.get("/api/pupils", headers={"authorization": f"Bearer {third}"})
        ).status_code == 401
    actions = set(await db.scalars(select(AuditEntry.action).where(AuditEntry.record_type == "api_token")))
    assert {"api_token_created", "api_token_revoked", "api_token_used"} <= actions


async def test_a_token_form_refuses_what_it_cannot_use_and_saves_nothing(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    await db.commit()
    await client.sign_in(staff)
    refused = await client.submit("/api-tokens", {"name": " ", "scope": "admin", "days": "1000"})
    assert refused.status_code == 400
    for message in (
        "Give the token a name",
        "Select what the token may do",
        "Select how long the token works",
    ):
        assert message in refused.text
    assert await db.scalar(select(func.count()).select_from(ApiToken)) == 0


async def test_the_api_document_names_the_token_scheme(client):
    document = (await client.get("/schema/openapi.json")).json()
    assert document["components"]["securitySchemes"]["token"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A personal access token from /api-tokens",
    }
    assert {"token": []} in document["security"]
