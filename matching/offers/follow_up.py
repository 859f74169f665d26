"""After the match: during and after an agreed placement the employer records the pupil's attendance day
by day and gives feedback, and the school records whether the pupil completed it, with the pupil's
reflection. Everything that happened to the placement is read back as one dated history.

Only a current, agreed placement is followed up, and only from its first day: nothing is recorded for
days that have not come yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from employers.compliance import long_date
from employers.models import Placement
from matching.errors import MatchingError
from matching.models import Attendance, FollowUp, Outcome, Reply
from matching.offers import queries
from matching.offers.services import Side
from matching.rounds.services import is_iso_week
from placements.accounts.models import Role, User
from placements.audit.services import record
from placements.clock import today

MAX_TEXT = 2000
WORKING_DAYS = range(1, 6)  # Monday to Friday, as ISO weekdays


def placement_days(placement: Placement) -> list[date]:
    """The weekdays of the placement's ISO weeks, in order: the days a pupil is expected to attend."""
    days = []
    for week in sorted(set(placement.weeks or [])):
        if is_iso_week(week):
            year, number = int(week[:4]), int(week[6:])
            days.extend(date.fromisocalendar(year, number, weekday) for weekday in WORKING_DAYS)
    return days


def refusal(outcome: Outcome, placement: Placement | None) -> str | None:
    """Why the placement cannot be followed up today, or None when it can."""
    if placement is None:
        return "The pupil has no placement to follow up"
    if not outcome.current:
        return "This is not the pupil's current placement"
    if outcome.status != "Agreed":
        return f"Only an agreed placement is followed up: this one is {outcome.status.lower()}"
    days = placement_days(placement)
    if not days:
        return "The placement has no weeks set"
    if today() < days[0]:
        return f"The placement starts on {long_date(days[0])}: you can record how it went from then"
    return None


def _check_side(actor: User, side: Side, message: str) -> None:
    if actor.role not in (Role.SCHOOL_STAFF, Role.EMPLOYER_USER) or Side.of(actor) is not side:
        raise MatchingError(message)


async def _open_placement(db: AsyncSession, outcome: Outcome) -> Placement:
    placement = await db.get(Placement, outcome.placement_id) if outcome.placement_id else None
    problem = refusal(outcome, placement)
    if problem:
        raise MatchingError(problem)
    assert placement is not None
    return placement


def _text(value: str | None, *, name: str, field: str) -> str:
    text = (value or "").strip()
    if len(text) > MAX_TEXT:
        raise MatchingError(f"The {name} must be {MAX_TEXT} characters or fewer", field=field)
    return text


async def _follow_up(db: AsyncSession, outcome: Outcome) -> FollowUp:
    follow_up = await db.scalar(select(FollowUp).where(FollowUp.outcome_id == outcome.id))
    if follow_up is None:
        follow_up = FollowUp(outcome_id=outcome.id)
        db.add(follow_up)
    return follow_up


async def record_attendance(
    db: AsyncSession,
    *,
    outcome: Outcome,
    days: dict[date, bool | None],
    actor: User,
    ip_address: str | None,
) -> dict[date, bool]:
    """The employer says, day by day, whether the pupil attended (None clears a day): only days of the
    placement that have come. Returns the attendance recorded so far."""
    _check_side(actor, Side.EMPLOYER, "Only the employer records attendance")
    placement = await _open_placement(db, outcome)
    allowed = set(placement_days(placement))
    for day in sorted(days):
        if day not in allowed:
            raise MatchingError(f"{long_date(day)} is not a day of the placement", field="days")
        if day > today():
            raise MatchingError(f"{long_date(day)} has not come yet: record it on the day", field="days")
    rows = {
        row.day: row
        for row in await db.scalars(select(Attendance).where(Attendance.outcome_id == outcome.id))
    }
    changed: dict[str, bool | None] = {}
    for day, attended in sorted(days.items()):
        row = rows.get(day)
        if attended is None:
            if row is not None:
                await db.delete(rows.pop(day))
                changed[day.isoformat()] = None
        elif row is None:
            rows[day] = Attendance(outcome_id=outcome.id, day=day, attended=attended, recorded_by_id=actor.id)
            db.add(rows[day])
            changed[day.isoformat()] = attended
        elif row.attended != attended:
            row.attended, row.recorded_by_id = attended, actor.id
            changed[day.isoformat()] = attended
    if changed:
        await record(
            db,
            actor=actor,
            action="attendance_recorded",
            record_type="outcome",
            record_id=outcome.id,
            ip_address=ip_address,
            days=changed,
        )
    return {day: row.attended for day, row in sorted(rows.items())}


async def give_feedback(
    db: AsyncSession,
    *,
    outcome: Outcome,
    feedback: str,
    would_host_again: bool,
    actor: User,
    ip_address: str | None,
) -> FollowUp:
    """The employer's feedback on the pupil and whether it would host again; given again, it replaces
    what was said before."""
    _check_side(actor, Side.EMPLOYER, "Only the employer gives feedback on the pupil")
    await _open_placement(db, outcome)
    text = _text(feedback, name="feedback", field="feedback")
    if not text:
        raise MatchingError("Enter your feedback on the pupil", field="feedback")
    follow_up = await _follow_up(db, outcome)
    follow_up.employer_feedback = text
    follow_up.would_host_again = would_host_again
    follow_up.feedback_on = today()
    # The feedback itself is about the pupil: the log says that it was given, not what it says.
    await record(
        db,
        actor=actor,
        action="placement_feedback_given",
        record_type="outcome",
        record_id=outcome.id,
        ip_address=ip_address,
        would_host_again=would_host_again,
    )
    return follow_up


async def record_completion(
    db: AsyncSession,
    *,
    outcome: Outcome,
    completed: bool,
    reflection: str | None,
    actor: User,
    ip_address: str | None,
) -> FollowUp:
    """The school says whether the pupil completed the placement, with the pupil's reflection if any."""
    _check_side(actor, Side.SCHOOL, "Only the school records whether the pupil completed the placement")
    await _open_placement(db, outcome)
    text = _text(reflection, name="reflection", field="reflection")
    follow_up = await _follow_up(db, outcome)
    follow_up.completed = completed
    follow_up.reflection = text or None
    follow_up.completed_on = today()
    await record(
        db,
        actor=actor,
        action="placement_completion_recorded",
        record_type="outcome",
        record_id=outcome.id,
        ip_address=ip_address,
        completed=completed,
    )
    return follow_up


async def write_reflection(
    db: AsyncSession, *, outcome: Outcome, reflection: str, actor_label: str, ip_address: str | None
) -> FollowUp:
    """The pupil's own reflection on their placement, once it has started (the school can still
    record one with the completion)."""
    await _open_placement(db, outcome)
    text = _text(reflection, name="reflection", field="reflection")
    if not text:
        raise MatchingError("Write your reflection first", field="reflection")
    follow_up = await _follow_up(db, outcome)
    follow_up.reflection = text
    await record(
        db,
        actor=None,
        actor_label=actor_label,
        action="reflection_written",
        record_type="outcome",
        record_id=outcome.id,
        ip_address=ip_address,
    )
    return follow_up


# --- Reading it back ---


@dataclass(frozen=True)
class Recorded:
    """What has been recorded after the match of one outcome."""

    days: list[date]
    attendance: dict[date, bool]
    follow_up: FollowUp | None

    @property
    def attendance_summary(self) -> str | None:
        return attendance_summary(self.attendance)


def attendance_summary(attendance: dict[date, bool]) -> str | None:
    if not attendance:
        return None
    recorded = len(attendance)
    return f"Attended {sum(attendance.values())} of {recorded} {'day' if recorded == 1 else 'days'} recorded"


async def _attendance_of(db: AsyncSession, outcome_ids: Iterable[UUID]) -> dict[UUID, dict[date, bool]]:
    found: dict[UUID, dict[date, bool]] = {}
    rows = await db.scalars(
        select(Attendance).where(Attendance.outcome_id.in_(list(outcome_ids))).order_by(Attendance.day)
    )
    for row in rows:
        found.setdefault(row.outcome_id, {})[row.day] = row.attended
    return found


async def _follow_ups_of(db: AsyncSession, outcome_ids: Iterable[UUID]) -> dict[UUID, FollowUp]:
    rows = await db.scalars(select(FollowUp).where(FollowUp.outcome_id.in_(list(outcome_ids))))
    return {row.outcome_id: row for row in rows}


async def recorded(db: AsyncSession, *, row: queries.OutcomeRow) -> Recorded:
    outcome_id = row.outcome.id
    return Recorded(
        days=placement_days(row.placement) if row.placement else [],
        attendance=(await _attendance_of(db, [outcome_id])).get(outcome_id, {}),
        follow_up=(await _follow_ups_of(db, [outcome_id])).get(outcome_id),
    )


@dataclass(frozen=True)
class Event:
    """One dated step of a placement's history."""

    on: date
    what: str
    placement: str | None
    # Whether the step belongs to an earlier outcome of the pupil rather than the one shown.
    earlier: bool


def _events(
    row: queries.OutcomeRow, attendance: dict[date, bool], follow_up: FollowUp | None, *, earlier: bool
) -> list[Event]:
    outcome = row.outcome
    title = f"{row.placement.title}, {row.employer_name}" if row.placement else None
    because = f": {outcome.reason}" if outcome.reason else ""
    steps: list[tuple[date | None, str]] = [
        (outcome.created_at.date(), "Matched" if title else "Published without a placement"),
    ]
    for side, reply, on, yes in (
        ("employer", outcome.employer_reply, outcome.employer_replied_on, "confirmed"),
        ("school", outcome.school_reply, outcome.school_replied_on, "accepted"),
    ):
        if reply is not Reply.PENDING:
            said = yes if reply is Reply.YES else f"declined{because}"
            steps.append((on, f"The {side} {said}"))
    if outcome.withdrawn_by:
        steps.append((outcome.withdrawn_on, f"Withdrawn by the {outcome.withdrawn_by}{because}"))
    summary = attendance_summary(attendance)
    if summary:
        steps.append((max(attendance), summary))
    if follow_up is not None and follow_up.feedback_on:
        again = "would host again" if follow_up.would_host_again else "would not host again"
        steps.append((follow_up.feedback_on, f"The employer gave feedback ({again})"))
    if follow_up is not None and follow_up.completed_on:
        done = "Completed the placement" if follow_up.completed else "Did not complete the placement"
        steps.append((follow_up.completed_on, done))
    return [Event(on, what, title, earlier) for on, what in steps if on is not None]


async def history(db: AsyncSession, *, user: User, row: queries.OutcomeRow) -> list[Event]:
    """The placement's history, oldest first: from being matched to being completed, after the earlier
    outcomes of the same pupil in the round that `user` may see (an employer: only on its placements)."""
    rows = await queries.outcome_history(db, user=user, pupil_id=row.pupil.id, round_id=row.outcome.round_id)
    rows = [r for r in rows if r.outcome.created_at <= row.outcome.created_at]
    ids = [r.outcome.id for r in rows]
    attendance, follow_ups = await _attendance_of(db, ids), await _follow_ups_of(db, ids)
    events = [
        event
        for r in rows
        for event in _events(
            r,
            attendance.get(r.outcome.id, {}),
            follow_ups.get(r.outcome.id),
            earlier=r.outcome.id != row.outcome.id,
        )
    ]
    # A stable sort: steps of the same day keep the order they happened in.
    return sorted(events, key=lambda event: event.on)
