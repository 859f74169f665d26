"""After the match through the JSON API: the employer records attendance and feedback, the school the
pupil's completion, and each reads back what it may see with the placement's history."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import func, select

from matching.models import Attendance, FollowUp
from placements.audit.models import AuditEntry
from tests.matching.agreed import agreed
from tests.support import assert_refused


async def _count(db, model) -> int:
    await db.commit()  # see what the requests wrote
    return await db.scalar(select(func.count()).select_from(model)) or 0


def _days(*pairs) -> dict:
    return {"days": [{"day": day.isoformat(), "attended": attended} for day, attended in pairs]}


async def test_both_sides_follow_up_an_agreed_placement(client, db, scenario):
    a = await agreed(db, scenario)
    base = f"/api/outcomes/{a.outcome.id}"
    await client.sign_in(a.employer)
    before = (await client.api("GET", f"{base}/follow-up")).json()
    assert before["closed_reason"].startswith("The placement starts on")
    assert [d["day"] for d in before["days"]] == [day.isoformat() for day in a.days]
    assert all(d["attended"] is None for d in before["days"])
    matched, *answers = before["history"]
    assert matched["what"] == "Matched" and not matched["earlier"]
    assert {e["what"] for e in answers} == {"The employer confirmed", "The school accepted"}

    with time_machine.travel(a.days[6], tick=False):
        await client.sign_in(a.employer)
        recorded = await client.api(
            "PUT", f"{base}/attendance", json=_days((a.days[0], True), (a.days[1], False), (a.days[5], True))
        )
        assert recorded.status_code == 200, recorded.text
        body = recorded.json()
        assert body["closed_reason"] is None
        assert body["attendance_summary"] == "Attended 2 of 3 days recorded"
        assert {d["day"]: d["attended"] for d in body["days"]}[a.days[1].isoformat()] is False
        cleared = await client.api("PUT", f"{base}/attendance", json=_days((a.days[1], None)))
        assert cleared.json()["attendance_summary"] == "Attended 2 of 2 days recorded"

        feedback = await client.api(
            "PUT", f"{base}/feedback", json={"feedback": "Asked good questions", "would_host_again": True}
        )
        assert feedback.status_code == 200, feedback.text
        assert feedback.json()["employer_feedback"] == "Asked good questions"
        assert feedback.json()["feedback_on"] == a.days[6].isoformat()

        await client.sign_in(a.staff)
        completion = await client.api(
            "PUT", f"{base}/completion", json={"completed": True, "reflection": "I learned Git"}
        )
        assert completion.status_code == 200, completion.text
        school_view = completion.json()
        assert school_view["completed"] is True and school_view["reflection"] == "I learned Git"
        assert school_view["employer_feedback"] == "Asked good questions"
        assert school_view["history"][-1]["what"] == "Completed the placement"

        await client.sign_in(a.employer)
        employer_view = (await client.api("GET", f"{base}/follow-up")).json()
        assert employer_view["reflection"] is None and employer_view["completed"] is True
        await client.sign_in(a.s.coordinator)
        coordinator_view = (await client.api("GET", f"{base}/follow-up")).json()
        assert coordinator_view["reflection"] == "I learned Git"

    await db.commit()
    actions = await db.scalars(
        select(AuditEntry.action).where(AuditEntry.record_id == str(a.outcome.id)).order_by(AuditEntry.at)
    )
    assert [
        action
        for action in actions
        if action in ("attendance_recorded", "placement_feedback_given", "placement_completion_recorded")
    ] == [
        "attendance_recorded",
        "attendance_recorded",
        "placement_feedback_given",
        "placement_completion_recorded",
    ]


async def test_refusals_answer_409_or_422_and_bad_input_400_with_nothing_written(client, db, scenario):
    a = await agreed(db, scenario)
    base = f"/api/outcomes/{a.outcome.id}"
    await client.sign_in(a.employer)
    early = await client.api("PUT", f"{base}/feedback", json={"feedback": "Early", "would_host_again": True})
    assert early.status_code == 409 and early.json()["detail"].startswith("The placement starts on")

    with time_machine.travel(a.days[2], tick=False):
        await client.sign_in(a.employer)
        not_agreed = await client.api(
            "PUT", f"/api/outcomes/{a.waiting.id}/attendance", json=_days((a.days[0], True))
        )
        assert not_agreed.status_code == 409
        assert not_agreed.json()["detail"] == (
            "Only an agreed placement is followed up: this one is waiting for answers"
        )
        future = await client.api("PUT", f"{base}/attendance", json=_days((a.days[3], True)))
        assert_refused(future, "has not come yet", field="days")
        sunday = a.days[4] + timedelta(days=2)
        outside = await client.api("PUT", f"{base}/attendance", json=_days((sunday, True)))
        assert_refused(outside, "is not a day of the placement", field="days")
        twice = await client.api(
            "PUT", f"{base}/attendance", json=_days((a.days[0], True), (a.days[0], False))
        )
        assert twice.status_code == 400
        assert (await client.api("PUT", f"{base}/attendance", json={"days": []})).status_code == 400
        for body in (
            {"feedback": "x" * 2001, "would_host_again": True},
            {"feedback": "   ", "would_host_again": True},
            {"feedback": "Good"},
        ):
            assert (await client.api("PUT", f"{base}/feedback", json=body)).status_code == 400, body

        await client.sign_in(a.staff)
        too_long = await client.api(
            "PUT", f"{base}/completion", json={"completed": True, "reflection": "y" * 2001}
        )
        assert too_long.status_code == 400
    assert await _count(db, Attendance) == 0 and await _count(db, FollowUp) == 0


async def test_each_side_writes_only_its_own_part(client, db, scenario):
    a = await agreed(db, scenario)
    base = f"/api/outcomes/{a.outcome.id}"
    writes = {
        "attendance": _days((a.days[0], True)),
        "feedback": {"feedback": "Good", "would_host_again": True},
        "completion": {"completed": True},
    }
    with time_machine.travel(a.days[2], tick=False):
        for user, refused in (
            (a.staff, ["attendance", "feedback"]),
            (a.employer, ["completion"]),
            (a.s.coordinator, list(writes)),
        ):
            await client.sign_in(user)
            for name in refused:
                response = await client.api("PUT", f"{base}/{name}", json=writes[name])
                assert response.status_code == 403, (user.role, name)
    assert await _count(db, Attendance) == 0 and await _count(db, FollowUp) == 0


async def test_another_schools_or_employers_outcome_is_not_found(client, db, scenario):
    a = await agreed(db, scenario)
    base = f"/api/outcomes/{a.outcome.id}"
    with time_machine.travel(a.days[2], tick=False):
        await client.sign_in(a.s.employer_users[0])
        assert (await client.api("GET", f"{base}/follow-up")).status_code == 404
        attendance = await client.api("PUT", f"{base}/attendance", json=_days((a.days[0], True)))
        assert attendance.status_code == 404
        feedback = await client.api(
            "PUT", f"{base}/feedback", json={"feedback": "Good", "would_host_again": True}
        )
        assert feedback.status_code == 404
        await client.sign_in(a.s.school_staff[1])
        assert (await client.api("GET", f"{base}/follow-up")).status_code == 404
        completion = await client.api("PUT", f"{base}/completion", json={"completed": True})
        assert completion.status_code == 404
    assert await _count(db, Attendance) == 0 and await _count(db, FollowUp) == 0
