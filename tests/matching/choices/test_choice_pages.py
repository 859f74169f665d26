"""School staff's choices pages: one pupil's form, its refusals, bulk CSV entry and the downloads."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from matching.choices.services import placement_code
from matching.models import ChoiceEntry, Preference
from placements.accounts.models import Role
from placements.audit.models import AuditEntry
from placements.clock import today
from programme.models import Stage
from tests.support import make_pupil, make_user


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.text)


async def count(db, model) -> int:
    await db.rollback()  # see what the app committed
    return await db.scalar(select(func.count()).select_from(model)) or 0


async def upload(client, content: bytes, name: str = "choices.csv"):
    token = await client.csrf_token()
    return await client.http.post(
        "/choices/upload",
        data={"_csrf_token": token},
        files={"file": (name, content, "text/csv")},
        headers={"accept": "text/html"},
    )


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))


async def test_the_form_saves_choices_and_shows_them_again(client, db, scenario):
    s = await scenario()
    first, second = s.placements
    pupil = s.pupils[0][0]
    await client.sign_in(s.school_staff[0])

    listing = await client.page("/choices")
    assert listing.status_code == 200
    assert pupil.last_name in listing.text and "None yet" in listing.text
    assert s.pupils[1][0].last_name not in listing.text  # another school's pupil

    form = await client.page(f"/choices/{pupil.id}")
    assert form.status_code == 200
    page = text_of(form)
    assert f"{placement_code(first.id)}: {first.title}" in page
    assert "Choice 5" in page and "Open to any other suitable placement" in page
    assert "Places left" not in page  # no place is taken before matching

    saved = await client.submit(
        f"/choices/{pupil.id}",
        {"choice-1": str(second.id), "choice-2": "", "choice-3": str(first.id), "open_to_other": "yes"},
    )
    assert saved.status_code == 303, saved.text
    assert "Choices saved for" in text_of(await client.page(saved.headers["location"]))
    await db.rollback()
    ranked = list(
        await db.scalars(
            select(Preference.placement_id).where(Preference.pupil_id == pupil.id).order_by(Preference.rank)
        )
    )
    assert ranked == [second.id, first.id]
    entry = await db.scalar(select(ChoiceEntry).where(ChoiceEntry.pupil_id == pupil.id))
    assert entry.open_to_other

    again = await client.page(f"/choices/{pupil.id}")
    assert re.search(rf'<option value="{second.id}" selected', again.text)
    assert re.search(rf'<option value="{first.id}" selected', again.text)
    assert re.search(r'id="open_to_other"[^>]*checked', again.text)
    missing = text_of(await client.page("/choices?missing=yes"))
    assert pupil.last_name not in missing and s.pupils[0][1].last_name in missing


async def test_the_banner_gives_the_closing_date(client, db, scenario):
    s = await scenario()
    s.round.preferences_close_on = today() + timedelta(days=10)
    await db.commit()
    await client.sign_in(s.school_staff[0])
    page = text_of(await client.page("/choices"))
    assert f"by {s.round.preferences_close_on.strftime('%-d %B %Y')}" in page
    assert 'href="/choices/upload"' in page


@pytest.mark.parametrize(
    ("arrange", "posted", "message"),
    [
        ("", "duplicate", "The same placement is chosen twice"),
        ("max_choices", "both", "A pupil can rank at most 1 placements"),
        ("closed_date", "first", "Preferences closed on"),
        ("stage", "first", "Choices can be changed only while preferences are open"),
        ("no_consent", "first", "Record a parent&#39;s consent"),
        ("", "not_a_placement", "Choice 1 is not a placement from the list"),
    ],
)
async def test_refused_choices_show_the_form_again_and_save_nothing(
    client, db, scenario, arrange, posted, message
):
    s = await scenario(stage=Stage.PREFERENCES_CLOSED if arrange == "stage" else Stage.PREFERENCES_OPEN)
    first, second = s.placements
    pupil = s.pupils[0][0]
    if arrange == "max_choices":
        s.round.max_choices = 1
    if arrange == "closed_date":
        s.round.preferences_close_on = today() - timedelta(days=1)
    if arrange == "no_consent":
        pupil = await make_pupil(db, s.schools[0].id)
    await db.commit()
    fields = {
        "duplicate": {"choice-1": str(first.id), "choice-2": str(first.id)},
        "both": {"choice-1": str(first.id), "choice-2": str(second.id)},
        "first": {"choice-1": str(first.id)},
        "not_a_placement": {"choice-1": "not-an-id"},
    }[posted]
    await client.sign_in(s.school_staff[0])
    response = await client.submit(f"/choices/{pupil.id}", fields)
    assert response.status_code == 400, response.text
    assert message in response.text
    assert "There is a problem" in response.text
    assert await count(db, Preference) == 0 and await count(db, ChoiceEntry) == 0


async def test_choices_cannot_change_once_the_closing_date_has_passed(client, db, scenario):
    s = await scenario()
    s.round.preferences_close_on = date(2030, 3, 1)
    await db.commit()
    pupil = s.pupils[0][0]
    with time_machine.travel(date(2030, 3, 2), tick=False):
        await client.sign_in(s.school_staff[0])
        form = await client.page(f"/choices/{pupil.id}")
        assert "Preferences closed on 1 March 2030" in form.text
        assert "Save choices" not in form.text
        response = await client.submit(f"/choices/{pupil.id}", {"choice-1": str(s.placements[0].id)})
    assert response.status_code == 400
    assert await count(db, Preference) == 0


async def test_another_schools_pupil_is_not_found(client, db, scenario):
    s = await scenario()
    other = s.pupils[1][0]
    await client.sign_in(s.school_staff[0])
    assert (await client.page(f"/choices/{other.id}")).status_code == 404
    response = await client.submit(f"/choices/{other.id}", {"choice-1": str(s.placements[0].id)})
    assert response.status_code == 404
    assert await count(db, Preference) == 0


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.EMPLOYER_USER])
async def test_only_school_staff_use_the_choices_pages(client, db, scenario, role):
    s = await scenario()
    user = s.coordinator if role is Role.COORDINATOR else s.employer_users[0]
    pupil = s.pupils[0][0]
    await client.sign_in(user)
    for path in ("/choices", f"/choices/{pupil.id}", "/choices/upload", "/choices/template.csv"):
        assert (await client.page(path)).status_code == 403, path
    response = await client.submit(f"/choices/{pupil.id}", {"choice-1": str(s.placements[0].id)})
    assert response.status_code == 403


async def test_a_good_csv_file_saves_every_row(client, db, scenario):
    s = await scenario()
    first, second = s.placements
    a, b, _ = s.pupils[0]
    content = (
        "Reference,Choice 1,Choice 2,Open_to_other\n"
        f"{a.reference},{placement_code(second.id)},{placement_code(first.id).lower()},yes\n"
        f"{b.reference},{placement_code(first.id)},,no\n"
    ).encode("utf-8-sig")
    await client.sign_in(s.school_staff[0])
    response = await upload(client, content)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/choices"
    assert "Choices saved for 2 pupils" in text_of(await client.page("/choices"))
    await db.rollback()
    rows = (await db.execute(select(Preference.pupil_id, Preference.placement_id, Preference.rank))).all()
    assert sorted((p, q, r) for p, q, r in rows) == sorted(
        [(a.id, second.id, 1), (a.id, first.id, 2), (b.id, first.id, 1)]
    )


async def test_a_file_with_bad_rows_lists_them_by_row_and_column_and_saves_nothing(client, db, scenario):
    s = await scenario()
    first = s.placements[0]
    a, b, c = s.pupils[0]
    code = placement_code(first.id)
    content = (
        "reference,choice 1,choice 2,open_to_other\n"
        f"{a.reference},{code},,yes\n"  # row 2: good, but nothing is saved
        f"{b.reference},ZZZZ9999,,no\n"  # row 3: unknown code
        f"{c.reference},{code},{code},no\n"  # row 4: the same placement twice
        f"{s.pupils[1][0].reference},{code},,no\n"  # row 5: another school's pupil
        f"{a.reference},{code},,maybe\n"  # row 6: the same pupil again
        "\n"  # row 7: blank, skipped but counted, as a spreadsheet numbers it
        ",,,\n"  # row 8: empty cells only (Excel's formatted rows), skipped too
        f",{code},,no\n"  # row 9: no reference
    ).encode()
    await client.sign_in(s.school_staff[0])
    response = await upload(client, content)
    assert response.status_code == 400
    page = text_of(response)
    assert "nothing was saved" in page
    for row, column, message in [
        (3, "choice 1", "ZZZZ9999 is not a placement open to this pupil"),
        (4, "choice 2", f"{code} is chosen twice"),
        (5, "reference", "No pupil of your school with a parent&#39;s consent has this reference"),
        (6, "reference", "This pupil is on an earlier row too"),
        (9, "reference", "Enter the pupil&#39;s reference"),
    ]:
        assert re.search(rf">{row}</td> <td[^>]*><code>{column}</code></td> <td[^>]*>{message}<", page), row
    assert not re.search(r">[78]</td> <td[^>]*><code>", page)  # blank rows are no problem
    assert await count(db, Preference) == 0 and await count(db, ChoiceEntry) == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "The file is not UTF-8 text"),
        (b"reference,choice 1\nR1\x00,AB\n", "The file is not a CSV file"),
        (b"name,school\nSam,Test\n", "The first row must name the columns, including &#39;reference&#39;"),
        (b"reference,choice 9\nR1,AB\n", "This round allows 5 choices: remove the column &#39;choice 9&#39;"),
    ],
)
async def test_a_file_that_is_not_a_choices_csv_is_refused_clearly(client, db, scenario, content, message):
    s = await scenario()
    await client.sign_in(s.school_staff[0])
    response = await upload(client, content, name="picture.png")
    assert response.status_code == 400
    assert message in response.text
    assert await count(db, Preference) == 0


async def test_uploading_without_a_file_asks_for_one(client, db, scenario):
    s = await scenario()
    await client.sign_in(s.school_staff[0])
    token = await client.csrf_token()
    response = await client.http.post(
        "/choices/upload",
        data={"_csrf_token": token},
        files={"other": ("x.txt", b"", "text/plain")},
        headers={"accept": "text/html"},
    )
    assert response.status_code == 400
    assert "Select a CSV file" in response.text


async def test_the_template_lists_the_schools_pupils_with_their_choices_and_is_audited(client, db, scenario):
    s = await scenario()
    first, second = s.placements
    a = s.pupils[0][0]
    a.first_name = "=HYPERLINK(1)"
    await db.commit()
    await client.sign_in(s.school_staff[0])
    saved = await client.submit(
        f"/choices/{a.id}", {"choice-1": str(second.id), "choice-2": str(first.id), "open_to_other": "yes"}
    )
    assert saved.status_code == 303
    rows = rows_of(await client.page("/choices/template.csv"))
    assert rows[0] == [
        "reference",
        "first_name",
        "last_name",
        "choice 1",
        "choice 2",
        "choice 3",
        "choice 4",
        "choice 5",
        "open_to_other",
    ]
    by_reference = {row[0]: row for row in rows[1:]}
    assert set(by_reference) == {p.reference for p in s.pupils[0]}
    assert by_reference[a.reference] == [
        a.reference,
        "'=HYPERLINK(1)",
        a.last_name,
        placement_code(second.id),
        placement_code(first.id),
        "",
        "",
        "",
        "yes",
    ]
    await db.rollback()
    entry = await db.scalar(select(AuditEntry).where(AuditEntry.action == "choices_template_downloaded"))
    assert entry is not None and entry.detail["rows"] == 3

    # The file, filled in, uploads again unchanged.
    content = "\n".join(",".join(row) for row in rows).encode()
    assert (await upload(client, content)).status_code == 303


async def test_the_placement_codes_list_is_formula_safe(client, db, scenario):
    s = await scenario()
    first = s.placements[0]
    first.title = "=1+2"
    await db.commit()
    staff = await make_user(db, Role.SCHOOL_STAFF, school_id=s.schools[1].id)
    await client.sign_in(staff)
    rows = rows_of(await client.page("/choices/placements.csv"))
    assert rows[0] == ["code", "title", "employer", "weeks", "year_groups"]
    by_code = {row[0]: row for row in rows[1:]}
    assert set(by_code) == {placement_code(p.id) for p in s.placements}
    assert by_code[placement_code(first.id)][1:] == [
        "'=1+2",
        s.employers[0].name,
        " ".join(first.weeks),
        "10 12",
    ]
