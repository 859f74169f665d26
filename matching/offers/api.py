"""Offers in the JSON API: each side's outcomes, answering and withdrawing."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from matching.offers import queries
from matching.offers import services as offers
from matching.offers.privacy import NONE, EmployerDetails, details_for_employer
from matching.offers.schemas import AnswerIn, OutcomeOut, WithdrawalIn
from matching.rounds import queries as round_queries
from placements.accounts.guards import access
from placements.accounts.models import Role, User
from placements.db import DbSession
from placements.web.acting import Acting
from placements.web.errors import API_LOOKUP_ERRORS, WRITE_ERRORS
from placements.web.paging import Limit, Offset
from programme.queries import current_round

RoundQuery = Annotated[
    UUID | None, QueryParameter(name="round", description="The round's id; the current round when left out")
]


def _outcome_out(user: User, row: queries.OutcomeRow, details: EmployerDetails = NONE) -> OutcomeOut:
    return OutcomeOut.of(row, for_employer=user.role is Role.EMPLOYER_USER, details=details)


# Offers are answered by the school and the employer, each for their own side.
OFFER_SIDES = access(Role.SCHOOL_STAFF, Role.EMPLOYER_USER)


class OutcomesApi(Controller):
    path = "/api/outcomes"
    tags = ["Offers"]

    @get(
        "/",
        opt=access(Role.COORDINATOR, Role.SCHOOL_STAFF, Role.EMPLOYER_USER),
        operation_id="listOutcomes",
        summary="Current outcomes of a round, by pupil: school staff see their pupils', employer users the "
        "offers on their placements (first name, school and year group only)",
        raises=API_LOOKUP_ERRORS,
    )
    async def list_outcomes(
        self,
        request: Request[User, Any, Any],
        db_session: DbSession,
        round_id: RoundQuery = None,
        status: FromQuery[Literal["placed", "unplaced"] | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> OffsetPagination[OutcomeOut]:
        round_ = (
            await current_round(db_session)
            if round_id is None
            else await round_queries.get_round(db_session, round_id)
        )
        if round_ is None:
            return OffsetPagination(items=[], limit=limit, offset=offset, total=0)
        rows, total = await queries.outcomes(
            db_session, user=request.user, round_id=round_.id, status=status, limit=limit, offset=offset
        )
        return OffsetPagination(
            items=[_outcome_out(request.user, row) for row in rows], limit=limit, offset=offset, total=total
        )

    @get(
        "/{outcome_id:uuid}",
        opt=access(Role.COORDINATOR, Role.SCHOOL_STAFF, Role.EMPLOYER_USER),
        operation_id="getOutcome",
        summary="One outcome; an employer user sees the pupil's access needs once the school has accepted, "
        "and the emergency contact during the placement's weeks",
        raises=API_LOOKUP_ERRORS,
    )
    async def show(self, acting: Acting, outcome_id: FromPath[UUID], db_session: DbSession) -> OutcomeOut:
        row = await queries.outcome_for(db_session, user=acting.user, outcome_id=outcome_id)
        details = (
            await details_for_employer(db_session, row, acting)
            if acting.user.role is Role.EMPLOYER_USER
            else NONE
        )
        return _outcome_out(acting.user, row, details)

    @post(
        "/{outcome_id:uuid}/answer",
        opt=OFFER_SIDES,
        status_code=200,
        operation_id="answerOffer",
        summary="Accept or decline an offer for your side (the school for its pupil, the employer for its "
        "placement), once and before the deadline; declining needs a reason",
        raises=WRITE_ERRORS,
    )
    async def answer(
        self,
        acting: Acting,
        outcome_id: FromPath[UUID],
        data: JSONBody[AnswerIn],
        db_session: DbSession,
    ) -> OutcomeOut:
        row = await queries.outcome_for(db_session, user=acting.user, outcome_id=outcome_id)
        await offers.answer(
            db_session,
            outcome=row.outcome,
            yes=data.accept,
            reason=data.reason,
            actor=acting.user,
            ip_address=acting.ip_address,
        )
        return _outcome_out(acting.user, row)

    @post(
        "/{outcome_id:uuid}/withdraw",
        opt=OFFER_SIDES,
        status_code=200,
        operation_id="withdrawFromOffer",
        summary="End a placement your side had accepted, with a reason; its place is freed for reallocation",
        raises=WRITE_ERRORS,
    )
    async def withdraw(
        self,
        acting: Acting,
        outcome_id: FromPath[UUID],
        data: JSONBody[WithdrawalIn],
        db_session: DbSession,
    ) -> OutcomeOut:
        row = await queries.outcome_for(db_session, user=acting.user, outcome_id=outcome_id)
        await offers.withdraw(
            db_session,
            outcome=row.outcome,
            reason=data.reason,
            actor=acting.user,
            ip_address=acting.ip_address,
        )
        return _outcome_out(acting.user, row)
