"""After publication: schools see their pupils' outcomes and answer offers for them, and employers see
the pupils matched to them, with only what they need to know, and confirm or decline each match.

Both sides answer through the same confirmation pages: a GET that says what will happen, then a POST.
Once an agreed placement has begun, the employer records attendance and feedback and the school the
pupil's completion, each on a form of its own; both pages show the placement's history.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from employers.compliance import long_date
from employers.models import Placement
from matching import follow_up, labels, offers, queries
from matching.choice_pages import csv_download
from matching.errors import MatchingError
from matching.models import Outcome, Reply, Round
from matching.offers import Side
from placements.accounts.guards import access
from placements.accounts.models import Role, User
from placements.accounts.pages import client_ip
from placements.audit.services import record
from placements.clock import today
from placements.db import DbSession
from placements.web.forms import FormErrors, form_values, render_form
from placements.web.pages import current_round
from placements.web.paging import Page, page_from_request
from placements.web.templating import week_commencing

STAFF = access(Role.SCHOOL_STAFF)
EMPLOYER = access(Role.EMPLOYER_USER)
MAX_REASON = 2000
# Far more offers than one school's pupils could hold, so the details file is never cut short.
SCHOOL_EXPORT_LIMIT = 100_000
FREES_PLACE = (
    "Its place is freed for another pupil, and the other side and the programme coordinators are told."
)


@dataclass(frozen=True)
class Action:
    """One answer a side can give to an offer, and what the confirmation page says about it."""

    yes: bool | None  # None: withdraw from an offer this side had accepted
    question: str
    effect: str
    button: str
    done: str

    @property
    def needs_reason(self) -> bool:
        return self.yes is not True


DECLINE = Action(
    False,
    "Decline this offer?",
    f"The offer ends. {FREES_PLACE} You cannot undo this.",
    "Decline",
    "declined",
)
WITHDRAW = Action(
    None,
    "Withdraw from this placement?",
    f"The agreed placement ends. {FREES_PLACE} You cannot undo this.",
    "Withdraw",
    "withdrawn",
)
ACTIONS: dict[Side, dict[str, Action]] = {
    Side.SCHOOL: {
        "accept": Action(
            True,
            "Accept this offer for the pupil?",
            "You accept the placement on the pupil's behalf. It is agreed once the employer confirms it too.",
            "Accept offer",
            "accepted",
        ),
        "decline": DECLINE,
        "withdraw": WITHDRAW,
    },
    Side.EMPLOYER: {
        "confirm": Action(
            True,
            "Confirm this match?",
            "You agree to host the pupil. The placement is agreed once the school accepts it too; "
            "you then see the pupil's access needs.",
            "Confirm match",
            "confirmed",
        ),
        "decline": DECLINE,
        "withdraw": WITHDRAW,
    },
}
BASE = {Side.SCHOOL: "/outcomes", Side.EMPLOYER: "/matches"}


def _reply(outcome: Outcome, side: Side) -> Reply:
    return outcome.school_reply if side is Side.SCHOOL else outcome.employer_reply


def _pupil_name(row: queries.OutcomeRow, side: Side) -> str:
    # An employer knows the pupil by first name and school only, here as everywhere.
    return f"{row.pupil.first_name} {row.pupil.last_name}" if side is Side.SCHOOL else row.pupil.first_name


def past_deadline(outcome: Outcome) -> bool:
    return outcome.respond_by is not None and today() > outcome.respond_by


def available_actions(outcome: Outcome, round_: Round, side: Side) -> list[str]:
    """The answers `side` can give now: yes or no while it has not answered, then only withdrawal."""
    if round_.stage not in offers.OPEN_STAGES or not outcome.current or not outcome.holds_place:
        return []
    reply = _reply(outcome, side)
    if reply is Reply.PENDING and not past_deadline(outcome):
        return [name for name, action in ACTIONS[side].items() if action.yes is not None]
    if reply is Reply.YES:
        return [name for name, action in ACTIONS[side].items() if action.yes is None]
    return []


async def _published_round(db: AsyncSession) -> Round | None:
    round_ = await current_round(db)
    return round_ if round_ is not None and round_.stage in offers.OPEN_STAGES else None


def _action(side: Side, name: str) -> Action:
    action = ACTIONS[side].get(name)
    if action is None:
        raise NotFoundException("There is no such answer to an offer")
    return action


async def _answer_form(
    request: Request[User, Any, Any],
    db: AsyncSession,
    outcome_id: UUID,
    name: str,
    values: dict[str, str],
    errors: FormErrors,
) -> Template:
    side = Side.of(request.user)
    action = _action(side, name)
    row = await queries.outcome_for(db, user=request.user, outcome_id=outcome_id)
    return render_form(
        "matching/offers/answer.html",
        values=values,
        errors=errors,
        outcome=row.outcome,
        pupil=_pupil_name(row, side),
        school_name=row.school_name,
        placement=row.placement,
        employer_name=row.employer_name,
        name=name,
        action=action,
        base=BASE[side],
    )


async def _answer(
    request: Request[User, Any, Any], db: AsyncSession, outcome_id: UUID, name: str
) -> Template | Redirect:
    side = Side.of(request.user)
    action = _action(side, name)
    row = await queries.outcome_for(db, user=request.user, outcome_id=outcome_id)
    values = await form_values(request)
    errors = FormErrors()
    reason = values.get("reason", "")
    if len(reason) > MAX_REASON:
        errors.add("reason", f"The reason must be {MAX_REASON} characters or fewer")
    if not errors:
        try:
            if action.yes is None:
                await offers.withdraw(
                    db, outcome=row.outcome, reason=reason, actor=request.user, ip_address=client_ip(request)
                )
            else:
                await offers.answer(
                    db,
                    outcome=row.outcome,
                    yes=action.yes,
                    reason=reason or None,
                    actor=request.user,
                    ip_address=client_ip(request),
                )
        except MatchingError as exc:
            errors.add(exc.field or ("reason" if action.needs_reason else "answer"), str(exc))
    if errors:
        return await _answer_form(request, db, outcome_id, name, values, errors)
    flash(request, f"The offer is {action.done}", category="success")
    return Redirect(path=f"{BASE[side]}/{outcome_id}", status_code=303)


# --- After the match ------------------------------------------------------------------------------

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


async def _follow_up_context(
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
        pupil=_pupil_name(row, form.side),
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
    request: Request[User, Any, Any], db: AsyncSession, outcome_id: UUID, form: FollowUpForm
) -> Template | Redirect:
    row = await queries.outcome_for(db, user=request.user, outcome_id=outcome_id)
    values = await form_values(request)
    errors = FormErrors()
    fields = form.read(values, errors, row)
    if not errors:
        try:
            await form.save(
                db, outcome=row.outcome, actor=request.user, ip_address=client_ip(request), **fields
            )
        except MatchingError as exc:
            errors.add(exc.field or "follow_up", str(exc))
    if errors:
        return await _follow_up_form(db, form, row, values, errors)
    flash(request, form.done, category="success")
    return Redirect(path=f"{BASE[form.side]}/{outcome_id}", status_code=303)


# --- Schools (and coordinators, read-only) ---------------------------------------------------------


class OutcomePages(Controller):
    path = "/outcomes"
    include_in_schema = False

    @get("/", opt=access(Role.COORDINATOR, Role.SCHOOL_STAFF))
    async def list_outcomes(self, request: Request[User, Any, Any], db_session: DbSession) -> Template:
        round_ = await _published_round(db_session)
        paging = page_from_request(request)
        status = request.query_params.get("status")
        status = status if status in ("placed", "unplaced") else None
        rows, total = [], 0
        if round_ is not None:
            rows, total = await queries.outcomes(
                db_session,
                user=request.user,
                round_id=round_.id,
                status=status,
                limit=paging.limit,
                offset=paging.offset,
            )
        return Template(
            template_name="matching/offers/outcomes.html",
            context={
                "round": round_,
                "upcoming": await current_round(db_session),
                "rows": rows,
                "explained": await labels.readable(db_session, (row.outcome.explanation for row in rows)),
                "page": Page.of(paging, total, request),
                "status": status or "",
            },
        )

    @get("/details.csv", opt=STAFF)
    async def details(self, request: Request[User, Any, Any], db_session: DbSession) -> Response[str]:
        """What to send home for each pupil with an offer: where to go, when, and who to ask for."""
        round_ = await _published_round(db_session)
        rows: list[queries.OutcomeRow] = []
        if round_ is not None:
            rows, _ = await queries.outcomes(
                db_session,
                user=request.user,
                round_id=round_.id,
                status="placed",
                limit=SCHOOL_EXPORT_LIMIT,
                offset=0,
            )
        lines = [_details_line(row) for row in rows if row.outcome.holds_place]
        await record(
            db_session,
            actor=request.user,
            action="placement_details_downloaded",
            record_type="school",
            record_id=request.user.school_id,
            ip_address=client_ip(request),
            rows=len(lines),
        )
        header = [
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
        return csv_download("placement-details.csv", header, lines)

    @get("/{outcome_id:uuid}", opt=access(Role.COORDINATOR, Role.SCHOOL_STAFF))
    async def show(
        self, request: Request[User, Any, Any], outcome_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        row = await queries.outcome_for(db_session, user=request.user, outcome_id=outcome_id)
        round_ = await db_session.get_one(Round, row.outcome.round_id)
        # Coordinators read outcomes here but answer nothing: that is the school's to do.
        is_school = request.user.role is Role.SCHOOL_STAFF
        actions = available_actions(row.outcome, round_, Side.SCHOOL) if is_school else []
        return Template(
            template_name="matching/offers/outcome.html",
            context={
                "row": row,
                "explained": await labels.readable(db_session, [row.outcome.explanation]),
                "actions": [(name, ACTIONS[Side.SCHOOL][name]) for name in actions],
                "late": past_deadline(row.outcome),
                **await _follow_up_context(db_session, request.user, row, Side.SCHOOL if is_school else None),
            },
        )

    # Named paths are matched before the answers' `{name}` below, so these never reach ACTIONS.
    @get("/{outcome_id:uuid}/completion", opt=STAFF)
    async def completion_form(
        self, request: Request[User, Any, Any], outcome_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        return await _show_follow_up(request, db_session, outcome_id, COMPLETION_FORM)

    @post("/{outcome_id:uuid}/completion", opt=STAFF)
    async def record_completion(
        self, request: Request[User, Any, Any], outcome_id: FromPath[UUID], db_session: DbSession
    ) -> Template | Redirect:
        return await _save_follow_up(request, db_session, outcome_id, COMPLETION_FORM)

    @get("/{outcome_id:uuid}/{name:str}", opt=STAFF)
    async def answer_form(
        self,
        request: Request[User, Any, Any],
        outcome_id: FromPath[UUID],
        name: FromPath[str],
        db_session: DbSession,
    ) -> Template:
        return await _answer_form(request, db_session, outcome_id, name, {}, FormErrors())

    @post("/{outcome_id:uuid}/{name:str}", opt=STAFF)
    async def answer(
        self,
        request: Request[User, Any, Any],
        outcome_id: FromPath[UUID],
        name: FromPath[str],
        db_session: DbSession,
    ) -> Template | Redirect:
        return await _answer(request, db_session, outcome_id, name)


def _details_line(row: queries.OutcomeRow) -> list[Any]:
    placement = row.placement
    assert placement is not None
    return [
        f"{row.pupil.first_name} {row.pupil.last_name}",
        placement.title,
        row.employer_name,
        placement.address,
        placement.town,
        placement.postcode,
        ", ".join(week_commencing(week) for week in placement.weeks or []),
        placement.supervisor_name,
        row.outcome.status,
    ]


# --- Employers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """What an employer may know of a matched pupil: the template gets nothing else of the pupil."""

    outcome: Outcome
    first_name: str
    school_name: str
    year_group: int
    placement: Placement
    access_needs: str | None = None
    emergency_contact: str | None = None


def _match(row: queries.OutcomeRow, *, with_details: bool = False) -> Match:
    """The employer's view of an offer; details only on the match's own page (see employer_details)."""
    pupil, placement = row.pupil, row.placement
    assert placement is not None
    access_needs, contact = queries.employer_details(row, today()) if with_details else (None, None)
    return Match(
        outcome=row.outcome,
        first_name=pupil.first_name,
        school_name=row.school_name,
        year_group=pupil.year_group,
        placement=placement,
        access_needs=access_needs,
        emergency_contact=contact,
    )


class MatchPages(Controller):
    path = "/matches"
    include_in_schema = False

    @get("/", opt=EMPLOYER)
    async def list_matches(self, request: Request[User, Any, Any], db_session: DbSession) -> Template:
        round_ = await current_round(db_session)
        paging = page_from_request(request)
        rows, total = [], 0
        if round_ is not None:
            rows, total = await queries.outcomes(
                db_session, user=request.user, round_id=round_.id, limit=paging.limit, offset=paging.offset
            )
        return Template(
            template_name="matching/offers/matches.html",
            context={
                "round": round_,
                "matches": [_match(row) for row in rows],
                "page": Page.of(paging, total, request),
            },
        )

    @get("/{outcome_id:uuid}", opt=EMPLOYER)
    async def show(
        self, request: Request[User, Any, Any], outcome_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        row = await queries.outcome_for(db_session, user=request.user, outcome_id=outcome_id)
        round_ = await db_session.get_one(Round, row.outcome.round_id)
        match = _match(row, with_details=True)
        if match.access_needs is not None or match.emergency_contact is not None:
            await record(
                db_session,
                actor=request.user,
                action="match_viewed",
                record_type="outcome",
                record_id=row.outcome.id,
                ip_address=client_ip(request),
                emergency_contact=match.emergency_contact is not None,
            )
        actions = available_actions(row.outcome, round_, Side.EMPLOYER)
        return Template(
            template_name="matching/offers/match.html",
            context={
                "match": match,
                "actions": [(name, ACTIONS[Side.EMPLOYER][name]) for name in actions],
                "late": past_deadline(row.outcome),
                **await _follow_up_context(db_session, request.user, row, Side.EMPLOYER),
            },
        )

    # Named paths are matched before the answers' `{name}` below, so these never reach ACTIONS.
    @get("/{outcome_id:uuid}/attendance", opt=EMPLOYER)
    async def attendance_form(
        self, request: Request[User, Any, Any], outcome_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        return await _show_follow_up(request, db_session, outcome_id, ATTENDANCE_FORM)

    @post("/{outcome_id:uuid}/attendance", opt=EMPLOYER)
    async def record_attendance(
        self, request: Request[User, Any, Any], outcome_id: FromPath[UUID], db_session: DbSession
    ) -> Template | Redirect:
        return await _save_follow_up(request, db_session, outcome_id, ATTENDANCE_FORM)

    @get("/{outcome_id:uuid}/feedback", opt=EMPLOYER)
    async def feedback_form(
        self, request: Request[User, Any, Any], outcome_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        return await _show_follow_up(request, db_session, outcome_id, FEEDBACK_FORM)

    @post("/{outcome_id:uuid}/feedback", opt=EMPLOYER)
    async def give_feedback(
        self, request: Request[User, Any, Any], outcome_id: FromPath[UUID], db_session: DbSession
    ) -> Template | Redirect:
        return await _save_follow_up(request, db_session, outcome_id, FEEDBACK_FORM)

    @get("/{outcome_id:uuid}/{name:str}", opt=EMPLOYER)
    async def answer_form(
        self,
        request: Request[User, Any, Any],
        outcome_id: FromPath[UUID],
        name: FromPath[str],
        db_session: DbSession,
    ) -> Template:
        return await _answer_form(request, db_session, outcome_id, name, {}, FormErrors())

    @post("/{outcome_id:uuid}/{name:str}", opt=EMPLOYER)
    async def answer(
        self,
        request: Request[User, Any, Any],
        outcome_id: FromPath[UUID],
        name: FromPath[str],
        db_session: DbSession,
    ) -> Template | Redirect:
        return await _answer(request, db_session, outcome_id, name)


ROUTES: list[Any] = [OutcomePages, MatchPages]
