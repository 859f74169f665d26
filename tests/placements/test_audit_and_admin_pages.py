"""The coordinator's audit log, users list and (development only) sent emails."""

from __future__ import annotations

from sqlalchemy import select

from placements.accounts.models import Role
from placements.audit.models import AuditEntry
from placements.audit.services import record
from placements.clock import now
from tests.support import make_user


async def test_audit_log_filters_by_action_and_person(client, db):
    coordinator = await make_user(db, Role.COORDINATOR, email="dana@council.example")
    await client.sign_in(coordinator)
    await client.sign_in("someone@else.example", "wrong password")  # audited as a failure
    page = await client.page("/audit?action=sign_in_failed")
    assert page.status_code == 200
    assert "someone@else.example" in page.text and "dana@council.example" not in page.text
    by_person = await client.page("/audit?actor=dana")
    assert '<td class="govuk-table__cell">signed in</td>' in by_person.text
    assert "someone@else.example" not in by_person.text


async def test_audit_log_pages_through_many_entries(client, db):
    await client.sign_in(await make_user(db, Role.COORDINATOR))
    for n in range(60):
        await record(db, actor=None, action="test_entry", record_id=f"r{n}")
    await db.commit()
    first = await client.page("/audit?action=test_entry")
    assert "Showing 1 to 50 of 60 entries" in first.text
    second = await client.page("/audit?action=test_entry&page=2")
    assert "Showing 51 to 60 of 60 entries" in second.text


async def test_audit_log_filters_by_date(client, db):
    await client.sign_in(await make_user(db, Role.COORDINATOR))
    today = now().date().isoformat()
    assert "Showing 1 to 1 of 1 entries" in (await client.page(f"/audit?from={today}&to={today}")).text
    assert "No entries to show" in (await client.page("/audit?to=2000-01-01")).text
    assert (await client.page("/audit?from=not-a-date")).status_code == 200


async def test_audit_api_returns_paged_entries(client, db):
    await client.sign_in(await make_user(db, Role.COORDINATOR))
    body = (await client.api("GET", "/api/audit?action=signed_in&limit=1")).json()
    assert body["total"] == 1 and body["limit"] == 1 and body["items"][0]["action"] == "signed_in"
    assert (await client.api("GET", "/api/audit?limit=0")).status_code == 400


async def test_audit_entries_are_written_for_sign_in(client, db):
    user = await make_user(db)
    await client.sign_in(user)
    entry = await db.scalar(select(AuditEntry).where(AuditEntry.action == "signed_in"))
    assert entry.actor_id == user.id and entry.ip_address == "127.0.0.1"


async def test_users_list_shows_invited_and_active_people(client, db):
    coordinator = await make_user(db, Role.COORDINATOR)
    await make_user(db, Role.SCHOOL_STAFF, name="Invited Person", password=False)
    await client.sign_in(coordinator)
    page = await client.page("/users")
    assert "Invited Person" in page.text and "Invited" in page.text and "Active" in page.text


async def test_sent_emails_page_shows_invitation_links(client, db):
    await client.sign_in(await make_user(db, Role.COORDINATOR))
    await client.submit(
        "/users/invite", {"name": "New Coordinator", "email": "new@council.example", "role": "coordinator"}
    )
    page = await client.page("/sent-emails")
    assert "You are invited to Placements" in page.text
    assert 'href="http://testserver.local/invitation/' in page.text


async def test_sent_emails_page_does_not_exist_in_production(client, db, monkeypatch):
    from placements.settings import settings_from_env

    await client.sign_in(await make_user(db, Role.COORDINATOR))
    production = settings_from_env({"PLACEMENTS_ENV": "production", "SECRET_KEY": "k" * 40})
    monkeypatch.setattr("placements.settings.get_settings", lambda: production)
    assert (await client.page("/sent-emails")).status_code == 403


async def test_a_nul_character_in_a_filter_is_a_clear_error_on_every_database(client, db):
    await client.sign_in(await make_user(db, Role.COORDINATOR))
    # The API's schema refuses it up front, whatever the database.
    assert (await client.api("GET", "/api/audit?actor=a%00b")).status_code == 400
    # The page reads the filter as typed: SQLite takes NUL in text; PostgreSQL refuses it,
    # which must be a clear 400, not a crash.
    page = await client.page("/audit?actor=a%00b")
    assert page.status_code == (400 if db.bind.dialect.name == "postgresql" else 200)
