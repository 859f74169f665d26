"""Reads of pupils' data are audited, one entry per request, and so are refused requests for
another school's or employer's records."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from placements.accounts.models import Role
from placements.audit.models import AuditEntry
from tests.support import make_pupil, make_user


async def _entries(db, action: str) -> list[AuditEntry]:
    await db.commit()
    return list(
        await db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.at))
    )


async def test_reading_a_pupils_record_leaves_one_entry(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    pupil = await make_pupil(db, staff.school_id)
    await client.sign_in(staff)
    assert (await client.page(f"/pupils/{pupil.id}")).status_code == 200
    assert (await client.api("GET", f"/api/pupils/{pupil.id}")).status_code == 200
    first, second = await _entries(db, "pupil_data_read")
    assert (first.actor_id, first.record_id, first.record_type) == (staff.id, str(pupil.id), "pupil")
    assert first.detail["path"] == f"/pupils/{pupil.id}" and first.detail["method"] == "GET"
    assert first.ip_address == "127.0.0.1"
    assert second.detail["path"] == f"/api/pupils/{pupil.id}"


async def test_a_list_or_download_naming_pupils_leaves_one_entry_naming_them_all(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    pupils = [await make_pupil(db, staff.school_id) for _ in range(3)]
    await make_pupil(db, (await make_user(db, Role.SCHOOL_STAFF)).school_id)  # another school's
    await client.sign_in(staff)
    for path in ("/pupils", "/api/pupils", "/pupils/export.csv"):
        assert (await client.page(path)).status_code == 200, path
    entries = await _entries(db, "pupil_data_read")
    assert [e.detail["path"] for e in entries] == ["/pupils", "/api/pupils", "/pupils/export.csv"]
    for entry in entries:
        assert entry.detail["count"] == 3 and entry.record_id is None
        assert entry.detail["ids"] == sorted(str(p.id) for p in pupils)


async def test_pages_that_name_no_pupil_leave_no_read_entry(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    await make_pupil(db, staff.school_id)
    await client.sign_in(staff)
    assert (await client.page("/")).status_code == 200  # counts only
    assert await _entries(db, "pupil_data_read") == []


async def test_another_schools_pupil_is_not_found_and_the_attempt_is_audited(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    theirs = await make_pupil(db, (await make_user(db, Role.SCHOOL_STAFF)).school_id)
    await client.sign_in(staff)
    assert (await client.page(f"/pupils/{theirs.id}")).status_code == 404
    assert (await client.api("GET", f"/api/pupils/{theirs.id}")).status_code == 404
    edit = await client.submit(f"/pupils/{theirs.id}/remove", {})
    assert edit.status_code == 404
    refused = await _entries(db, "access_refused")
    assert [(e.actor_id, e.detail["status"], e.detail["path"]) for e in refused] == [
        (staff.id, 404, f"/pupils/{theirs.id}"),
        (staff.id, 404, f"/api/pupils/{theirs.id}"),
        (staff.id, 404, f"/pupils/{theirs.id}/remove"),
    ]
    assert refused[2].detail["method"] == "POST"
    assert await _entries(db, "pupil_data_read") == []
    await db.commit()
    assert await db.get(type(theirs), theirs.id) is not None  # and nothing was erased


async def test_a_page_the_role_may_not_use_is_refused_and_audited(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    await client.sign_in(staff)
    assert (await client.api("GET", "/api/users")).status_code == 403
    assert (await client.api("GET", f"/api/pupils/{uuid.uuid4()}")).status_code == 404
    refused = await _entries(db, "access_refused")
    assert [e.detail["status"] for e in refused] == [403, 404]
    assert {e.actor_label for e in refused} == {staff.email}
