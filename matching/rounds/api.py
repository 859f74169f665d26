"""The round in the JSON API: create, read, change and move on to the next stage."""

from __future__ import annotations

from uuid import UUID

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, get, patch, post
from litestar.exceptions import ValidationException
from litestar.params import FromPath, JSONBody

from matching.errors import MatchingError
from matching.rounds import queries
from matching.rounds import services as rounds
from matching.rounds.schemas import AdvanceIn, RoundChangesIn, RoundIn, RoundOut
from placements.accounts.guards import COORDINATOR, access
from placements.db import DbSession
from placements.web.acting import Acting
from placements.web.errors import (
    API_ERRORS,
    API_LOOKUP_ERRORS,
    WRITE_ERRORS,
    ConflictException,
)
from placements.web.paging import Limit, Offset


def _checked(data: RoundIn) -> rounds.RoundData:
    problem = data.week_problem()
    if problem:
        raise MatchingError(problem, "weeks")
    return data.data()


class RoundsApi(Controller):
    path = "/api/rounds"
    tags = ["Rounds"]

    @get(
        "/",
        opt=access(),
        operation_id="listRounds",
        summary="Matching rounds, newest programme year first",
        raises=API_ERRORS,
    )
    async def list_rounds(
        self, db_session: DbSession, limit: Limit = 50, offset: Offset = 0
    ) -> OffsetPagination[RoundOut]:
        listed, total = await queries.list_rounds(db_session, limit=limit, offset=offset)
        return OffsetPagination(
            items=[RoundOut.of(r) for r in listed], limit=limit, offset=offset, total=total
        )

    @post(
        "/",
        opt=COORDINATOR,
        operation_id="createRound",
        summary="Create a round for a programme year (as a draft)",
        raises=[*API_ERRORS, ValidationException, ConflictException],
    )
    async def create(self, acting: Acting, data: JSONBody[RoundIn], db_session: DbSession) -> RoundOut:
        round_ = await rounds.create_round(
            db_session, data=_checked(data), actor=acting.user, ip_address=acting.ip_address
        )
        return RoundOut.of(round_)

    @get(
        "/{round_id:uuid}",
        opt=access(),
        operation_id="getRound",
        summary="A round: its stage, calendar and settings",
        raises=API_LOOKUP_ERRORS,
    )
    async def show(self, round_id: FromPath[UUID], db_session: DbSession) -> RoundOut:
        return RoundOut.of(await queries.get_round(db_session, round_id))

    @patch(
        "/{round_id:uuid}",
        opt=COORDINATOR,
        operation_id="updateRound",
        summary="Change a round's settings (not once it is closed)",
        raises=WRITE_ERRORS,
    )
    async def update(
        self,
        acting: Acting,
        round_id: FromPath[UUID],
        data: JSONBody[RoundChangesIn],
        db_session: DbSession,
    ) -> RoundOut:
        round_ = await queries.get_round(db_session, round_id)
        await rounds.update_round(
            db_session,
            round_=round_,
            data=_checked(data.applied_to(round_)),
            actor=acting.user,
            ip_address=acting.ip_address,
        )
        return RoundOut.of(round_)

    @post(
        "/{round_id:uuid}/advance",
        opt=COORDINATOR,
        status_code=200,
        operation_id="advanceRound",
        summary="Move the round to its next stage; refused (409) when that is not the next stage or the "
        "round is not ready for it. Publication is its own action (publishRun).",
        raises=WRITE_ERRORS,
    )
    async def advance(
        self,
        acting: Acting,
        round_id: FromPath[UUID],
        data: JSONBody[AdvanceIn],
        db_session: DbSession,
    ) -> RoundOut:
        round_ = await queries.get_round(db_session, round_id)
        round_ = await rounds.advance(
            db_session, round_=round_, to=data.to, actor=acting.user, ip_address=acting.ip_address
        )
        return RoundOut.of(round_)
