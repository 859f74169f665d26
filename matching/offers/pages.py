"""Offers in pages: the school's outcomes (/outcomes), the employer's matches (/matches), answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from employers.models import Placement
from matching.choices.pages import csv_download
from matching.errors import MatchingError
from matching.models import Outcome, Reply
from matching.offers import queries
from matching.offers import services as offers
from matching.offers.follow_up_pages import follow_up_context
from matching.offers.privacy import NONE, EmployerDetails, details_for_employer
from matching.offers.services import Side
from matching.offers.sides import BASE, pupil_name
from matching.runs import labels
from matching.runs.schemas import MAX_REASON
from placements.accounts.guards import EMPLOYER, STAFF, STAFF_OR_COORDINATOR
from placements.accounts.models import Role, User
from placements.clock import today
from placements.db import DbSession
from placements.web.acting import Acting
from placements.web.forms import FormErrors, form_values, render_form
from placements.web.paging import Page, page_from_request
from placements.web.templating import week_commencing
from programme.models import Round
from programme.queries import current_round

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


def _reply(outcome: Outcome, side: Side) -> Reply:
    return outcome.school_reply if side is Side.SCHOOL else outcome.employer_reply


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
        pupil=pupil_name(row, side),
        school_name=row.school_name,
        placement=row.placement,
        employer_name=row.employer_name,
        name=name,
        action=action,
        base=BASE[side],
    )


async def _answer(
    acting: Acting, request: Request[User, Any, Any], db: AsyncSession, outcome_id: UUID, name: str
) -> Template | Redirect:
    side = Side.of(acting.user)
    action = _action(side, name)
    row = await queries.outcome_for(db, user=acting.user, outcome_id=outcome_id)
    values = await form_values(request)
    errors = FormErrors()
    reason = values.get("reason", "")
    if len(reason) > MAX_REASON:
        errors.add("reason", f"The reason must be {MAX_REASON} characters or fewer")
    if not errors:
        try:
            if action.yes is None:
                await offers.withdraw(
                    db, outcome=row.outcome, reason=reason, actor=acting.user, ip_address=acting.ip_address
                )
            else:
                await offers.answer(
                    db,
                    outcome=row.outcome,
                    yes=action.yes,
                    reason=reason or None,
                    actor=acting.user,
                    ip_address=acting.ip_address,
                )
        except MatchingError as exc:
            errors.add(exc.field or ("reason" if action.needs_reason else "answer"), str(exc))
    if errors:
        return await _answer_form(request, db, outcome_id, name, values, errors)
    flash(request, f"The offer is {action.done}", category="success")
    return Redirect(path=f"{BASE[side]}/{outcome_id}", status_code=303)


# --- After the match ------------------------------------------------------------------------------


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
    shared_by_parent: str | None = None


def _match(row: queries.OutcomeRow, details: EmployerDetails = NONE) -> Match:
    """The employer's view of an offer; details only on the match's own page (see offers.privacy)."""
    pupil, placement = row.pupil, row.placement
    assert placement is not None
    return Match(
        outcome=row.outcome,
        first_name=pupil.first_name,
        school_name=row.school_name,
        year_group=pupil.year_group,
        placement=placement,
        access_needs=details.access_needs,
        emergency_contact=details.emergency_contact,
        shared_by_parent=details.shared_by_parent,
    )


class OutcomePages(Controller):
    path = "/outcomes"
    include_in_schema = False

    @get("/", opt=STAFF_OR_COORDINATOR)
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
    async def details(self, acting: Acting, db_session: DbSession) -> Response[str]:
        """What to send home for each pupil with an offer: where to go, when, and who to ask for."""
        round_ = await _published_round(db_session)
        rows: list[queries.OutcomeRow] = []
        if round_ is not None:
            rows, _ = await queries.outcomes(
                db_session,
                user=acting.user,
                round_id=round_.id,
                status="placed",
                limit=SCHOOL_EXPORT_LIMIT,
                offset=0,
            )
        lines = [_details_line(row) for row in rows if row.outcome.holds_place]
        await acting.audit(
            db_session,
            "placement_details_downloaded",
            record_type="school",
            record_id=acting.user.school_id,
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

    @get("/{outcome_id:uuid}", opt=STAFF_OR_COORDINATOR)
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
                **await follow_up_context(db_session, request.user, row, Side.SCHOOL if is_school else None),
            },
        )

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
        acting: Acting,
        request: Request[User, Any, Any],
        outcome_id: FromPath[UUID],
        name: FromPath[str],
        db_session: DbSession,
    ) -> Template | Redirect:
        return await _answer(acting, request, db_session, outcome_id, name)


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
    async def show(self, acting: Acting, outcome_id: FromPath[UUID], db_session: DbSession) -> Template:
        row = await queries.outcome_for(db_session, user=acting.user, outcome_id=outcome_id)
        round_ = await db_session.get_one(Round, row.outcome.round_id)
        details = await details_for_employer(db_session, row, acting)
        match = _match(row, details)
        actions = available_actions(row.outcome, round_, Side.EMPLOYER)
        return Template(
            template_name="matching/offers/match.html",
            context={
                "match": match,
                "actions": [(name, ACTIONS[Side.EMPLOYER][name]) for name in actions],
                "late": past_deadline(row.outcome),
                **await follow_up_context(db_session, acting.user, row, Side.EMPLOYER),
            },
        )

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
        acting: Acting,
        request: Request[User, Any, Any],
        outcome_id: FromPath[UUID],
        name: FromPath[str],
        db_session: DbSession,
    ) -> Template | Redirect:
        return await _answer(acting, request, db_session, outcome_id, name)
