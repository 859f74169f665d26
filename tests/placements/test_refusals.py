"""Nothing a person can send is a 5xx: hostile uploads re-show the form with what is wrong, bodies
over the limit answer 413, and JSON nested too deep answers 400; nothing is saved."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from matching.choices.services import placement_code
from matching.models import ChoiceEntry, Preference
from placements.accounts.models import Role
from placements.clock import today
from schools.models import Pupil, PupilImport
from schools.validation import academic_year_start
from tests.matching import conftest as matching
from tests.support import make_user

BIG_CELL = b"R" * (1024 * 1024)
# Each file is refused before a row is read; the message is the part of the refusal a person reads.
HOSTILE_FILES = [
    pytest.param(
        b"reference,x\n" + b"a,b\n" * 1200 + b"R\x00,B\n", "it contains a NUL character", id="nul-late"
    ),
    pytest.param(b"reference,x\n" + BIG_CELL + b",A\n", "Row 2 has a cell longer than", id="megabyte-cell"),
    pytest.param(
        b'reference,x\n"R1,A\nR2,B\nR3,C\n',
        "Row 2 has a quote mark (&#34;) that is never closed",
        id="quote-bomb",
    ),
    pytest.param(
        b'reference,x\n"R1,A\n' + b"R2,B\n" * 30000,
        "Row 2 has a quote mark (&#34;) that is never closed",
        id="big-quote-bomb",
    ),
    pytest.param(
        b'reference,x\n"R1"2,A\n', "Row 2 has a quote mark (&#34;) in the middle of a cell", id="stray-quote"
    ),
    pytest.param("reference,x\n".encode("utf-16"), "Unicode Text", id="utf-16"),
    pytest.param(b"reference,x\n" + b"R" * (3 * 1024 * 1024), "must be smaller than 2 MB", id="over-2-mb"),
    pytest.param(b"\xef\xbb\xbf\n \n", "The selected file is empty", id="empty"),
    pytest.param(b"reference,x\n" + b"R,A\n" * 5001, "more than 5,000 pupils", id="too-many-rows"),
]
round_scenario = matching.scenario  # the matching tests' fixture, for the choices uploads


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.text)


async def rows(db, model) -> int:
    await db.rollback()  # see what the app committed
    return await db.scalar(select(func.count()).select_from(model)) or 0


async def upload(client, path: str, content: bytes):
    return await client.http.post(
        path,
        data={"_csrf_token": await client.csrf_token()},
        files={"file": ("upload.csv", content, "text/csv")},
        headers={"accept": "text/html"},
    )


def assert_form_refused(response, message: str) -> None:
    assert response.status_code == 400, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    page = text_of(response)
    assert "govuk-error-summary" in page
    assert message in page, page[:3000]


@pytest.mark.parametrize(("content", "message"), HOSTILE_FILES)
async def test_a_hostile_pupil_file_shows_the_form_again_and_saves_nothing(client, db, content, message):
    await client.sign_in(await make_user(db, Role.SCHOOL_STAFF))
    response = await upload(client, "/pupils/import", content)
    assert_form_refused(response, message)
    assert 'action="/pupils/import"' in response.text
    assert await rows(db, PupilImport) == 0 and await rows(db, Pupil) == 0


@pytest.mark.parametrize(("content", "message"), HOSTILE_FILES)
async def test_a_hostile_choices_file_shows_the_form_again_and_saves_nothing(
    client, db, round_scenario, content, message
):
    s = await round_scenario()
    await client.sign_in(s.school_staff[0])
    response = await upload(client, "/choices/upload", content)
    assert_form_refused(response, message)
    assert 'action="/choices/upload"' in response.text
    assert await rows(db, Preference) == 0 and await rows(db, ChoiceEntry) == 0


@pytest.mark.parametrize(("content", "message"), HOSTILE_FILES)
async def test_a_hostile_pupil_file_sent_to_the_api_is_refused_in_json(client, db, content, message):
    await client.sign_in(await make_user(db, Role.SCHOOL_STAFF))
    response = await client.api("POST", "/api/pupil-imports", files={"data": ("p.csv", content, "text/csv")})
    assert response.status_code in (413, 415), response.text[:500]
    assert response.headers["content-type"].startswith("application/json")
    detail = response.json()["detail"]
    assert html.unescape(message) in detail and "10 MB" not in detail
    assert await rows(db, PupilImport) == 0


@pytest.mark.parametrize("delimiter", [";", "\t"])
async def test_a_schools_semicolon_or_tab_file_saves_choices(client, db, round_scenario, delimiter):
    s = await round_scenario()
    pupil = s.pupils[0][0]
    content = delimiter.join(["reference", "choice 1", "open_to_other"]) + "\n"
    content += delimiter.join([pupil.reference, placement_code(s.placements[0].id), "yes"]) + "\n"
    await client.sign_in(s.school_staff[0])
    response = await upload(client, "/choices/upload", content.encode())
    assert response.status_code == 303, text_of(response)[:2000]
    await db.rollback()
    saved = (await db.execute(select(Preference.pupil_id, Preference.placement_id))).all()
    assert saved == [(pupil.id, s.placements[0].id)]


async def test_a_windows_1252_semicolon_pupil_file_still_imports(client, db):
    await client.sign_in(await make_user(db, Role.SCHOOL_STAFF))
    born = f"15/01/{academic_year_start(today()) - 14}"  # in year 10
    content = f"reference;first_name;last_name;date_of_birth;year_group\nP1;Zoë;Brontë;{born};10\n"
    response = await upload(client, "/pupils/import", content.encode("cp1252"))
    assert response.status_code == 303, text_of(response)[:2000]
    assert (await client.submit(response.headers["location"], {})).status_code == 303
    await db.rollback()
    assert (await db.execute(select(Pupil.first_name, Pupil.last_name))).all() == [("Zoë", "Brontë")]


@pytest.mark.parametrize("megabytes", [11, 50])
async def test_an_upload_over_the_limit_answers_413_with_the_largest_size(client, db, megabytes):
    await client.sign_in(await make_user(db, Role.SCHOOL_STAFF))
    response = await upload(client, "/pupils/import", b"reference\n" + b"x" * (megabytes * 1024 * 1024))
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    page = text_of(response)
    assert '<h1 class="govuk-heading-l">The file is too large</h1>' in page
    assert "larger than 10 MB, the most the service accepts, so nothing was saved" in page
    assert "smaller than 2 MB" in page
    assert await rows(db, PupilImport) == 0


async def test_an_api_body_over_the_limit_answers_413_json_even_without_a_length(client, db):
    await client.sign_in(await make_user(db, Role.SCHOOL_STAFF))

    async def chunks():
        for _ in range(11):
            yield b"[" + b" " * (1024 * 1024)

    response = await client.api(
        "POST", "/api/pupils", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/json")
    assert "larger than 10 MB" in response.json()["detail"]
    assert await rows(db, Pupil) == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(b"[" * 100_000, "nested too deeply", id="arrays"),
        pytest.param(b'{"first_name":' * 100_000, "nested too deeply", id="objects"),
        pytest.param(b'{"first_name": "Sam"', "truncated", id="unfinished"),
        pytest.param(b"\xff\xfe{}", "JSON is malformed", id="not-utf-8"),
    ],
)
async def test_an_unreadable_json_body_answers_400(client, db, body, message):
    await client.sign_in(await make_user(db, Role.SCHOOL_STAFF))
    response = await client.api(
        "POST", "/api/pupils", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400, response.text[:500]
    assert response.headers["content-type"].startswith("application/json")
    assert message in response.json()["detail"]
    assert await rows(db, Pupil) == 0
