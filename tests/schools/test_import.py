"""CSV import: every kind of bad row, a good 2,000-row file, re-import updates, refusals, tenancy."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from placements.accounts.models import Role
from placements.audit.models import AuditEntry
from placements.clock import today
from placements.exports import safe_cell
from schools.csv_import import COLUMNS
from schools.models import Pupil, PupilImport
from schools.validation import academic_year_start
from tests.support import make_pupil, make_user

HEADER = "reference,first_name,last_name,date_of_birth,year_group,home_postcode,pupil_premium,send\n"


def born(year_group: int = 10) -> str:
    return f"15/01/{academic_year_start(today()) - year_group - 5 + 1}"


def good_file(rows: int, *, prefix: str = "G", surname: str = "Smith") -> bytes:
    lines = [HEADER]
    for n in range(rows):
        lines.append(
            f"{prefix}{n:05d},Pupil{n},{surname}{n},{born()},Year 10,PR1 2HE,"
            f"{'yes' if n % 4 == 0 else 'no'},no\n"
        )
    return "".join(lines).encode("utf-8-sig")


async def upload(client, content: bytes, name: str = "pupils.csv"):
    token = await client.csrf_token()
    return await client.http.post(
        "/pupils/import",
        data={"_csrf_token": token},
        files={"file": (name, content, "text/csv")},
        headers={"accept": "text/html"},
    )


def import_id(response) -> str:
    return response.headers["location"].rsplit("/", 1)[1]


async def test_every_kind_of_bad_row_is_listed_by_row_and_column(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    await make_pupil(
        db,
        staff.school_id,
        reference="OLD1",
        first_name="Existing",
        last_name="Child",
        date_of_birth=__import__("datetime").date.fromisoformat(
            f"{academic_year_start(today()) - 15 + 1}-01-15"
        ),
    )
    await client.sign_in(staff)
    content = (
        HEADER
        + f"B1,Good,Row,{born()},10,,no,no\n"
        + "B2,Bad,Date,31/02/2011,10,,no,no\n"  # row 3: impossible date
        + f"B3,Unknown,Year,{born()},Year 15,,no,no\n"  # row 4: year group
        + f"B1,Dup,Reference,{born()},10,,no,no\n"  # row 5: duplicate reference
        + f"B5,,Missing,{born()},10,,no,no\n"  # row 6: missing first name
        + f"B6,Existing,Child,{born()},10,,no,no\n"  # row 7: already registered with OLD1
        + f"B7,Odd,Flag,{born()},10,,maybe,no\n"  # row 8: flag
        + "B8,Old,Pupil,01/01/1990,10,,no,no\n"  # row 9: date of birth does not fit year
    ).encode()
    response = await upload(client, content)
    assert response.status_code == 303, response.text
    preview = await client.page(response.headers["location"])
    text = re.sub(r"\s+", " ", preview.text)
    for row, column, message in [
        (3, "date_of_birth", "must be a real date"),
        (4, "year_group", "Year group must be a number from 7 to 13"),
        (5, "reference", "Duplicate pupil: reference B1 is also on row 2"),
        (6, "first_name", "Enter the first name"),
        (7, "reference", "already registered with reference OLD1"),
        (8, "pupil_premium", "Pupil premium must be yes or no"),
        (9, "date_of_birth", "does not fit year 10"),
    ]:
        assert re.search(
            rf">{row}</td> <td[^>]*><code>{column}</code></td> <td[^>]*>[^<]*{re.escape(message)}", text
        ), (row, column)
    assert "Import 1 pupils" not in preview.text  # refused while there are problems
    confirm = await client.submit(response.headers["location"], {})
    assert confirm.status_code == 409
    assert await db.scalar(select(func.count()).select_from(Pupil)) == 1


async def test_missing_columns_and_refused_files(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    await client.sign_in(staff)
    response = await upload(client, b"first_name,last_name\nA,B\n")
    preview = await client.page(response.headers["location"])
    assert "The file has no reference column" in preview.text and "no date_of_birth column" in preview.text

    xlsx = await upload(client, b"PK\x03\x04 rest of a workbook", name="pupils.csv")
    assert xlsx.status_code == 400 and "Excel workbook" in xlsx.text
    not_csv = await upload(client, b"hello", name="pupils.txt")
    assert not_csv.status_code == 400 and "must be a CSV file" in not_csv.text
    too_big = await upload(client, HEADER.encode() + b"x" * (2 * 1024 * 1024 + 10))
    assert too_big.status_code == 400 and "smaller than 2 MB" in too_big.text
    assert await db.scalar(select(func.count()).select_from(Pupil)) == 0


async def test_good_2000_row_file_imports_and_reimport_updates(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    school_id = staff.school_id
    await client.sign_in(staff)
    response = await upload(client, good_file(2000))
    preview = await client.page(response.headers["location"])
    assert "Import 2000 pupils" in preview.text
    assert await db.scalar(select(func.count()).select_from(Pupil)) == 0  # nothing written before confirming
    done = await client.submit(response.headers["location"], {})
    assert done.status_code == 303
    await db.rollback()  # a fresh snapshot: the app committed in between
    assert (
        await db.scalar(select(func.count()).select_from(Pupil).where(Pupil.school_id == school_id)) == 2000
    )
    assert await db.scalar(select(func.count()).select_from(PupilImport)) == 0  # deleted after use
    assert (
        await db.scalar(select(AuditEntry.detail).where(AuditEntry.action == "pupils_imported")) is not None
    )

    again = await upload(client, good_file(2000, surname="Brown"))
    preview = await client.page(again.headers["location"])
    assert re.search(r"Pupils to update\s*</dt>\s*<dd[^>]*>\s*2000", preview.text)
    await client.submit(again.headers["location"], {})
    await db.rollback()
    assert await db.scalar(select(func.count()).select_from(Pupil)) == 2000
    assert (
        await db.scalar(select(func.count()).select_from(Pupil).where(Pupil.last_name.like("Brown%"))) == 2000
    )


async def test_api_import_and_another_schools_import_is_not_found(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    other = await make_user(db, Role.SCHOOL_STAFF)
    await client.sign_in(staff)
    uploaded = await client.api(
        "POST", "/api/pupil-imports", files={"data": ("p.csv", good_file(3), "text/csv")}
    )
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["new"] == 3 and uploaded.json()["problems"] == []
    pending = uploaded.json()["id"]
    refused = await client.api(
        "POST", "/api/pupil-imports", files={"data": ("p.xlsx", b"PK\x03\x04", "text/csv")}
    )
    assert refused.status_code == 415

    await client.sign_in(other)
    assert (await client.api("GET", f"/api/pupil-imports/{pending}")).status_code == 404
    assert (await client.api("POST", f"/api/pupil-imports/{pending}/confirm")).status_code == 404
    assert (await client.page(f"/pupils/import/{pending}")).status_code == 404

    await client.sign_in(staff)
    confirmed = await client.api("POST", f"/api/pupil-imports/{pending}/confirm")
    assert confirmed.status_code == 200 and confirmed.json() == {"created": 3, "updated": 0}


async def test_template_and_exports_neutralise_formulas(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    await make_pupil(db, staff.school_id, first_name='=HYPERLINK("x")', last_name="@SUM(A1)")
    await client.sign_in(staff)
    template = await client.page("/pupils/import/template.csv")
    assert template.text.lstrip("\ufeff").splitlines()[0] == ",".join(h for _, h, _ in COLUMNS)
    export = await client.page("/pupils/export.csv")
    assert "'=HYPERLINK" in export.text and "'@SUM(A1)" in export.text
    assert await db.scalar(select(AuditEntry.id).where(AuditEntry.action == "pupils_exported")) is not None
    assert [safe_cell(v) for v in ("=1", "+1", "-1", "@x", "ok", 5)] == ["'=1", "'+1", "'-1", "'@x", "ok", 5]
