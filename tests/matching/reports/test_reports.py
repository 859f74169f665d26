"""The programme at a glance: figures checked against a small round worked out by hand, the
dashboard and its downloads for each role, and who may see what."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select

from matching.models import Attendance, FollowUp, Outcome
from matching.offers import services as offers
from matching.reports.exports import suppress
from matching.reports.services import Scope, round_report
from placements.accounts.models import Role
from placements.audit.models import AuditEntry
from placements.geo import haversine_km
from programme.models import Stage
from tests.matching.published import publish_choices
from tests.support import make_consent, make_pupil, make_round, make_school, make_user

BLACKBURN = (53.75, -2.49)
CAPTION = re.compile(r'<span class="govuk-caption-l">([^<]+)</span>')


@dataclass
class Fixture:
    s: Any
    outcomes: dict[Any, Outcome]
    pupils: dict[str, Any]


async def published_round(db, scenario) -> Fixture:
    """Six pupils, five taking part, three places (P0: 1 in Preston, P1: 2 in Blackburn).

    After publication and the answers below: a0 (priority) holds P0, not yet answered; a2 holds P1,
    agreed, completed, feedback given, 2 of 3 days attended; b0's P1 offer was declined by the school;
    a1 and b1 are unplaced (every choice full); b2 took no part.
    """
    s = await scenario()
    p0, p1 = s.placements
    p1.lat, p1.lon = BLACKBURN
    a0, a1, a2 = s.pupils[0]
    b0, b1, _b2 = s.pupils[1]
    a0.pupil_premium = True
    a1.first_name = "=HYPERLINK(1)"
    s.school_staff[0].is_digital_advisor = True
    await db.commit()
    outcomes = await publish_choices(db, s, {a0: [p0], a1: [p0, p1], a2: [p1], b0: [p1], b1: [p0]})
    assert outcomes[a0.id].placement_id == p0.id and outcomes[a2.id].placement_id == p1.id
    assert outcomes[b0.id].placement_id == p1.id
    assert outcomes[a1.id].placement_id is None and outcomes[b1.id].placement_id is None
    employer_1 = s.employer_users[1]
    for pupil in (a2, b0):
        await offers.answer(
            db, outcome=outcomes[pupil.id], yes=True, reason=None, actor=employer_1, ip_address=None
        )
    await offers.answer(
        db, outcome=outcomes[a2.id], yes=True, reason=None, actor=s.school_staff[0], ip_address=None
    )
    await offers.answer(
        db, outcome=outcomes[b0.id], yes=False, reason="Moved away", actor=s.school_staff[1], ip_address=None
    )
    agreed = outcomes[a2.id]
    db.add(FollowUp(outcome_id=agreed.id, employer_feedback="Keen", would_host_again=True, completed=True))
    for day, attended in ((date(2027, 6, 21), True), (date(2027, 6, 22), True), (date(2027, 6, 23), False)):
        db.add(Attendance(outcome_id=agreed.id, day=day, attended=attended))
    await db.commit()
    names = {"a0": a0, "a1": a1, "a2": a2, "b0": b0, "b1": b1}
    return Fixture(s, outcomes, names)


async def test_the_programme_figures_match_the_round_worked_by_hand(client, db, scenario):
    f = await published_round(db, scenario)
    report = await round_report(db, f.s.round, Scope())
    h = report.headline
    assert (h.target, h.taking_part, h.placed, h.agreed, h.unplaced, h.published) == (500, 5, 2, 1, 3, True)
    assert report.ranks == [
        ("Choice 1", 2),
        *[(f"Choice {r}", 0) for r in range(2, 6)],
        ("Another suitable placement", 0),
    ]
    assert report.unplaced_reasons == [("Every eligible choice was full", 2), ("Declined by the school", 1)]
    priority, others = report.groups
    assert (priority.taking_part, priority.placed, priority.rate, priority.mean_rank) == (1, 1, 1.0, 1.0)
    assert (others.taking_part, others.placed, others.rate, others.mean_rank) == (4, 1, 0.25, 1.0)
    blackburn_km = haversine_km(53.76, -2.70, *BLACKBURN)
    assert 10 < blackburn_km < 20
    assert dict(report.travel) == {
        "Under 5 km": 1,
        "5 to 10 km": 0,
        "10 to 20 km": 1,
        "20 to 40 km": 0,
        "40 km or more": 0,
    }
    assert report.mean_travel_km == round(blackburn_km / 2, 1)
    p0, p1 = f.s.placements
    assert {x.name: (x.places, x.offered, x.agreed) for x in report.placements} == {
        p0.title: (1, 1, 0),
        p1.title: (2, 1, 1),
    }
    assert {x.name: (x.places, x.offered, x.agreed) for x in report.employers} == {
        f.s.employers[0].name: (1, 1, 0),
        f.s.employers[1].name: (2, 1, 1),
    }
    assert [(x.name, x.places, x.offered, x.agreed, x.rate) for x in report.pathways] == [
        ("Software development", 3, 2, 1, 2 / 3)
    ]
    schools = {x.name: x for x in report.schools}
    first, second = (schools[school.name] for school in f.s.schools)
    assert (first.registered, first.consenting, first.with_choices, first.placed, first.agreed) == (
        3,
        3,
        3,
        2,
        1,
    )
    assert (second.registered, second.consenting, second.with_choices, second.placed, second.agreed) == (
        3,
        3,
        2,
        0,
        0,
    )
    assert first.flags == [] and second.flags == ["No digital advisor"]
    follow = report.follow_up
    assert (follow.agreed, follow.completed, follow.feedback, follow.would_host_again) == (1, 1, 1, 1)
    assert (follow.days_recorded, follow.days_attended, follow.completion_rate) == (3, 2, 1.0)


async def test_each_schools_figures_count_only_what_counts(client, db, scenario):
    """Beside the worked round: a school with no pupils, one whose pupil's consent was withdrawn and
    whose only advisor's account is closed, and a pupil who never consented."""
    f = await published_round(db, scenario)
    empty = await make_school(db, name="Aa Empty School")
    lapsed = await make_school(db, name="Ab Lapsed School")
    await make_user(db, Role.SCHOOL_STAFF, school_id=lapsed.id, is_digital_advisor=True, is_active=False)
    withdrawn, _never_asked = (await make_pupil(db, lapsed.id), await make_pupil(db, lapsed.id))
    await make_consent(db, withdrawn.id, withdrawn_on=date(2026, 10, 1))
    report = await round_report(db, f.s.round, Scope())
    figures = {x.name: x for x in report.schools}
    nothing, some = figures[empty.name], figures[lapsed.name]
    assert (nothing.registered, nothing.consenting, nothing.with_choices, nothing.placed) == (0, 0, 0, 0)
    assert nothing.flags == ["No digital advisor", "No pupils"]
    assert (some.registered, some.consenting, some.with_choices, some.placed) == (2, 0, 0, 0)
    assert some.flags == ["No digital advisor"]
    assert [x.name for x in report.schools][:2] == [empty.name, lapsed.name]
    # A school's own view holds its row alone, with the same figures.
    own = await round_report(db, f.s.round, Scope(school_id=lapsed.id))
    assert [(x.name, x.registered) for x in own.schools] == [(lapsed.name, 2)]
    [first] = (await round_report(db, f.s.round, Scope(school_id=f.s.schools[0].id))).schools
    assert (first.registered, first.consenting, first.with_choices, first.placed, first.agreed) == (
        3,
        3,
        3,
        2,
        1,
    )


async def test_a_school_sees_its_own_pupils_and_an_employer_its_own_placements(client, db, scenario):
    f = await published_round(db, scenario)
    school = await round_report(db, f.s.round, Scope.of(f.s.school_staff[0]))
    h = school.headline
    assert (h.target, h.taking_part, h.placed, h.agreed, h.unplaced) == (0, 3, 2, 1, 1)
    assert [x.name for x in school.schools] == [f.s.schools[0].name]
    assert school.employers == [] and school.placements == []
    assert school.unplaced_reasons == [("Every eligible choice was full", 1)]

    employer = await round_report(db, f.s.round, Scope.of(f.s.employer_users[1]))
    assert [(x.name, x.places, x.offered, x.agreed) for x in employer.placements] == [
        (f.s.placements[1].title, 2, 1, 1)
    ]
    assert employer.schools == [] and employer.headline.taking_part == 0
    assert (employer.headline.placed, employer.headline.agreed) == (1, 1)


def test_small_counts_are_suppressed_with_one_more_when_one_alone_would_show():
    assert suppress([("a", 0), ("b", 3), ("c", 10), ("d", 12)]) == [
        ("a", 0),
        ("b", "[c]"),
        ("c", "[c]"),
        ("d", 12),
    ]
    assert suppress([("a", 2), ("b", 3), ("c", 10)]) == [("a", "[c]"), ("b", "[c]"), ("c", 10)]
    assert suppress([("a", 5), ("b", 0)]) == [("a", 5), ("b", 0)]


async def test_the_dashboard_shows_each_role_its_figures_with_charts(client, db, scenario):
    f = await published_round(db, scenario)
    await client.sign_in(f.s.coordinator)
    page = await client.page(f"/reports/{f.s.round.id}")
    assert page.status_code == 200
    assert "2 placed and 1 agreed against a target of 500" in page.text
    assert page.text.count("<svg") >= 6
    assert "Every eligible choice was full" in page.text and "Year on year" in page.text
    assert (await client.page("/reports")).status_code == 200

    await client.sign_in(f.s.school_staff[1])
    page = await client.page(f"/reports/{f.s.round.id}")
    assert "Your pupils at a glance" in page.text and f.s.schools[1].name in page.text
    assert f.s.schools[0].name not in page.text and "Year on year" not in page.text

    await client.sign_in(f.s.employer_users[1])
    page = await client.page(f"/reports/{f.s.round.id}")
    assert "1 pupils hold offers for your 2 places; 1 placements are agreed" in page.text
    assert f.s.placements[0].title not in page.text and "Schools" not in page.text


async def test_the_dashboard_opens_on_the_current_round_else_the_latest(client, db):
    await client.sign_in(await make_user(db, Role.COORDINATOR))
    assert "There is no matching round yet" in (await client.page("/reports")).text
    current = await make_round(db, programme_year=2040)
    latest = await make_round(db, programme_year=2041, stage=Stage.CLOSED)

    def shown(page) -> str:
        return CAPTION.search(page.text).group(1)

    assert shown(await client.page("/reports")) == f"{current.name}, programme year 2040"
    current.stage = Stage.CLOSED
    await db.commit()
    assert shown(await client.page("/reports")) == f"{latest.name}, programme year 2041"
    assert shown(await client.page(f"/reports/{current.id}")) == f"{current.name}, programme year 2040"


async def test_downloads_are_scoped_formula_safe_and_audited(client, db, scenario):
    f = await published_round(db, scenario)
    base = f"/reports/{f.s.round.id}/downloads"
    await client.sign_in(f.s.coordinator)
    response = await client.get(f"{base}/unplaced.csv")
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0][:6] == ["reference", "first name", "last name", "school", "year group", "reason"]
    assert sorted(row[1] for row in rows[1:]) == sorted(
        ["'=HYPERLINK(1)", f.pupils["b0"].first_name, f.pupils["b1"].first_name]
    )

    response = await client.get(f"{base}/unplaced.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert cells[0][0] == "reference" and "'=HYPERLINK(1)" in [row[1] for row in cells[1:]]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)

    response = await client.get(f"{base}/open-data.csv")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert ["Pupils", "Taking part", "5"] in rows and ["Pupils", "Placed", "[c]"] in rows
    assert not any(f.pupils["a1"].last_name in cell for row in rows for cell in row)

    entries = list(
        await db.scalars(
            select(AuditEntry).where(AuditEntry.action == "report_downloaded").order_by(AuditEntry.at)
        )
    )
    assert [(e.detail["table"], e.detail["format"], e.detail["rows"]) for e in entries] == [
        ("unplaced", "csv", 3),
        ("unplaced", "xlsx", 3),
        ("open-data", "csv", len(rows) - 1),
    ]

    await client.sign_in(f.s.school_staff[0])
    rows = list(csv.reader(io.StringIO((await client.get(f"{base}/outcomes.csv")).text.lstrip("\ufeff"))))
    assert {row[3] for row in rows[1:]} == {f.s.schools[0].name} and len(rows) == 4

    await client.sign_in(f.s.employer_users[1])
    rows = list(csv.reader(io.StringIO((await client.get(f"{base}/outcomes.csv")).text.lstrip("\ufeff"))))
    assert rows[0] == ["first name", "school", "year group", "placement", "status"]
    assert sorted(row[0] for row in rows[1:]) == sorted(
        [f.pupils["a2"].first_name, f.pupils["b0"].first_name]
    )
    text = "".join(",".join(row) for row in rows)
    assert f.pupils["a2"].last_name not in text and f.pupils["b0"].last_name not in text


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        ("school", "downloads/open-data.csv", 403),
        ("school", "downloads/employers.xlsx", 403),
        ("school", "schools", 403),
        ("employer", "downloads/unplaced.csv", 403),
        ("employer", "employers", 403),
        ("coordinator", "downloads/nothing.csv", 404),
        ("coordinator", "downloads/outcomes.pdf", 404),
    ],
)
async def test_who_may_see_which_table(client, db, scenario, who, path, status):
    s = await scenario()
    user = {"school": s.school_staff[0], "employer": s.employer_users[0], "coordinator": s.coordinator}[who]
    await client.sign_in(user)
    assert (await client.get(f"/reports/{s.round.id}/{path}")).status_code == status


async def test_an_unknown_round_is_not_found(client, db, scenario):
    s = await scenario()
    await client.sign_in(s.school_staff[0])
    missing = "00000000-0000-0000-0000-000000000001"
    assert (await client.page(f"/reports/{missing}")).status_code == 404
    assert (await client.api("GET", f"/api/rounds/{missing}/report")).status_code == 404


async def test_the_report_api_gives_the_same_figures_scoped_to_the_user(client, db, scenario):
    f = await published_round(db, scenario)
    await client.sign_in(f.s.school_staff[0])
    body = (await client.api("GET", f"/api/rounds/{f.s.round.id}/report")).json()
    assert body["headline"] == {
        "target": 0,
        "taking_part": 3,
        "placed": 2,
        "agreed": 1,
        "unplaced": 1,
        "published": True,
    }
    assert [school["name"] for school in body["schools"]] == [f.s.schools[0].name]
    await client.sign_in(f.s.coordinator)
    body = (await client.api("GET", f"/api/rounds/{f.s.round.id}/report")).json()
    assert body["follow_up"]["completion_rate"] == 1.0 and body["pathways"][0]["fill_rate"] == pytest.approx(
        2 / 3
    )


async def test_long_tables_page_through_every_school(client, db, scenario):
    s = await scenario()
    await client.sign_in(s.coordinator)
    page = await client.page(f"/reports/{s.round.id}/schools")
    assert page.status_code == 200 and s.schools[0].name in page.text and s.schools[1].name in page.text
    page = await client.page(f"/reports/{s.round.id}/employers")
    assert page.status_code == 200 and s.employers[0].name in page.text
