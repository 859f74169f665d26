"""Imports into one school that race or overlap: never a 5xx, never the same child twice."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from placements.accounts.models import Role
from placements.clock import today
from schools import services
from schools.models import Pupil, School
from schools.validation import PupilData, academic_year_start
from tests.schools.test_import import HEADER, born, import_id, upload
from tests.support import make_user

AT_ONCE = 10


def _file(rows: list[tuple[str, str]]) -> bytes:
    """(reference, first name) rows of children who share a surname and a birthday."""
    lines = [HEADER, *(f"{ref},{first},Okafor,{born()},Year 10,PR1 2HE,no,no\n" for ref, first in rows)]
    return "".join(lines).encode()


async def _pupils(db, school_id) -> list[tuple[str, str]]:
    await db.commit()
    rows = await db.execute(select(Pupil.reference, Pupil.first_name).where(Pupil.school_id == school_id))
    return sorted(rows.all())


async def test_ten_imports_confirmed_at_once_make_no_duplicates(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    await client.sign_in(staff)
    previews = []
    for n in range(AT_ONCE):
        # The same three children in every file, their references in upper or lower case, and one
        # child each file alone has.
        case = str.upper if n % 2 else str.lower
        rows = [(case(f"b4b04da-{k}"), f"Ada{k}") for k in range(3)] + [(f"ONLY-{n}", f"Solo{n}")]
        response = await upload(client, _file(rows))
        assert response.status_code == 303, response.text
        previews.append(import_id(response))

    token = await client.csrf_token()
    responses = await asyncio.gather(
        *(
            client.http.post(
                f"/pupils/import/{pid}", data={"_csrf_token": token}, headers={"accept": "text/html"}
            )
            for pid in previews
        )
    )
    assert all(r.status_code < 500 for r in responses), [r.status_code for r in responses]
    assert all(r.status_code in (303, 409) for r in responses)
    pupils = await _pupils(db, staff.school_id)
    references = [reference.upper() for reference, _ in pupils]
    assert len(references) == len(set(references))
    shared = [p for p in pupils if p[0].upper().startswith("B4B04DA-")]
    assert len(shared) == 3  # each shared child once, whichever file's case won


async def test_a_child_in_two_previews_is_created_once(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    await client.sign_in(staff)
    first = import_id(await upload(client, _file([("A-1", "Grace")])))
    second = import_id(await upload(client, _file([("B-1", "Grace")])))  # the same child, another reference
    assert (await client.submit(f"/pupils/import/{first}", {})).status_code == 303
    refused = await client.submit(f"/pupils/import/{second}", {})
    assert refused.status_code == 409
    assert "registered at the school under other references" in refused.text
    assert await _pupils(db, staff.school_id) == [("A-1", "Grace")]


async def test_a_reference_in_another_case_is_the_same_pupil(db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    school = await db.get_one(School, staff.school_id)

    def child(reference: str, first_name: str) -> PupilData:
        return PupilData(reference, first_name, "Marlow", date(academic_year_start(today()) - 14, 1, 15), 10)

    await services.create_pupil(
        db, school=school, data=child("b4b04da-1", "Kit"), actor=staff, ip_address=None
    )
    with pytest.raises(services.SchoolsError, match="already has this reference"):
        await services.create_pupil(
            db, school=school, data=child("B4B04DA-1", "Other"), actor=staff, ip_address=None
        )
    # The database holds the same rule, whoever writes: the index compares references in any case.
    db.add(Pupil(school_id=school.id, **asdict(child("B4b04dA-1", "Third"))))
    with pytest.raises(IntegrityError):
        await db.flush()
