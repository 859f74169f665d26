"""After the match, in pages: the employer records attendance and feedback, the school completion."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from employers.compliance import long_date
from matching.errors import MatchingError
from matching.offers import follow_up, queries
from matching.offers.services import Side
from matching.offers.sides import BASE, pupil_name
from placements.accounts.guards import EMPLOYER, STAFF
from placements.accounts.models import User
from placements.clock import today
from placements.db import DbSession
from placements.web.acting import Acting
from placements.web.forms import FormErrors, form_values, render_form

ATTENDANCE_CHOICES: dict[str, bool | None] = {"attended": True, "absent": False, "": None}

YES_NO = {"yes": True, "no": False}


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def _day_field(day: date) -> str:
    return f"day-{day.isoformat()}"


def _days_so_far(row: queries.OutcomeRow) -> list[date]:
    days = follow_up.placement_days(row.placement) if row.placement else []
    return [day for day in days if day <= today()]


def _attendance_values(recorded: follow_up.Recorded) -> dict[str, str]:
    return {
        _day_field(day): "attended" if attended else "absent" for day, attended in recorded.attendance.items()
    }


def _read_attendance(values: dict[str, str], errors: FormErrors, row: queries.OutcomeRow) -> dict[str, Any]:
    # Every day so far is on the form, so a day left at "Not recorded" is cleared.
    days: dict[date, bool | None] = {}
    for day in _days_so_far(row):
        choice = values.get(_day_field(day), "")
        if choice in ATTENDANCE_CHOICES:
            days[day] = ATTENDANCE_CHOICES[choice]
        else:
            errors.add(_day_field(day), f"Choose attended, absent or not recorded for {long_date(day)}")
    return {"days": days}


def _feedback_values(recorded: follow_up.Recorded) -> dict[str, str]:
    given = recorded.follow_up
    if given is None:
        return {}
    return {"feedback": given.employer_feedback or "", "would_host_again": _yes_no(given.would_host_again)}


def _read_feedback(values: dict[str, str], errors: FormErrors, _row: queries.OutcomeRow) -> dict[str, Any]:
    feedback = errors.require(values, "feedback", "Enter your feedback on the pupil")
    again = YES_NO.get(values.get("would_host_again", ""))
    if again is None:
        errors.add("would_host_again", "Say whether you would host a pupil again")
    return {"feedback": feedback, "would_host_again": again}


def _completion_values(recorded: follow_up.Recorded) -> dict[str, str]:
    given = recorded.follow_up
    if given is None:
        return {}
    return {"completed": _yes_no(given.completed), "reflection": given.reflection or ""}


def _read_completion(values: dict[str, str], errors: FormErrors, _row: queries.OutcomeRow) -> dict[str, Any]:
    completed = YES_NO.get(values.get("completed", ""))
    if completed is None:
        errors.add("completed", "Say whether the pupil completed the placement")
    return {"completed": completed, "reflection": values.get("reflection", "")}


@dataclass(frozen=True)
class FollowUpForm:
    """One form that follows up an agreed placement: who fills it in, how it is prefilled from what
    was recorded, how its fields are read, and the service that saves them."""

    path: str
    side: Side
    title: str
    template: str
    prefill: Callable[[follow_up.Recorded], dict[str, str]]
    read: Callable[[dict[str, str], FormErrors, queries.OutcomeRow], dict[str, Any]]
    save: Callable[..., Awaitable[Any]]
    done: str


ATTENDANCE_FORM = FollowUpForm(
    "attendance",
    Side.EMPLOYER,
    "Record attendance",
    "matching/offers/attendance.html",
    _attendance_values,
    _read_attendance,
    follow_up.record_attendance,
    "Attendance is saved",
)


FEEDBACK_FORM = FollowUpForm(
    "feedback",
    Side.EMPLOYER,
    "Give feedback",
    "matching/offers/feedback.html",
    _feedback_values,
    _read_feedback,
    follow_up.give_feedback,
    "Your feedback is saved",
)


COMPLETION_FORM = FollowUpForm(
    "completion",
    Side.SCHOOL,
    "Record completion",
    "matching/offers/completion.html",
    _completion_values,
    _read_completion,
    follow_up.record_completion,
    "The pupil's completion is saved",
)


FOLLOW_UP_FORMS = (ATTENDANCE_FORM, FEEDBACK_FORM, COMPLETION_FORM)


async def follow_up_context(
    db: AsyncSession, user: User, row: queries.OutcomeRow, side: Side | None
) -> dict[str, Any]:
    """The placement's history and what was recorded after the match, for its page; `side` (None for a
    coordinator, who reads only) gets links to its forms once the placement can be followed up."""
    can_follow_up = side is not None and follow_up.refusal(row.outcome, row.placement) is None
    return {
        "events": await follow_up.history(db, user=user, row=row),
        "recorded": await follow_up.recorded(db, row=row),
        "follow_up_links": [
            (form.title, f"{BASE[form.side]}/{row.outcome.id}/{form.path}")
            for form in FOLLOW_UP_FORMS
            if can_follow_up and form.side is side
        ],
        # The reflection is the pupil's: the school and the coordinators read it, the employer does not.
        "for_employer": side is Side.EMPLOYER,
    }


async def _follow_up_form(
    db: AsyncSession,
    form: FollowUpForm,
    row: queries.OutcomeRow,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
) -> Template:
    if values is None:
        values = form.prefill(await follow_up.recorded(db, row=row))
    return render_form(
        form.template,
        values=values,
        errors=errors or FormErrors(),
        form=form,
        outcome=row.outcome,
        pupil=pupil_name(row, form.side),
        school_name=row.school_name,
        placement=row.placement,
        refusal=follow_up.refusal(row.outcome, row.placement),
        days=_days_so_far(row),
        base=BASE[form.side],
    )


async def _show_follow_up(
    request: Request[User, Any, Any], db: AsyncSession, outcome_id: UUID, form: FollowUpForm
) -> Template:
    row = await queries.outcome_for(db, user=request.user, outcome_id=outcome_id)
    return await _follow_up_form(db, form, row)


async def _save_follow_up(
    acting: Acting, request: Request[User, Any, Any], db: AsyncSession, outcome_id: UUID, form: FollowUpForm
) -> Template | Redirect:
    row = await queries.outcome_for(db, user=acting.user, outcome_id=outcome_id)
    values = await form_values(request)
    errors = FormErrors()
    fields = form.read(values, errors, row)
    if not errors:
        try:
            await form.save(
                db, outcome=row.outcome, actor=acting.user, ip_address=acting.ip_address, **fields
            )
        except MatchingError as exc:
            errors.add(exc.field or "follow_up", str(exc))
    if errors:
        return await _follow_up_form(db, form, row, values, errors)
    flash(request, form.done, category="success")
    return Redirect(path=f"{BASE[form.side]}/{outcome_id}", status_code=303)


# --- Schools (and coordinators, read-only) ---------------------------------------------------------


class SchoolFollowUpPages(Controller):
    """The school records a placement's completion (named paths are matched before an answer's `{name}`)."""

    path = "/outcomes"
    include_in_schema = False

    @get("/{outcome_id:uuid}/completion", opt=STAFF)
    async def completion_form(
        self, request: Request[User, Any, Any], outcome_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        return await _show_follow_up(request, db_session, outcome_id, COMPLETION_FORM)

    @post("/{outcome_id:uuid}/completion", opt=STAFF)
    async def record_completion(
        self,
        acting: Acting,
        request: Request[User, Any, Any],
        outcome_id: FromPath[UUID],
        db_session: DbSession,
    ) -> Template | Redirect:
        return await _save_follow_up(acting, request, db_session, outcome_id, COMPLETION_FORM)


class EmployerFollowUpPages(Controller):
    """The employer records attendance and feedback (named paths are matched before an answer's `{name}`)."""

    path = "/matches"
    include_in_schema = False

    @get("/{outcome_id:uuid}/attendance", opt=EMPLOYER)
    async def attendance_form(
        self, request: Request[User, Any, Any], outcome_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        return await _show_follow_up(request, db_session, outcome_id, ATTENDANCE_FORM)

    @post("/{outcome_id:uuid}/attendance", opt=EMPLOYER)
    async def record_attendance(
        self,
        acting: Acting,
        request: Request[User, Any, Any],
        outcome_id: FromPath[UUID],
        db_session: DbSession,
    ) -> Template | Redirect:
        return await _save_follow_up(acting, request, db_session, outcome_id, ATTENDANCE_FORM)

    @get("/{outcome_id:uuid}/feedback", opt=EMPLOYER)
    async def feedback_form(
        self, request: Request[User, Any, Any], outcome_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        return await _show_follow_up(request, db_session, outcome_id, FEEDBACK_FORM)

    @post("/{outcome_id:uuid}/feedback", opt=EMPLOYER)
    async def give_feedback(
        self,
        acting: Acting,
        request: Request[User, Any, Any],
        outcome_id: FromPath[UUID],
        db_session: DbSession,
    ) -> Template | Redirect:
        return await _save_follow_up(acting, request, db_session, outcome_id, FEEDBACK_FORM)
