"""Outcomes and offers after publication: what schools and employers see, and their answers."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from matching.models import Outcome, Reply
from matching.offers import services as offers
from placements.audit.models import AuditEntry
from placements.web.templating import week_commencing
from tests.matching.published import publish_choices
from tests.support import run_queued_jobs


@dataclass
class Published:
    s: Any
    outcomes: dict[Any, Outcome]
    offered: Any  # school 0's pupil offered the second placement (employer 1)
    other_school: Any  # school 1's pupil offered the same placement
    placed: Any  # school 0's pupil who got the first placement (employer 0)
    unplaced: Any  # school 0's pupil who did not


async def publish(db, scenario) -> Published:
    s = await scenario()
    first, second = s.placements
    second.title = "=Data team"
    a, b, c = s.pupils[0]
    for pupil in (b, s.pupils[1][0]):
        pupil.access_needs = "Step-free access to the office"
        pupil.emergency_contact_name = "Pat Guardian"
        pupil.emergency_contact_relationship = "Carer"
        pupil.emergency_contact_phone = "01772 555123"
    await db.commit()
    outcomes = await publish_choices(db, s, {a: [first], b: [second], c: [first], s.pupils[1][0]: [second]})
    placed, unplaced = (a, c) if outcomes[a.id].placement_id == first.id else (c, a)
    return Published(s, outcomes, b, s.pupils[1][0], placed, unplaced)


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.text)


async def refreshed(db, outcome: Outcome) -> Outcome:
    """The outcome as the app left it: ending the session's transaction (a commit, which unlike a
    rollback keeps the test's other objects loaded) lets it see what the app committed."""
    await db.commit()
    return await db.get_one(Outcome, outcome.id, populate_existing=True)


async def test_before_publication_there_are_no_outcomes_to_show(client, db, scenario):
    s = await scenario()
    await client.sign_in(s.school_staff[0])
    page = text_of(await client.page("/outcomes"))
    assert "Results are not published yet" in page
    assert s.pupils[0][0].last_name not in page and "details.csv" not in page
    await client.sign_in(s.employer_users[0])
    assert "No pupils are matched to your placements yet" in text_of(await client.page("/matches"))


async def test_a_school_sees_its_own_pupils_outcomes_with_explanations(client, db, scenario):
    p = await publish(db, scenario)
    offered = p.outcomes[p.offered.id]
    await client.sign_in(p.s.school_staff[0])
    page = text_of(await client.page("/outcomes"))
    assert f"{p.offered.first_name} {p.offered.last_name}" in page
    assert offered.explanation in page and "Waiting for answers" in page
    assert p.other_school.last_name not in page
    unplaced = text_of(await client.page("/outcomes?status=unplaced"))
    assert p.unplaced.last_name in unplaced and p.offered.last_name not in unplaced
    placed = text_of(await client.page("/outcomes?status=placed"))
    assert p.offered.last_name in placed and p.unplaced.last_name not in placed

    detail = text_of(await client.page(f"/outcomes/{offered.id}"))
    assert "=Data team" in detail and "Accept offer" in detail and "Decline" in detail
    assert "Withdraw" not in detail

    other = p.outcomes[p.other_school.id]
    assert (await client.page(f"/outcomes/{other.id}")).status_code == 404
    assert (await client.page(f"/outcomes/{other.id}/accept")).status_code == 404
    assert (await client.submit(f"/outcomes/{other.id}/accept", {})).status_code == 404
    assert (await client.page(f"/outcomes/{offered.id}/maybe")).status_code == 404
    assert (await refreshed(db, other)).school_reply is Reply.PENDING


async def test_coordinators_see_every_schools_outcomes_without_answering(client, db, scenario):
    p = await publish(db, scenario)
    offered = p.outcomes[p.offered.id]
    await client.sign_in(p.s.coordinator)
    page = text_of(await client.page("/outcomes"))
    assert p.offered.last_name in page and p.other_school.last_name in page
    assert p.s.schools[1].name in page
    detail = await client.page(f"/outcomes/{offered.id}")
    assert detail.status_code == 200 and "Accept offer" not in detail.text
    assert (await client.page(f"/outcomes/{offered.id}/accept")).status_code == 403
    assert (await client.submit(f"/outcomes/{offered.id}/accept", {})).status_code == 403


async def test_the_school_accepts_then_withdraws_with_a_reason(client, db, scenario):
    p = await publish(db, scenario)
    offered = p.outcomes[p.offered.id]
    await client.sign_in(p.s.school_staff[0])
    confirm = text_of(await client.page(f"/outcomes/{offered.id}/accept"))
    assert "Accept this offer for the pupil?" in confirm and "once the employer confirms" in confirm
    accepted = await client.submit(f"/outcomes/{offered.id}/accept", {})
    assert accepted.status_code == 303, accepted.text
    assert "The offer is accepted" in text_of(await client.page(accepted.headers["location"]))
    assert (await refreshed(db, offered)).school_reply is Reply.YES
    await run_queued_jobs()

    detail = text_of(await client.page(f"/outcomes/{offered.id}"))
    assert "Withdraw" in detail and "Accept offer" not in detail
    warning = text_of(await client.page(f"/outcomes/{offered.id}/withdraw"))
    assert "Its place is freed for another pupil" in warning
    refused = await client.submit(f"/outcomes/{offered.id}/withdraw", {"reason": "  "})
    assert refused.status_code == 400 and "Say why the placement is withdrawn" in refused.text
    assert (await refreshed(db, offered)).withdrawn_by is None
    done = await client.submit(f"/outcomes/{offered.id}/withdraw", {"reason": "Family moved away"})
    assert done.status_code == 303
    outcome = await refreshed(db, offered)
    assert outcome.withdrawn_by == "school" and outcome.reason == "Family moved away"
    assert not outcome.holds_place
    await run_queued_jobs()


async def test_the_school_declines_only_with_a_reason(client, db, scenario):
    p = await publish(db, scenario)
    offered = p.outcomes[p.offered.id]
    await client.sign_in(p.s.school_staff[0])
    warning = text_of(await client.page(f"/outcomes/{offered.id}/decline"))
    assert "Decline this offer?" in warning and "Its place is freed for another pupil" in warning
    refused = await client.submit(f"/outcomes/{offered.id}/decline", {"reason": ""})
    assert refused.status_code == 400 and "Say why the offer is declined" in refused.text
    assert (await refreshed(db, offered)).school_reply is Reply.PENDING
    too_long = await client.submit(f"/outcomes/{offered.id}/decline", {"reason": "x" * 2001})
    assert too_long.status_code == 400 and "2000 characters or fewer" in too_long.text

    done = await client.submit(f"/outcomes/{offered.id}/decline", {"reason": "Pupil chose another"})
    assert done.status_code == 303
    outcome = await refreshed(db, offered)
    assert outcome.school_reply is Reply.NO and not outcome.holds_place
    await run_queued_jobs()
    assert "Declined by the school" in text_of(await client.page(f"/outcomes/{offered.id}"))
    again = await client.submit(f"/outcomes/{offered.id}/accept", {})
    assert again.status_code == 400 and "This offer has ended" in again.text


async def test_answers_after_the_deadline_are_refused(client, db, scenario):
    p = await publish(db, scenario)
    offered = p.outcomes[p.offered.id]
    with time_machine.travel(offered.respond_by + timedelta(days=1), tick=False):
        await client.sign_in(p.s.school_staff[0])
        detail = text_of(await client.page(f"/outcomes/{offered.id}"))
        assert "The deadline to answer has passed" in detail and "Accept offer" not in detail
        late = await client.submit(f"/outcomes/{offered.id}/accept", {})
        assert late.status_code == 400 and "The deadline to answer was" in late.text
        await client.sign_in(p.s.employer_users[1])
        late = await client.submit(f"/matches/{offered.id}/confirm", {})
        assert late.status_code == 400 and "The deadline to answer was" in late.text
    outcome = await refreshed(db, offered)
    assert outcome.school_reply is Reply.PENDING and outcome.employer_reply is Reply.PENDING


async def test_placement_details_to_send_home_are_the_schools_own_formula_safe_and_audited(
    client, db, scenario
):
    p = await publish(db, scenario)
    await client.sign_in(p.s.school_staff[0])
    response = await client.page("/outcomes/details.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0] == [
        "pupil",
        "placement",
        "employer",
        "address",
        "town",
        "postcode",
        "weeks",
        "supervisor",
        "status",
    ]
    by_pupil = {row[0]: row for row in rows[1:]}
    name = f"{p.offered.first_name} {p.offered.last_name}"
    assert set(by_pupil) == {name, f"{p.placed.first_name} {p.placed.last_name}"}
    second = p.s.placements[1]
    assert by_pupil[name][1:] == [
        "'=Data team",
        p.s.employers[1].name,
        "1 Fishergate",
        "Preston",
        "PR1 2HE",
        ", ".join(week_commencing(week) for week in second.weeks),
        "Sue Pervisor",
        "Waiting for answers",
    ]
    await db.commit()
    entry = await db.scalar(select(AuditEntry).where(AuditEntry.action == "placement_details_downloaded"))
    assert entry is not None and entry.detail["rows"] == 2


async def test_an_employer_sees_only_its_matches_with_the_minimum_of_personal_data(client, db, scenario):
    p = await publish(db, scenario)
    offered = p.outcomes[p.offered.id]
    hidden = [
        p.offered.last_name,
        p.offered.date_of_birth.strftime("%-d %B %Y"),
        p.offered.date_of_birth.isoformat(),
        "PR1 2HE",
        "Step-free access",
        "Pat Guardian",
        "Pupil premium",
    ]
    await client.sign_in(p.s.employer_users[0])
    mine = text_of(await client.page("/matches"))
    assert p.placed.first_name in mine and p.offered.first_name not in mine
    assert (await client.page(f"/matches/{offered.id}")).status_code == 404
    assert (await client.submit(f"/matches/{offered.id}/confirm", {})).status_code == 404
    assert (await refreshed(db, offered)).employer_reply is Reply.PENDING

    await client.sign_in(p.s.employer_users[1])
    listing = text_of(await client.page("/matches"))
    assert p.offered.first_name in listing and p.other_school.first_name in listing
    assert p.s.schools[0].name in listing and "Waiting for answers" in listing
    detail = text_of(await client.page(f"/matches/{offered.id}"))
    assert p.offered.first_name in detail and str(p.offered.year_group) in detail
    for text in hidden:
        assert text not in listing and text not in detail, text
    await db.commit()
    assert await db.scalar(select(AuditEntry).where(AuditEntry.action == "match_viewed")) is None


async def _school_accepts(db, p: Published, outcome: Outcome) -> None:
    await offers.answer(
        db, outcome=outcome, yes=True, reason=None, actor=p.s.school_staff[0], ip_address=None
    )
    await db.commit()


async def test_access_needs_show_once_the_school_accepts_and_the_emergency_contact_in_placement_weeks(
    client, db, scenario
):
    p = await publish(db, scenario)
    offered = p.outcomes[p.offered.id]
    await _school_accepts(db, p, offered)
    await client.sign_in(p.s.employer_users[1])
    detail = text_of(await client.page(f"/matches/{offered.id}"))
    assert "Step-free access to the office" in detail
    assert "Pat Guardian" not in detail and p.offered.last_name not in detail
    await db.commit()
    viewed = list(await db.scalars(select(AuditEntry).where(AuditEntry.action == "match_viewed")))
    assert [(e.record_id, e.detail["emergency_contact"]) for e in viewed] == [(str(offered.id), False)]
    # The other school has not accepted its pupil's offer: nothing more is shown for that pupil.
    other = text_of(await client.page(f"/matches/{p.outcomes[p.other_school.id].id}"))
    assert "Step-free access" not in other

    year, week = (int(part) for part in p.s.placements[1].weeks[0].split("-W"))
    with time_machine.travel(date.fromisocalendar(year, week, 3), tick=False):
        await client.sign_in(p.s.employer_users[1])
        during = text_of(await client.page(f"/matches/{offered.id}"))
    assert "Pat Guardian (Carer), 01772 555123" in during
    after = date.fromisocalendar(year, week, 3) + timedelta(weeks=len(p.s.placements[1].weeks))
    with time_machine.travel(after, tick=False):
        await client.sign_in(p.s.employer_users[1])
        later = text_of(await client.page(f"/matches/{offered.id}"))
    assert "Step-free access" in later and "Pat Guardian" not in later
    await db.commit()
    viewed = list(await db.scalars(select(AuditEntry).where(AuditEntry.action == "match_viewed")))
    assert sorted(e.detail["emergency_contact"] for e in viewed) == [False, False, True]


async def test_the_employer_confirms_one_match_and_declines_another_with_a_reason(client, db, scenario):
    p = await publish(db, scenario)
    offered, other = p.outcomes[p.offered.id], p.outcomes[p.other_school.id]
    await client.sign_in(p.s.employer_users[1])
    confirm = text_of(await client.page(f"/matches/{offered.id}/confirm"))
    assert "Confirm this match?" in confirm and p.offered.last_name not in confirm
    done = await client.submit(f"/matches/{offered.id}/confirm", {})
    assert done.status_code == 303 and done.headers["location"] == f"/matches/{offered.id}"
    assert (await refreshed(db, offered)).employer_reply is Reply.YES
    await run_queued_jobs()
    assert "Withdraw" in text_of(await client.page(f"/matches/{offered.id}"))

    refused = await client.submit(f"/matches/{other.id}/decline", {"reason": ""})
    assert refused.status_code == 400 and "Say why the offer is declined" in refused.text
    declined = await client.submit(f"/matches/{other.id}/decline", {"reason": "Supervisor away"})
    assert declined.status_code == 303
    outcome = await refreshed(db, other)
    assert outcome.employer_reply is Reply.NO and outcome.reason == "Supervisor away"
    await run_queued_jobs()
    withdrawn = await client.submit(f"/matches/{offered.id}/withdraw", {"reason": "Office closed"})
    assert withdrawn.status_code == 303
    assert (await refreshed(db, offered)).withdrawn_by == "employer"
    await run_queued_jobs()


@pytest.mark.parametrize(
    ("who", "paths"),
    [
        ("staff", ["/matches", "/matches/{id}", "/matches/{id}/confirm"]),
        ("employer", ["/outcomes", "/outcomes/{id}", "/outcomes/{id}/accept", "/outcomes/details.csv"]),
        ("coordinator", ["/matches", "/outcomes/details.csv"]),
    ],
)
async def test_wrong_roles_are_refused(client, db, scenario, who, paths):
    p = await publish(db, scenario)
    user = {
        "staff": p.s.school_staff[0],
        "employer": p.s.employer_users[1],
        "coordinator": p.s.coordinator,
    }[who]
    outcome_id = p.outcomes[p.offered.id].id
    await client.sign_in(user)
    for path in paths:
        assert (await client.page(path.format(id=outcome_id))).status_code == 403, path
