"""Keeping a closed round's pupil data for the months its coordinator chose, then erasing it daily:
the round's anonymous figures stay, its pupils go unless another round still holds them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import func, select

from matching.errors import MatchingError
from matching.models import (
    Adjustment,
    AdjustmentKind,
    Attendance,
    ChoiceEntry,
    FollowUp,
    MatchRun,
    Outcome,
    Preference,
)
from matching.offers import services as offers
from matching.reports.services import Scope, round_report
from matching.retention.services import erase_round_pupil_data
from matching.rounds import services as rounds
from matching.rounds.keeping import add_months, erase_after
from placements.accounts.models import Role
from placements.audit.models import AuditEntry
from placements.jobs.schedule import daily_jobs, start_daily_job
from programme.models import Round, Stage
from schools.models import ErasedPupil, Pupil
from tests.matching.published import publish_choices
from tests.support import make_pupil, make_round, make_user, run_queued_jobs

CLOSED_ON = date(2031, 1, 31)
# One month after 31 January is the last day of February.
DUE_ON = date(2031, 2, 28)


def at(day: date, hour: int = 12) -> time_machine.travel:
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, tzinfo=UTC), tick=False)


async def _count(db, model, *where) -> int:
    return await db.scalar(select(func.count()).select_from(model).where(*where))


async def _retention_job(db) -> None:
    await start_daily_job(db, "pupil_data_retention")
    await db.commit()
    await run_queued_jobs()


async def _closed_round_with_everything(db, s):
    """Publish the scenario's round, agree one offer with attendance and follow-up, pin a pair, close it."""
    pupils = [pupil for school in s.pupils for pupil in school]
    current = await publish_choices(db, s, {pupil: [s.placements[0], s.placements[1]] for pupil in pupils})
    school_of = {pupil.id: pupil.school_id for pupil in pupils}
    staff_of = {school.id: staff for school, staff in zip(s.schools, s.school_staff, strict=True)}
    agreed = next(o for o in current.values() if o.placement_id == s.placements[0].id)
    school_staff = staff_of[school_of[agreed.pupil_id]]
    await offers.answer(db, outcome=agreed, yes=True, reason=None, actor=school_staff, ip_address=None)
    await offers.answer(db, outcome=agreed, yes=True, reason=None, actor=s.employer_users[0], ip_address=None)
    db.add_all(
        [
            Attendance(outcome_id=agreed.id, day=date(2030, 6, 17), attended=True),
            FollowUp(outcome_id=agreed.id, employer_feedback="Pupil1 was a great help", completed=True),
            Adjustment(
                round_id=s.round.id,
                pupil_id=pupils[-1].id,
                placement_id=s.placements[1].id,
                kind=AdjustmentKind.FORBID,
                reason="Their brother works there",
                created_by_id=s.coordinator.id,
            ),
        ]
    )
    await rounds.advance(db, round_=s.round, to=Stage.REALLOCATION, actor=s.coordinator, ip_address=None)
    s.round.keep_pupil_data_months = 1
    await db.commit()
    with at(CLOSED_ON):
        await rounds.advance(db, round_=s.round, to=Stage.CLOSED, actor=s.coordinator, ip_address=None)
        await db.commit()
    return pupils


def test_months_are_calendar_months_ending_on_the_last_day_of_a_shorter_month():
    assert add_months(date(2031, 1, 31), 1) == date(2031, 2, 28)
    assert add_months(date(2031, 8, 31), 6) == date(2032, 2, 29)
    assert add_months(date(2031, 12, 15), 1) == date(2032, 1, 15)
    assert add_months(date(2031, 7, 1), 12) == date(2032, 7, 1)
    assert add_months(date(2031, 7, 1), 120) == date(2041, 7, 1)


def test_the_retention_job_runs_daily():
    assert "pupil_data_retention" in {job.name for job in daily_jobs()}


async def test_a_closed_round_is_erased_on_its_day_keeping_its_figures(client, db, scenario):
    s = await scenario(capacities=(2, 2))
    # Registered, never entered in any round: kept while the next round gathers pupils.
    idle = await make_pupil(db, s.schools[0].id)
    await db.commit()
    pupils = await _closed_round_with_everything(db, s)
    assert erase_after(s.round) == DUE_ON
    runs = list(await db.scalars(select(MatchRun).where(MatchRun.round_id == s.round.id)))
    assert runs and all(run.instance_sha256 and run.summary for run in runs)

    # A pupil entered again in the next round, and one registered after this round closed.
    later = await make_round(db, stage=Stage.PREFERENCES_OPEN, stage_dates={"preferences_open": "2031-02-01"})
    staying = pupils[0]
    db.add(ChoiceEntry(round_id=later.id, pupil_id=staying.id, open_to_other=True))
    with at(date(2031, 2, 10)):
        newcomer = await make_pupil(db, s.schools[1].id)
    await db.commit()

    with at(DUE_ON.replace(day=27)):
        await _retention_job(db)
    await db.refresh(s.round)
    assert s.round.pupil_data_erased_on is None
    assert await _count(db, Outcome, Outcome.round_id == s.round.id) == len(pupils)
    assert await _count(db, ErasedPupil) == 0

    with at(DUE_ON, hour=1):
        before = json.loads(json.dumps((await round_report(db, s.round, Scope())).snapshot()))
        await db.commit()
    assert before["headline"]["placed"] == 4 and before["headline"]["agreed"] == 1
    assert before["ranks"][:2] == [["Choice 1", 2], ["Choice 2", 2]]
    assert before["follow_up"]["days_recorded"] == 1
    with at(DUE_ON, hour=2):
        await _retention_job(db)

    await db.refresh(s.round)
    assert s.round.pupil_data_erased_on == DUE_ON
    assert s.round.aggregates == before
    kept = await round_report(db, s.round, Scope())
    assert kept.erased and kept.headline.placed == 4 and kept.headline.agreed == 1
    assert kept.ranks == [tuple(row) for row in before["ranks"]]
    # Only the programme's figures outlive the pupil data: a school's own view of the round is empty.
    school_view = await round_report(db, s.round, Scope.of(s.school_staff[0]))
    assert school_view.erased and school_view.headline.placed == 0 and school_view.schools == []

    for model in (Preference, ChoiceEntry, Adjustment, Outcome):
        assert await _count(db, model, model.round_id == s.round.id) == 0, model
    assert await _count(db, Attendance) == 0 and await _count(db, FollowUp) == 0
    files = (
        await db.execute(
            select(MatchRun.instance, MatchRun.result, MatchRun.instance_sha256, MatchRun.summary).where(
                MatchRun.round_id == s.round.id
            )
        )
    ).all()
    assert all(instance is None and result is None for instance, result, _, _ in files)
    assert all(sha and summary for _, _, sha, summary in files)

    remaining = set(await db.scalars(select(Pupil.id)))
    assert staying.id in remaining and newcomer.id in remaining
    assert not remaining & {p.id for p in pupils[1:]} and idle.id in remaining
    erased = len(pupils) - 1  # every pupil of the round but the one entered again
    assert await _count(db, ErasedPupil) == erased
    assert await _count(db, ChoiceEntry, ChoiceEntry.round_id == later.id) == 1
    assert (await db.get(Round, later.id)).pupil_data_erased_on is None

    [entry] = await db.scalars(select(AuditEntry).where(AuditEntry.action == "round_pupil_data_erased"))
    assert entry.record_id == str(s.round.id) and entry.actor_id is None
    assert entry.detail["pupils_erased"] == erased and entry.detail["pupils_kept"] == 1
    assert entry.detail["outcomes"] == len(pupils) and entry.detail["adjustments"] == 1
    assert entry.detail["attendance_days"] == 1 and entry.detail["follow_ups"] == 1
    assert entry.detail["run_files_cleared"] == len(runs)
    assert all(isinstance(value, int) for value in entry.detail.values())

    await db.commit()
    await client.sign_in(s.coordinator)
    response = await client.api("GET", f"/api/runs/{runs[0].id}/instance")
    assert response.status_code == 409 and "erased with the round's pupil data" in response.json()["detail"]
    await db.commit()

    # The next day's run, and the service called again, find nothing left to do.
    with at(date(2031, 3, 1), hour=2):
        await _retention_job(db)
        assert await erase_round_pupil_data(db, round_=s.round, actor=None) is None
        await db.commit()
    assert await _count(db, AuditEntry, AuditEntry.action == "round_pupil_data_erased") == 1
    assert await _count(db, ErasedPupil) == erased
    assert set(await db.scalars(select(Pupil.id))) == remaining
    await db.refresh(s.round)
    assert s.round.pupil_data_erased_on == DUE_ON and s.round.aggregates == before


async def test_a_round_that_is_not_closed_is_never_erased(client, db, scenario):
    s = await scenario(capacities=(2, 2))
    pupils = [pupil for school in s.pupils for pupil in school]
    await publish_choices(db, s, {pupil: [s.placements[0]] for pupil in pupils})
    s.round.keep_pupil_data_months = 1
    await db.commit()
    assert erase_after(s.round) is None

    with at(date(2045, 1, 1), hour=2):
        await _retention_job(db)
        with pytest.raises(MatchingError, match="Only a closed round"):
            await erase_round_pupil_data(db, round_=s.round, actor=None)
        await db.rollback()
    await db.refresh(s.round)
    assert s.round.pupil_data_erased_on is None and s.round.aggregates == {}
    assert await _count(db, Outcome, Outcome.round_id == s.round.id) == len(pupils)
    assert await _count(db, Pupil) == len(pupils)
    assert await _count(db, ErasedPupil) == 0
    assert await _count(db, AuditEntry, AuditEntry.action == "round_pupil_data_erased") == 0


async def test_a_pupil_kept_for_a_later_round_goes_when_that_round_is_erased(client, db, scenario):
    """Two rounds due the same day: the shared pupil goes with the second, after both figures are kept."""
    s = await scenario(capacities=(2, 2))
    idle = await make_pupil(db, s.schools[0].id)  # registered, never entered, and no round gathers pupils
    await db.commit()
    pupils = await _closed_round_with_everything(db, s)
    shared = pupils[0]
    later = await make_round(
        db,
        stage=Stage.CLOSED,
        stage_dates={"closed": "2031-01-28"},
        keep_pupil_data_months=1,
        programme_year=2040,
    )
    db.add(ChoiceEntry(round_id=later.id, pupil_id=shared.id))
    await db.commit()
    assert erase_after(later) == date(2031, 2, 28)

    with at(DUE_ON, hour=2):
        await _retention_job(db)
    for round_ in (s.round, later):
        await db.refresh(round_)
        assert round_.pupil_data_erased_on == DUE_ON
    assert s.round.aggregates["headline"]["placed"] == 4
    assert later.aggregates["headline"]["taking_part"] == 1
    assert await _count(db, Pupil) == 0 and idle.id is not None
    assert await _count(db, ErasedPupil) == len(pupils) + 1


# --- The coordinator's setting ---

FORM = {
    "name": "Work placements, summer 2031",
    "programme_year": "2031",
    "weeks": "2031-W25",
    "target": "500",
    "max_choices": "5",
    "respond_within_days": "14",
}
MONTHS_MESSAGE = "The months to keep pupil data must be a whole number from 1 to 120"


async def test_a_coordinator_sets_how_long_pupil_data_is_kept(client, db):
    await client.sign_in(await make_user(db, Role.COORDINATOR))
    form = await client.page("/rounds/new")
    assert 'name="keep_pupil_data_months"' in form.text and 'value="12"' in form.text

    created = await client.submit("/rounds/new", {**FORM, "keep_pupil_data_months": "24"})
    assert created.status_code == 303, created.text
    round_ = await db.scalar(select(Round))
    assert round_.keep_pupil_data_months == 24
    shown = await client.page(created.headers["location"])
    assert "24 months after the round closes" in shown.text

    for wrong in ("0", "121", "abc", "6.5"):
        refused = await client.submit(f"/rounds/{round_.id}/edit", {**FORM, "keep_pupil_data_months": wrong})
        assert refused.status_code == 400 and MONTHS_MESSAGE in refused.text, wrong
    await db.commit()
    await db.refresh(round_)
    assert round_.keep_pupil_data_months == 24

    saved = await client.submit(f"/rounds/{round_.id}/edit", {**FORM, "keep_pupil_data_months": "120"})
    assert saved.status_code == 303
    await db.commit()
    await db.refresh(round_)
    assert round_.keep_pupil_data_months == 120
    [change] = await db.scalars(
        select(AuditEntry).where(AuditEntry.action == "round_updated").order_by(AuditEntry.at)
    )
    assert change.detail["fields"] == ["keep_pupil_data_months"]

    refused = await client.submit(
        "/rounds/new", {**FORM, "programme_year": "2032", "keep_pupil_data_months": "0"}
    )
    assert refused.status_code == 400 and MONTHS_MESSAGE in refused.text
    await db.commit()
    assert await _count(db, Round) == 1


async def test_the_round_page_says_how_long_pupil_data_is_kept(client, db):
    await client.sign_in(await make_user(db, Role.COORDINATOR))
    draft = await make_round(db, stage=Stage.DRAFT)
    closed = await make_round(
        db, stage=Stage.CLOSED, stage_dates={"closed": CLOSED_ON.isoformat()}, keep_pupil_data_months=1
    )
    await db.commit()
    assert "12 months after the round closes" in (await client.page(f"/rounds/{draft.id}")).text
    page = await client.page(f"/rounds/{closed.id}")
    assert "1 month after the round closes" in page.text
    assert "Pupil data kept until 28 February 2031" in page.text
    closed.pupil_data_erased_on = DUE_ON
    await db.commit()
    page = await client.page(f"/rounds/{closed.id}")
    assert "Pupil data erased on 28 February 2031" in page.text and "kept until" not in page.text


async def test_the_api_sets_and_shows_how_long_pupil_data_is_kept(client, db):
    await client.sign_in(await make_user(db, Role.COORDINATOR))
    body = {"name": "Summer placements 2031", "programme_year": 2031, "weeks": ["2031-W25"]}
    created = await client.api("POST", "/api/rounds", json={**body, "keep_pupil_data_months": 18})
    assert created.status_code == 201, created.text
    shown = created.json()
    assert shown["keep_pupil_data_months"] == 18
    assert shown["pupil_data_kept_until"] is None and shown["pupil_data_erased_on"] is None
    path = f"/api/rounds/{shown['id']}"

    for wrong, message in (
        (0, "Expected `int` >= 1"),
        (121, "Expected `int` <= 120"),
        ("abc", "Expected `int`"),
    ):
        refused = await client.api("PATCH", path, json={"keep_pupil_data_months": wrong})
        assert refused.status_code == 400, refused.text
        [problem] = refused.json()["extra"]
        assert problem["key"] == "keep_pupil_data_months" and problem["message"].startswith(message)
    refused = await client.api(
        "POST", "/api/rounds", json={**body, "programme_year": 2032, "keep_pupil_data_months": 0}
    )
    assert refused.status_code == 400 and ">= 1" in refused.text
    assert (await client.api("GET", path)).json()["keep_pupil_data_months"] == 18
    assert await _count(db, Round) == 1
    await db.commit()

    changed = await client.api("PATCH", path, json={"keep_pupil_data_months": 6})
    assert changed.status_code == 200 and changed.json()["keep_pupil_data_months"] == 6
    unchanged = await client.api("PATCH", path, json={"name": "Summer 2031"})
    assert unchanged.json()["keep_pupil_data_months"] == 6

    closed = await make_round(
        db, stage=Stage.CLOSED, stage_dates={"closed": CLOSED_ON.isoformat()}, keep_pupil_data_months=1
    )
    await db.commit()
    assert (await client.api("GET", f"/api/rounds/{closed.id}")).json()[
        "pupil_data_kept_until"
    ] == "2031-02-28"


async def test_school_staff_cannot_change_the_setting(client, db, scenario):
    s = await scenario()
    await client.sign_in(s.school_staff[0])
    page = await client.submit(f"/rounds/{s.round.id}/edit", {**FORM, "keep_pupil_data_months": "120"})
    assert page.status_code == 403
    api = await client.api("PATCH", f"/api/rounds/{s.round.id}", json={"keep_pupil_data_months": 120})
    assert api.status_code == 403
    await db.commit()
    await db.refresh(s.round)
    assert s.round.keep_pupil_data_months == 12
