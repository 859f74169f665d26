"""After the match: attendance, feedback and completion of an agreed placement, and its history, through
the services and the pages of both sides."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from employers.models import Placement
from matching.errors import MatchingError
from matching.models import Attendance, FollowUp, Outcome
from matching.offers import follow_up
from matching.offers import services as offers
from matching.offers.queries import outcome_for
from matching.policy import RunPolicy
from matching.rounds import services as rounds
from matching.runs import publication
from matching.runs import services as runs
from placements.audit.models import AuditEntry
from programme.models import Stage
from schools.subject_access import subject_access_export
from tests.matching.agreed import agreed
from tests.matching.published import publish_choices
from tests.support import run_queued_jobs


def text_of(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.text))


async def _count(db, model) -> int:
    await db.commit()  # see what the requests wrote
    return await db.scalar(select(func.count()).select_from(model)) or 0


async def _audited(db, action: str) -> list[AuditEntry]:
    await db.commit()
    return list(
        await db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.at))
    )


async def _attendance(db, outcome: Outcome) -> dict[date, bool]:
    await db.commit()
    rows = await db.scalars(select(Attendance).where(Attendance.outcome_id == outcome.id))
    return {row.day: row.attended for row in rows}


def _day(day: date) -> str:
    return f"day-{day.isoformat()}"


# --- Services ---


def test_a_placements_days_are_the_weekdays_of_its_weeks():
    placement = Placement(weeks=["2027-W25", "2027-W24", "2027-W99"])
    days = follow_up.placement_days(placement)
    assert days[0] == date(2027, 6, 14) and days[-1] == date(2027, 6, 25)
    assert len(days) == 10 and all(day.weekday() < 5 for day in days)
    assert days == sorted(days)


async def test_each_side_s_answer_is_dated(client, db, scenario):
    s = await scenario()
    pupil, placement = s.pupils[0][0], s.placements[1]
    outcome = (await publish_choices(db, s, {pupil: [placement]}))[pupil.id]
    answered = date.today() + timedelta(days=2)
    with time_machine.travel(answered, tick=False):
        await offers.answer(
            db, outcome=outcome, yes=True, reason=None, actor=s.school_staff[0], ip_address=None
        )
    assert outcome.school_replied_on == answered and outcome.employer_replied_on is None
    await offers.answer(
        db, outcome=outcome, yes=True, reason=None, actor=s.employer_users[1], ip_address=None
    )
    assert outcome.employer_replied_on == date.today()


async def test_nothing_is_recorded_before_agreement_or_before_the_first_day(client, db, scenario):
    a = await agreed(db, scenario)
    with time_machine.travel(a.days[2], tick=False):
        with pytest.raises(MatchingError, match=r"Only an agreed placement .* waiting for answers"):
            await follow_up.record_attendance(
                db, outcome=a.waiting, days={a.days[0]: True}, actor=a.employer, ip_address=None
            )
        with pytest.raises(MatchingError, match="Only an agreed placement"):
            await follow_up.record_completion(
                db,
                outcome=a.waiting,
                completed=True,
                reflection="",
                actor=a.s.school_staff[1],
                ip_address=None,
            )
    with time_machine.travel(a.days[0] - timedelta(days=1), tick=False):
        with pytest.raises(MatchingError, match="The placement starts on"):
            await follow_up.give_feedback(
                db,
                outcome=a.outcome,
                feedback="Keen",
                would_host_again=True,
                actor=a.employer,
                ip_address=None,
            )
        with pytest.raises(MatchingError, match="The placement starts on"):
            await follow_up.record_completion(
                db, outcome=a.outcome, completed=True, reflection=None, actor=a.staff, ip_address=None
            )
    assert await _count(db, FollowUp) == 0 and await _count(db, Attendance) == 0


async def test_attendance_is_only_for_days_of_the_placement_that_have_come(client, db, scenario):
    a = await agreed(db, scenario)
    saturday = a.days[4] + timedelta(days=1)
    with time_machine.travel(a.days[6], tick=False):
        with pytest.raises(MatchingError, match="is not a day of the placement"):
            await follow_up.record_attendance(
                db,
                outcome=a.outcome,
                days={a.days[0]: True, saturday: True},
                actor=a.employer,
                ip_address=None,
            )
        with pytest.raises(MatchingError, match="has not come yet"):
            await follow_up.record_attendance(
                db,
                outcome=a.outcome,
                days={a.days[6]: True, a.days[7]: True},
                actor=a.employer,
                ip_address=None,
            )
        assert await _count(db, Attendance) == 0
        recorded = await follow_up.record_attendance(
            db,
            outcome=a.outcome,
            days={a.days[0]: True, a.days[1]: False, a.days[6]: True},
            actor=a.employer,
            ip_address="203.0.113.9",
        )
        assert recorded == {a.days[0]: True, a.days[1]: False, a.days[6]: True}
        cleared = await follow_up.record_attendance(
            db, outcome=a.outcome, days={a.days[1]: None, a.days[0]: True}, actor=a.employer, ip_address=None
        )
        assert cleared == {a.days[0]: True, a.days[6]: True}
    assert await _attendance(db, a.outcome) == {a.days[0]: True, a.days[6]: True}
    entries = await _audited(db, "attendance_recorded")
    # Saving a day as it already was changes nothing, so only the changes are in the log.
    assert [e.detail["days"] for e in entries] == [
        {a.days[0].isoformat(): True, a.days[1].isoformat(): False, a.days[6].isoformat(): True},
        {a.days[1].isoformat(): None},
    ]
    assert entries[0].ip_address == "203.0.113.9"


async def test_each_side_records_only_its_own_part(client, db, scenario):
    a = await agreed(db, scenario)
    with time_machine.travel(a.days[3], tick=False):
        with pytest.raises(MatchingError, match="Only the employer records attendance"):
            await follow_up.record_attendance(
                db, outcome=a.outcome, days={a.days[0]: True}, actor=a.staff, ip_address=None
            )
        with pytest.raises(MatchingError, match="Only the employer gives feedback"):
            await follow_up.give_feedback(
                db,
                outcome=a.outcome,
                feedback="Fine",
                would_host_again=True,
                actor=a.s.coordinator,
                ip_address=None,
            )
        with pytest.raises(MatchingError, match="Only the school records"):
            await follow_up.record_completion(
                db, outcome=a.outcome, completed=True, reflection=None, actor=a.employer, ip_address=None
            )
        with pytest.raises(MatchingError, match="2000 characters or fewer"):
            await follow_up.give_feedback(
                db,
                outcome=a.outcome,
                feedback="x" * 2001,
                would_host_again=True,
                actor=a.employer,
                ip_address=None,
            )
        with pytest.raises(MatchingError, match="Enter your feedback"):
            await follow_up.give_feedback(
                db, outcome=a.outcome, feedback="  ", would_host_again=True, actor=a.employer, ip_address=None
            )
        with pytest.raises(MatchingError, match="The reflection must be 2000 characters or fewer"):
            await follow_up.record_completion(
                db, outcome=a.outcome, completed=True, reflection="y" * 2001, actor=a.staff, ip_address=None
            )
    assert await _count(db, FollowUp) == 0 and await _count(db, Attendance) == 0


async def test_the_subject_access_export_holds_attendance_and_follow_up(client, db, scenario):
    a = await agreed(db, scenario)
    with time_machine.travel(a.days[1], tick=False):
        await follow_up.record_attendance(
            db, outcome=a.outcome, days={a.days[0]: True, a.days[1]: False}, actor=a.employer, ip_address=None
        )
        await follow_up.record_completion(
            db, outcome=a.outcome, completed=False, reflection="Felt unwell", actor=a.staff, ip_address=None
        )
    await db.commit()
    export = await subject_access_export(db, pupil=a.pupil, actor=a.s.coordinator, ip_address=None)
    [outcome] = export["outcomes"]
    assert outcome["attendance"] == [
        {"day": a.days[0].isoformat(), "attended": True},
        {"day": a.days[1].isoformat(), "attended": False},
    ]
    assert outcome["follow_up"]["reflection"] == "Felt unwell" and outcome["follow_up"]["completed"] is False
    assert outcome["follow_up"]["completed_on"] == a.days[1].isoformat()
    assert outcome["school_replied_on"] == date.today().isoformat()


# --- Pages ---


async def test_the_forms_wait_for_an_agreed_placement_and_its_first_day(client, db, scenario):
    a = await agreed(db, scenario)
    await client.sign_in(a.employer)
    match = text_of(await client.page(f"/matches/{a.outcome.id}"))
    assert "History" in match and "Record attendance" not in match and "Give feedback" not in match
    early = text_of(await client.page(f"/matches/{a.outcome.id}/attendance"))
    assert "The placement starts on" in early and f'action="/matches/{a.outcome.id}/attendance"' not in early
    refused = await client.submit(f"/matches/{a.outcome.id}/attendance", {_day(a.days[0]): "attended"})
    assert refused.status_code == 400 and "The placement starts on" in refused.text
    with time_machine.travel(a.days[0], tick=False):
        await client.sign_in(a.employer)
        waiting = await client.submit(
            f"/matches/{a.waiting.id}/feedback", {"feedback": "Keen", "would_host_again": "yes"}
        )
        assert waiting.status_code == 400 and "Only an agreed placement is followed up" in waiting.text
        assert "Give feedback" not in text_of(await client.page(f"/matches/{a.waiting.id}"))
    assert await _count(db, FollowUp) == 0 and await _count(db, Attendance) == 0


async def test_the_employer_records_attendance_for_the_days_so_far(client, db, scenario):
    a = await agreed(db, scenario)
    path = f"/matches/{a.outcome.id}/attendance"
    with time_machine.travel(a.days[2], tick=False):
        await client.sign_in(a.employer)
        match = text_of(await client.page(f"/matches/{a.outcome.id}"))
        assert f'href="{path}"' in match and "Give feedback" in match
        form = text_of(await client.page(path))
        for day in a.days[:3]:
            assert f'name="{_day(day)}"' in form and day.strftime("%A %-d %B %Y") in form
        assert _day(a.days[3]) not in form

        bad = await client.submit(path, {_day(a.days[0]): "attended", _day(a.days[1]): "maybe"})
        assert bad.status_code == 400 and "There is a problem" in bad.text
        assert f'href="#{_day(a.days[1])}"' in bad.text
        assert await _attendance(db, a.outcome) == {}

        saved = await client.submit(path, {_day(a.days[0]): "attended", _day(a.days[1]): "absent"})
        assert saved.status_code == 303 and saved.headers["location"] == f"/matches/{a.outcome.id}"
        assert "Attendance is saved" in text_of(await client.page(saved.headers["location"]))
        assert await _attendance(db, a.outcome) == {a.days[0]: True, a.days[1]: False}
        prefilled = (await client.page(path)).text
        assert re.search(rf'name="{_day(a.days[0])}" type="radio" value="attended" checked', prefilled)
        assert re.search(rf'name="{_day(a.days[1])}" type="radio" value="absent" checked', prefilled)
        assert "Attended 1 of 2 days recorded" in text_of(await client.page(f"/matches/{a.outcome.id}"))

        # "Not recorded" clears a day.
        await client.submit(path, {_day(a.days[0]): "attended", _day(a.days[1]): ""})
    assert await _attendance(db, a.outcome) == {a.days[0]: True}
    assert len(await _audited(db, "attendance_recorded")) == 2


async def test_the_employer_gives_feedback_and_the_school_reads_it(client, db, scenario):
    a = await agreed(db, scenario)
    path = f"/matches/{a.outcome.id}/feedback"
    with time_machine.travel(a.days[4], tick=False):
        await client.sign_in(a.employer)
        empty = await client.submit(path, {"feedback": " "})
        assert empty.status_code == 400
        assert "Enter your feedback on the pupil" in empty.text
        assert "Say whether you would host a pupil again" in empty.text
        too_long = await client.submit(path, {"feedback": "x" * 2001, "would_host_again": "no"})
        assert too_long.status_code == 400 and "2000 characters or fewer" in too_long.text
        assert 'value="no" checked' in too_long.text  # what was typed is kept
        assert await _count(db, FollowUp) == 0

        saved = await client.submit(path, {"feedback": "Curious and careful", "would_host_again": "yes"})
        assert saved.status_code == 303 and saved.headers["location"] == f"/matches/{a.outcome.id}"
        match = text_of(await client.page(f"/matches/{a.outcome.id}"))
        assert "Your feedback is saved" in match and "Curious and careful" in match
        assert "The employer gave feedback (would host again)" in match
        assert "Curious and careful" in (await client.page(path)).text

        await client.sign_in(a.staff)
        outcome = text_of(await client.page(f"/outcomes/{a.outcome.id}"))
        assert "Employer's feedback" in outcome and "Curious and careful" in outcome
    await db.commit()
    given = await db.scalar(select(FollowUp).where(FollowUp.outcome_id == a.outcome.id))
    assert given.employer_feedback == "Curious and careful" and given.would_host_again is True
    assert given.feedback_on == a.days[4]
    [entry] = await _audited(db, "placement_feedback_given")
    assert entry.detail == {"would_host_again": True} and entry.record_id == str(a.outcome.id)


async def test_the_school_records_completion_which_the_coordinator_reads(client, db, scenario):
    a = await agreed(db, scenario)
    path = f"/outcomes/{a.outcome.id}/completion"
    with time_machine.travel(a.days[9], tick=False):
        await client.sign_in(a.staff)
        outcome = text_of(await client.page(f"/outcomes/{a.outcome.id}"))
        assert f'href="{path}"' in outcome and "Record attendance" not in outcome
        missing = await client.submit(path, {"reflection": "I liked it"})
        assert missing.status_code == 400 and "Say whether the pupil completed the placement" in missing.text
        too_long = await client.submit(path, {"completed": "yes", "reflection": "y" * 2001})
        assert (
            too_long.status_code == 400 and "The reflection must be 2000 characters or fewer" in too_long.text
        )
        assert await _count(db, FollowUp) == 0

        saved = await client.submit(path, {"completed": "yes", "reflection": "I built a web page"})
        assert saved.status_code == 303 and saved.headers["location"] == f"/outcomes/{a.outcome.id}"
        page = text_of(await client.page(saved.headers["location"]))
        assert "The pupil's completion is saved" in page and "I built a web page" in page
        assert "Completed the placement" in page

        await client.sign_in(a.s.coordinator)
        read_only = text_of(await client.page(f"/outcomes/{a.outcome.id}"))
        assert "I built a web page" in read_only and "Record completion" not in read_only
        assert (await client.page(path)).status_code == 403

        await client.sign_in(a.employer)
        match = text_of(await client.page(f"/matches/{a.outcome.id}"))
        assert "Completed the placement" in match and "I built a web page" not in match
    [entry] = await _audited(db, "placement_completion_recorded")
    assert entry.detail == {"completed": True}


async def test_each_side_reaches_only_its_own_forms(client, db, scenario):
    a = await agreed(db, scenario)
    employer_forms = [f"/matches/{a.outcome.id}/attendance", f"/matches/{a.outcome.id}/feedback"]
    school_form = f"/outcomes/{a.outcome.id}/completion"
    with time_machine.travel(a.days[3], tick=False):
        for user, refused in (
            (a.staff, employer_forms),
            (a.employer, [school_form]),
            (a.s.coordinator, [*employer_forms, school_form]),
        ):
            await client.sign_in(user)
            for path in refused:
                assert (await client.page(path)).status_code == 403, path
                assert (await client.submit(path, {"completed": "yes"})).status_code == 403, path
        # The answers' pages keep their own names: an employer's form is not a school's answer.
        await client.sign_in(a.staff)
        assert (await client.page(f"/outcomes/{a.outcome.id}/attendance")).status_code == 404
        assert (await client.page(f"/outcomes/{a.outcome.id}/accept")).status_code == 200
    assert await _count(db, FollowUp) == 0


async def test_another_schools_or_employers_outcome_is_not_found(client, db, scenario):
    a = await agreed(db, scenario)
    with time_machine.travel(a.days[3], tick=False):
        await client.sign_in(a.s.employer_users[0])
        for name, data in (
            ("attendance", {_day(a.days[0]): "attended"}),
            ("feedback", {"feedback": "Good", "would_host_again": "yes"}),
        ):
            assert (await client.page(f"/matches/{a.outcome.id}/{name}")).status_code == 404
            assert (await client.submit(f"/matches/{a.outcome.id}/{name}", data)).status_code == 404
        await client.sign_in(a.s.school_staff[1])
        path = f"/outcomes/{a.outcome.id}/completion"
        assert (await client.page(path)).status_code == 404
        assert (await client.submit(path, {"completed": "yes"})).status_code == 404
    assert await _count(db, FollowUp) == 0 and await _count(db, Attendance) == 0


async def test_employer_pages_never_show_the_pupils_surname_or_reflection(client, db, scenario):
    a = await agreed(db, scenario)
    with time_machine.travel(a.days[2], tick=False):
        await follow_up.record_completion(
            db,
            outcome=a.outcome,
            completed=True,
            reflection="Private thoughts",
            actor=a.staff,
            ip_address=None,
        )
        await db.commit()
        await client.sign_in(a.employer)
        base = f"/matches/{a.outcome.id}"
        pages = [
            await client.page(base),
            await client.page(f"{base}/attendance"),
            await client.page(f"{base}/feedback"),
            await client.submit(f"{base}/feedback", {"feedback": ""}),
            await client.submit(f"{base}/attendance", {_day(a.days[0]): "nonsense"}),
        ]
    for response in pages:
        assert a.pupil.first_name in response.text
        assert a.pupil.last_name not in response.text and "Private thoughts" not in response.text


async def test_the_history_shows_every_step_in_order(client, db, scenario):
    s = await scenario(capacities=(2, 2))
    pupil, (first, second) = s.pupils[0][0], s.placements
    published = date.today()
    outcome = (await publish_choices(db, s, {pupil: [second]}, open_to_other=True))[pupil.id]

    # The employer declines, and the reallocation offers the pupil the other placement.
    declined_on = published + timedelta(days=1)
    with time_machine.travel(declined_on, tick=False):
        await offers.answer(
            db,
            outcome=outcome,
            yes=False,
            reason="Supervisor away",
            actor=s.employer_users[1],
            ip_address=None,
        )
        await db.commit()
        await run_queued_jobs()
        await rounds.advance(db, round_=s.round, to=Stage.REALLOCATION, actor=s.coordinator, ip_address=None)
        run = await runs.start_run(
            db, round_=s.round, policy=RunPolicy(), actor=s.coordinator, ip_address=None
        )
        await db.commit()
        await run_queued_jobs()
        await db.refresh(run)
        await publication.publish_run(db, run=run, actor=s.coordinator, ip_address=None)
        await db.commit()
        await run_queued_jobs()
    current = await db.scalar(select(Outcome).where(Outcome.pupil_id == pupil.id, Outcome.current.is_(True)))
    assert current.placement_id == first.id
    with time_machine.travel(declined_on + timedelta(days=1), tick=False):
        await offers.answer(
            db, outcome=current, yes=True, reason=None, actor=s.school_staff[0], ip_address=None
        )
    with time_machine.travel(declined_on + timedelta(days=2), tick=False):
        await offers.answer(
            db, outcome=current, yes=True, reason=None, actor=s.employer_users[0], ip_address=None
        )
    days = follow_up.placement_days(first)
    with time_machine.travel(days[4], tick=False):
        await follow_up.record_attendance(
            db,
            outcome=current,
            days={day: day != days[2] for day in days[:5]},
            actor=s.employer_users[0],
            ip_address=None,
        )
        await follow_up.give_feedback(
            db,
            outcome=current,
            feedback="Reliable",
            would_host_again=False,
            actor=s.employer_users[0],
            ip_address=None,
        )
    with time_machine.travel(days[9], tick=False):
        await follow_up.record_completion(
            db, outcome=current, completed=True, reflection=None, actor=s.school_staff[0], ip_address=None
        )
    await db.commit()

    row = await outcome_for(db, user=s.school_staff[0], outcome_id=current.id)
    events = await follow_up.history(db, user=s.school_staff[0], row=row)
    assert [(e.on, e.what, e.earlier) for e in events] == [
        (published, "Matched", True),
        (declined_on, "The employer declined: Supervisor away", True),
        (declined_on, "Matched", False),
        (declined_on + timedelta(days=1), "The school accepted", False),
        (declined_on + timedelta(days=2), "The employer confirmed", False),
        (days[4], "Attended 4 of 5 days recorded", False),
        (days[4], "The employer gave feedback (would not host again)", False),
        (days[9], "Completed the placement", False),
    ]

    await client.sign_in(s.school_staff[0])
    page = text_of(await client.page(f"/outcomes/{current.id}"))
    history = page[page.index("History") :]
    steps = [e.what for e in events]
    cursor = 0
    for step in steps:  # each step is found after the one before it
        cursor = history.index(step, cursor) + len(step)
    assert "(earlier offer)" in history

    # The new employer's history starts with its own offer: the pupil's earlier offer is not its to see.
    row = await outcome_for(db, user=s.employer_users[0], outcome_id=current.id)
    mine = await follow_up.history(db, user=s.employer_users[0], row=row)
    assert [e.what for e in mine] == steps[2:]
    await client.sign_in(s.employer_users[0])
    match = text_of(await client.page(f"/matches/{current.id}"))
    assert "Supervisor away" not in match and "Attended 4 of 5 days recorded" in match
