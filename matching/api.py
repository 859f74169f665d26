"""The matching round's JSON API: the same operations and access rules as the pages.

Coordinators run rounds, runs, pins and forbids, and publication; school staff enter their own pupils'
choices and answer their offers; employer users answer the offers on their placements. Coordinators may
read everything. Refusals of the round's rules answer 409 with the message the pages show.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Body, FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from employers.models import Placement
from matching import compare, files, follow_up, offers, preferences, publication, queries, rounds, runs
from matching.errors import MatchingError
from matching.models import ChoiceEntry, MatchRun, Round
from matching.preferences import MAX_CSV_BYTES
from matching.schemas import (
    AdjustmentIn,
    AdjustmentOut,
    AdvanceIn,
    AnswerIn,
    AttendanceIn,
    ChoiceOptionOut,
    ChoicesIn,
    ChoiceStatusOut,
    ChoiceUploadOut,
    ComparedPupilOut,
    ComparedRunOut,
    ComparisonOut,
    CompletionIn,
    FeedbackIn,
    FollowUpOut,
    OutcomeOut,
    PublicationOut,
    PupilChoicesOut,
    RoundChangesIn,
    RoundIn,
    RoundOut,
    RunFiguresOut,
    RunOut,
    RunPolicyIn,
    RunPupilOut,
    UploadProblemOut,
    WithdrawalIn,
)
from placements.accounts.guards import access
from placements.accounts.models import Role, User
from placements.accounts.pages import client_ip
from placements.audit.services import record
from placements.db import DbSession
from placements.jobs.models import JobRecord
from placements.web.errors import API_ERRORS, API_LOOKUP_ERRORS, ConflictException, refusals_as_conflicts
from placements.web.pages import current_round
from placements.web.paging import Limit, Offset
from schools.models import Pupil
from schools.queries import get_pupil, get_school

TAGS = ["Matching round"]
COORDINATOR = access(Role.COORDINATOR)
STAFF = access(Role.SCHOOL_STAFF)
STAFF_OR_COORDINATOR = access(Role.COORDINATOR, Role.SCHOOL_STAFF)
OFFER_SIDES = access(Role.SCHOOL_STAFF, Role.EMPLOYER_USER)
EMPLOYER = access(Role.EMPLOYER_USER)
WRITE_ERRORS = [*API_LOOKUP_ERRORS, ValidationException, ConflictException]
RunIds = Annotated[
    list[UUID],
    QueryParameter(name="run", min_items=1, max_items=compare.MAX_COMPARED, description="Runs of the round"),
]
RoundQuery = Annotated[
    UUID | None, QueryParameter(name="round", description="The round's id; the current round when left out")
]


def _checked(data: RoundIn) -> rounds.RoundData:
    problem = data.week_problem()
    if problem:
        raise ConflictException(problem)
    return data.data()


async def _run_out(db: AsyncSession, run: MatchRun) -> RunOut:
    job = await db.get(JobRecord, run.job_id) if run.job_id else None
    return RunOut.of(run, job)


async def _run_of_round(db: AsyncSession, round_: Round, run_id: UUID) -> MatchRun:
    run = await queries.get_run(db, run_id)
    if run.round_id != round_.id:
        raise NotFoundException("No run of this round has this id")
    return run


async def _entered_pupil(db: AsyncSession, round_: Round, pupil_id: UUID) -> Pupil:
    """A pupil whose choices are entered in the round (only they take part in its runs)."""
    pupil = await db.scalar(
        select(Pupil)
        .join(ChoiceEntry, (ChoiceEntry.pupil_id == Pupil.id) & (ChoiceEntry.round_id == round_.id))
        .where(Pupil.id == pupil_id)
    )
    if pupil is None:
        raise NotFoundException("No pupil of this round has this id")
    return pupil


async def _placement_of_round(db: AsyncSession, round_: Round, placement_id: UUID) -> Placement:
    placement = await db.scalar(
        select(Placement).where(Placement.id == placement_id, Placement.round_id == round_.id)
    )
    if placement is None:
        raise NotFoundException("No placement of this round has this id")
    return placement


async def _adjustment_out(db: AsyncSession, round_: Round, adjustment_id: UUID) -> AdjustmentOut:
    [row] = [r for r in await queries.list_adjustments(db, round_.id) if r.adjustment.id == adjustment_id]
    return AdjustmentOut.of(row)


async def _pupil_choices(db: AsyncSession, round_: Round, pupil: Pupil) -> PupilChoicesOut:
    ranked, open_to_other = await preferences.current_choices(db, round_=round_, pupil=pupil)
    return PupilChoicesOut(
        round_id=round_.id,
        pupil_id=pupil.id,
        placements=ranked,
        open_to_other=open_to_other,
        closed_reason=preferences.closed_reason(round_),
    )


FILE_RESPONSE = {
    200: ResponseSpec(
        data_container=dict[str, Any],
        description="The file exactly as stored (see the matching format)",
        media_type="application/json",
        generate_examples=False,
    )
}


class RoundsApi(Controller):
    path = "/api/rounds"
    tags = TAGS

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
    async def create(
        self, request: Request[User, Any, Any], data: JSONBody[RoundIn], db_session: DbSession
    ) -> RoundOut:
        with refusals_as_conflicts(MatchingError):
            round_ = await rounds.create_round(
                db_session, data=_checked(data), actor=request.user, ip_address=client_ip(request)
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
        request: Request[User, Any, Any],
        round_id: FromPath[UUID],
        data: JSONBody[RoundChangesIn],
        db_session: DbSession,
    ) -> RoundOut:
        round_ = await queries.get_round(db_session, round_id)
        with refusals_as_conflicts(MatchingError):
            await rounds.update_round(
                db_session,
                round_=round_,
                data=_checked(data.applied_to(round_)),
                actor=request.user,
                ip_address=client_ip(request),
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
        request: Request[User, Any, Any],
        round_id: FromPath[UUID],
        data: JSONBody[AdvanceIn],
        db_session: DbSession,
    ) -> RoundOut:
        round_ = await queries.get_round(db_session, round_id)
        with refusals_as_conflicts(MatchingError):
            round_ = await rounds.advance(
                db_session, round_=round_, to=data.to, actor=request.user, ip_address=client_ip(request)
            )
        return RoundOut.of(round_)

    # --- Choices ---

    @get(
        "/{round_id:uuid}/choices",
        opt=STAFF_OR_COORDINATOR,
        operation_id="listChoiceStatuses",
        summary="A school's consenting pupils with how many choices each has (school staff: their own "
        "school; coordinators name the school). missing=true lists those with nothing entered.",
        raises=[*API_LOOKUP_ERRORS, ConflictException],
    )
    async def choice_statuses(
        self,
        request: Request[User, Any, Any],
        round_id: FromPath[UUID],
        db_session: DbSession,
        school_id: FromQuery[UUID | None] = None,
        missing: FromQuery[bool] = False,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> OffsetPagination[ChoiceStatusOut]:
        round_ = await queries.get_round(db_session, round_id)
        wanted = school_id or request.user.school_id
        if wanted is None:
            raise ConflictException("Say which school: school_id")
        school = await get_school(db_session, user=request.user, school_id=wanted)
        rows, total = await queries.choice_statuses(
            db_session,
            school_id=school.id,
            round_id=round_.id,
            missing_only=missing,
            limit=limit,
            offset=offset,
        )
        return OffsetPagination(
            items=[ChoiceStatusOut.of(row) for row in rows], limit=limit, offset=offset, total=total
        )

    @post(
        "/{round_id:uuid}/choices/upload",
        opt=STAFF,
        status_code=200,
        operation_id="uploadChoices",
        summary="Save the choices of many pupils from a CSV file (reference, choice 1 … choice N, "
        "open_to_other). Every row is saved, or none: rows with problems answer 422 with each problem; "
        "a file that cannot be read, or choices that are closed, answer 409.",
        raises=WRITE_ERRORS,
        responses={
            422: ResponseSpec(
                data_container=ChoiceUploadOut,
                description="Some rows have problems: nothing was saved",
                generate_examples=False,
            )
        },
    )
    async def upload(
        self,
        request: Request[User, Any, Any],
        round_id: FromPath[UUID],
        db_session: DbSession,
        data: Annotated[UploadFile, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Response[ChoiceUploadOut]:
        round_ = await queries.get_round(db_session, round_id)
        school = await get_school(db_session, user=request.user, school_id=request.user.school_id)
        with refusals_as_conflicts(MatchingError):
            result = await preferences.upload_choices(
                db_session,
                round_=round_,
                school=school,
                data=await data.read(MAX_CSV_BYTES + 1),
                actor=request.user,
                ip_address=client_ip(request),
            )
        problems = [UploadProblemOut(row, column, message) for row, column, message in result.problems]
        return Response(
            ChoiceUploadOut(rows=result.rows, saved=not problems, problems=problems),
            status_code=422 if problems else 200,
        )

    @get(
        "/{round_id:uuid}/choices/{pupil_id:uuid}",
        opt=STAFF_OR_COORDINATOR,
        operation_id="getPupilChoices",
        summary="A pupil's choices in rank order, and whether they are open to any other placement",
        raises=API_LOOKUP_ERRORS,
    )
    async def pupil_choices(
        self,
        request: Request[User, Any, Any],
        round_id: FromPath[UUID],
        pupil_id: FromPath[UUID],
        db_session: DbSession,
    ) -> PupilChoicesOut:
        round_ = await queries.get_round(db_session, round_id)
        pupil = await get_pupil(db_session, user=request.user, pupil_id=pupil_id)
        return await _pupil_choices(db_session, round_, pupil)

    @get(
        "/{round_id:uuid}/choices/{pupil_id:uuid}/options",
        opt=STAFF_OR_COORDINATOR,
        operation_id="listPupilChoiceOptions",
        summary="The placements a pupil may choose (their year group), nearest first, with demand so far",
        raises=API_LOOKUP_ERRORS,
    )
    async def options(
        self,
        request: Request[User, Any, Any],
        round_id: FromPath[UUID],
        pupil_id: FromPath[UUID],
        db_session: DbSession,
    ) -> list[ChoiceOptionOut]:
        round_ = await queries.get_round(db_session, round_id)
        pupil = await get_pupil(db_session, user=request.user, pupil_id=pupil_id)
        return [
            ChoiceOptionOut.of(c)
            for c in await preferences.choices_for(db_session, round_=round_, pupil=pupil)
        ]

    @put(
        "/{round_id:uuid}/choices/{pupil_id:uuid}",
        opt=STAFF,
        operation_id="savePupilChoices",
        summary="Replace a pupil's choices (placement ids, first choice first) while preferences are open; "
        "no choices and not open to others takes the pupil out of the round",
        raises=WRITE_ERRORS,
    )
    async def save_choices(
        self,
        request: Request[User, Any, Any],
        round_id: FromPath[UUID],
        pupil_id: FromPath[UUID],
        data: JSONBody[ChoicesIn],
        db_session: DbSession,
    ) -> PupilChoicesOut:
        round_ = await queries.get_round(db_session, round_id)
        pupil = await get_pupil(db_session, user=request.user, pupil_id=pupil_id)
        with refusals_as_conflicts(MatchingError):
            await preferences.save_choices(
                db_session,
                round_=round_,
                pupil=pupil,
                placement_ids=data.placements,
                open_to_other=data.open_to_other,
                actor=request.user,
                ip_address=client_ip(request),
            )
        return await _pupil_choices(db_session, round_, pupil)

    # --- Runs ---

    @get(
        "/{round_id:uuid}/runs",
        opt=COORDINATOR,
        operation_id="listRuns",
        summary="The round's matching runs, newest first",
        raises=API_LOOKUP_ERRORS,
    )
    async def list_runs(self, round_id: FromPath[UUID], db_session: DbSession) -> list[RunOut]:
        round_ = await queries.get_round(db_session, round_id)
        return [await _run_out(db_session, run) for run in await queries.list_runs(db_session, round_.id)]

    @post(
        "/{round_id:uuid}/runs",
        opt=COORDINATOR,
        status_code=202,
        operation_id="startRun",
        summary="Start a matching run in the background (a run already queued or running is returned "
        "instead); follow it with getRun",
        raises=WRITE_ERRORS,
    )
    async def start_run(
        self,
        request: Request[User, Any, Any],
        round_id: FromPath[UUID],
        data: JSONBody[RunPolicyIn],
        db_session: DbSession,
    ) -> RunOut:
        round_ = await queries.get_round(db_session, round_id)
        with refusals_as_conflicts(MatchingError):
            run = await runs.start_run(
                db_session,
                round_=round_,
                policy=data.policy(),
                actor=request.user,
                ip_address=client_ip(request),
            )
        return await _run_out(db_session, run)

    @get(
        "/{round_id:uuid}/compare",
        opt=COORDINATOR,
        operation_id="compareRuns",
        summary="Runs of the round side by side: each run's figures, and the pupils they place differently",
        raises=API_LOOKUP_ERRORS,
    )
    async def compare_runs(
        self,
        round_id: FromPath[UUID],
        run_ids: RunIds,
        db_session: DbSession,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> ComparisonOut:
        round_ = await queries.get_round(db_session, round_id)
        compared = [await _run_of_round(db_session, round_, run_id) for run_id in run_ids]
        lines = await compare.pupil_lines(db_session, compared, only_differences=True)
        return ComparisonOut(
            runs=[
                ComparedRunOut(
                    run_id=run.id,
                    number=run.number,
                    status=run.status,
                    policy=compare.figures(run)["policy"],
                    figures=RunFiguresOut.of(run),
                )
                for run in compared
            ],
            differing_pupils=[ComparedPupilOut.of(line) for line in lines[offset : offset + limit]],
            total_differing=len(lines),
            limit=limit,
            offset=offset,
        )

    # --- Pins and forbids ---

    @get(
        "/{round_id:uuid}/adjustments",
        opt=COORDINATOR,
        operation_id="listAdjustments",
        summary="The round's pinned and forbidden pupil and placement pairs",
        raises=API_LOOKUP_ERRORS,
    )
    async def list_adjustments(self, round_id: FromPath[UUID], db_session: DbSession) -> list[AdjustmentOut]:
        round_ = await queries.get_round(db_session, round_id)
        return [AdjustmentOut.of(row) for row in await queries.list_adjustments(db_session, round_.id)]

    @post(
        "/{round_id:uuid}/adjustments",
        opt=COORDINATOR,
        operation_id="addAdjustment",
        summary="Pin a pupil of the round to a placement, or forbid the pair, with a reason; later runs "
        "keep to it",
        raises=WRITE_ERRORS,
    )
    async def add_adjustment(
        self,
        request: Request[User, Any, Any],
        round_id: FromPath[UUID],
        data: JSONBody[AdjustmentIn],
        db_session: DbSession,
    ) -> AdjustmentOut:
        round_ = await queries.get_round(db_session, round_id)
        pupil = await _entered_pupil(db_session, round_, data.pupil)
        placement = await _placement_of_round(db_session, round_, data.placement)
        with refusals_as_conflicts(MatchingError):
            adjustment = await runs.add_adjustment(
                db_session,
                round_=round_,
                pupil_id=pupil.id,
                placement_id=placement.id,
                kind=data.kind,
                reason=data.reason,
                actor=request.user,
                ip_address=client_ip(request),
            )
        return await _adjustment_out(db_session, round_, adjustment.id)

    @delete(
        "/{round_id:uuid}/adjustments/{adjustment_id:uuid}",
        opt=COORDINATOR,
        operation_id="removeAdjustment",
        summary="Remove a pin or forbid",
        raises=API_LOOKUP_ERRORS,
    )
    async def remove_adjustment(
        self,
        request: Request[User, Any, Any],
        round_id: FromPath[UUID],
        adjustment_id: FromPath[UUID],
        db_session: DbSession,
    ) -> None:
        round_ = await queries.get_round(db_session, round_id)
        adjustment = await queries.get_adjustment(db_session, round_.id, adjustment_id)
        await runs.remove_adjustment(
            db_session, adjustment=adjustment, actor=request.user, ip_address=client_ip(request)
        )


class RunsApi(Controller):
    path = "/api/runs"
    tags = TAGS
    opt = COORDINATOR

    @get(
        "/{run_id:uuid}",
        operation_id="getRun",
        summary="A run: its status and progress, policy, file hashes and figures",
        raises=API_LOOKUP_ERRORS,
    )
    async def show(self, run_id: FromPath[UUID], db_session: DbSession) -> RunOut:
        return await _run_out(db_session, await queries.get_run(db_session, run_id))

    @get(
        "/{run_id:uuid}/instance",
        operation_id="downloadRunInstance",
        summary="The run's instance file, byte for byte as solved (409 until the run has one)",
        raises=[*API_LOOKUP_ERRORS, ConflictException],
        media_type="application/json",
        responses=FILE_RESPONSE,
    )
    async def instance(
        self, request: Request[User, Any, Any], run_id: FromPath[UUID], db_session: DbSession
    ) -> Response[bytes]:
        return await files.run_file(request, db_session, run_id, "instance", ConflictException)

    @get(
        "/{run_id:uuid}/result",
        operation_id="downloadRunResult",
        summary="The run's result file, byte for byte as the solver wrote it (409 until the run has one)",
        raises=[*API_LOOKUP_ERRORS, ConflictException],
        media_type="application/json",
        responses=FILE_RESPONSE,
    )
    async def result(
        self, request: Request[User, Any, Any], run_id: FromPath[UUID], db_session: DbSession
    ) -> Response[bytes]:
        return await files.run_file(request, db_session, run_id, "result", ConflictException)

    @get(
        "/{run_id:uuid}/pupils",
        operation_id="listRunPupils",
        summary="Every pupil of a finished run, by name: the placement and rank they got, or why not",
        raises=API_LOOKUP_ERRORS,
    )
    async def pupils(
        self, run_id: FromPath[UUID], db_session: DbSession, limit: Limit = 50, offset: Offset = 0
    ) -> OffsetPagination[RunPupilOut]:
        run = await queries.get_run(db_session, run_id)
        lines = await compare.pupil_lines(db_session, [run])
        return OffsetPagination(
            items=[RunPupilOut.of(line) for line in lines[offset : offset + limit]],
            limit=limit,
            offset=offset,
            total=len(lines),
        )

    @post(
        "/{run_id:uuid}/cancel",
        status_code=200,
        operation_id="cancelRun",
        summary="Cancel a queued or running run: it stops, keeps no result, and a new run can start",
        raises=WRITE_ERRORS,
    )
    async def cancel(
        self, request: Request[User, Any, Any], run_id: FromPath[UUID], db_session: DbSession
    ) -> RunOut:
        run = await queries.get_run(db_session, run_id)
        with refusals_as_conflicts(MatchingError):
            run = await runs.cancel_run(
                db_session, run=run, actor=request.user, ip_address=client_ip(request)
            )
        return await _run_out(db_session, run)

    @post(
        "/{run_id:uuid}/publish",
        status_code=200,
        operation_id="publishRun",
        summary="Publish a finished run: its outcomes are set and schools and employers are emailed",
        raises=WRITE_ERRORS,
    )
    async def publish(
        self, request: Request[User, Any, Any], run_id: FromPath[UUID], db_session: DbSession
    ) -> PublicationOut:
        run = await queries.get_run(db_session, run_id)
        with refusals_as_conflicts(MatchingError):
            count = await publication.publish_run(
                db_session, run=run, actor=request.user, ip_address=client_ip(request)
            )
        return PublicationOut(run=await _run_out(db_session, run), outcomes=count)


def _outcome_out(user: User, row: queries.OutcomeRow, *, with_details: bool = False) -> OutcomeOut:
    return OutcomeOut.of(row, for_employer=user.role is Role.EMPLOYER_USER, with_details=with_details)


async def _follow_up_out(db: AsyncSession, user: User, row: queries.OutcomeRow) -> FollowUpOut:
    return FollowUpOut.of(
        row,
        await follow_up.recorded(db, row=row),
        await follow_up.history(db, user=user, row=row),
        for_employer=user.role is Role.EMPLOYER_USER,
    )


class OutcomesApi(Controller):
    path = "/api/outcomes"
    tags = TAGS

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
            else await queries.get_round(db_session, round_id)
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
    async def show(
        self, request: Request[User, Any, Any], outcome_id: FromPath[UUID], db_session: DbSession
    ) -> OutcomeOut:
        row = await queries.outcome_for(db_session, user=request.user, outcome_id=outcome_id)
        out = _outcome_out(request.user, row, with_details=True)
        if out.access_needs is not None or out.emergency_contact is not None:
            await record(
                db_session,
                actor=request.user,
                action="match_viewed",
                record_type="outcome",
                record_id=row.outcome.id,
                ip_address=client_ip(request),
                emergency_contact=out.emergency_contact is not None,
            )
        return out

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
        request: Request[User, Any, Any],
        outcome_id: FromPath[UUID],
        data: JSONBody[AnswerIn],
        db_session: DbSession,
    ) -> OutcomeOut:
        row = await queries.outcome_for(db_session, user=request.user, outcome_id=outcome_id)
        with refusals_as_conflicts(MatchingError):
            await offers.answer(
                db_session,
                outcome=row.outcome,
                yes=data.accept,
                reason=data.reason,
                actor=request.user,
                ip_address=client_ip(request),
            )
        return _outcome_out(request.user, row)

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
        request: Request[User, Any, Any],
        outcome_id: FromPath[UUID],
        data: JSONBody[WithdrawalIn],
        db_session: DbSession,
    ) -> OutcomeOut:
        row = await queries.outcome_for(db_session, user=request.user, outcome_id=outcome_id)
        with refusals_as_conflicts(MatchingError):
            await offers.withdraw(
                db_session,
                outcome=row.outcome,
                reason=data.reason,
                actor=request.user,
                ip_address=client_ip(request),
            )
        return _outcome_out(request.user, row)

    # --- After the match ---

    @get(
        "/{outcome_id:uuid}/follow-up",
        opt=access(Role.COORDINATOR, Role.SCHOOL_STAFF, Role.EMPLOYER_USER),
        operation_id="getFollowUp",
        summary="What was recorded after the match (attendance per day, the employer's feedback, the "
        "pupil's completion) and the placement's history; the pupil's reflection is null for employer users",
        raises=API_LOOKUP_ERRORS,
    )
    async def show_follow_up(
        self, request: Request[User, Any, Any], outcome_id: FromPath[UUID], db_session: DbSession
    ) -> FollowUpOut:
        row = await queries.outcome_for(db_session, user=request.user, outcome_id=outcome_id)
        return await _follow_up_out(db_session, request.user, row)

    @put(
        "/{outcome_id:uuid}/attendance",
        opt=EMPLOYER,
        operation_id="recordAttendance",
        summary="Record whether the pupil attended each given day of an agreed placement (null clears a "
        "day); only days of the placement up to today (409 otherwise)",
        raises=WRITE_ERRORS,
    )
    async def record_attendance(
        self,
        request: Request[User, Any, Any],
        outcome_id: FromPath[UUID],
        data: JSONBody[AttendanceIn],
        db_session: DbSession,
    ) -> FollowUpOut:
        row = await queries.outcome_for(db_session, user=request.user, outcome_id=outcome_id)
        days = {given.day: given.attended for given in data.days}
        if len(days) != len(data.days):
            raise ValidationException("Give each day once")
        with refusals_as_conflicts(MatchingError):
            await follow_up.record_attendance(
                db_session, outcome=row.outcome, days=days, actor=request.user, ip_address=client_ip(request)
            )
        return await _follow_up_out(db_session, request.user, row)

    @put(
        "/{outcome_id:uuid}/feedback",
        opt=EMPLOYER,
        operation_id="giveFeedback",
        summary="Give feedback on the pupil of an agreed placement, and say whether you would host again, "
        "from the placement's first day; replaces earlier feedback",
        raises=WRITE_ERRORS,
    )
    async def give_feedback(
        self,
        request: Request[User, Any, Any],
        outcome_id: FromPath[UUID],
        data: JSONBody[FeedbackIn],
        db_session: DbSession,
    ) -> FollowUpOut:
        row = await queries.outcome_for(db_session, user=request.user, outcome_id=outcome_id)
        with refusals_as_conflicts(MatchingError):
            await follow_up.give_feedback(
                db_session,
                outcome=row.outcome,
                feedback=data.feedback,
                would_host_again=data.would_host_again,
                actor=request.user,
                ip_address=client_ip(request),
            )
        return await _follow_up_out(db_session, request.user, row)

    @put(
        "/{outcome_id:uuid}/completion",
        opt=STAFF,
        operation_id="recordCompletion",
        summary="Record whether the pupil completed an agreed placement, with the pupil's reflection, "
        "from the placement's first day",
        raises=WRITE_ERRORS,
    )
    async def record_completion(
        self,
        request: Request[User, Any, Any],
        outcome_id: FromPath[UUID],
        data: JSONBody[CompletionIn],
        db_session: DbSession,
    ) -> FollowUpOut:
        row = await queries.outcome_for(db_session, user=request.user, outcome_id=outcome_id)
        with refusals_as_conflicts(MatchingError):
            await follow_up.record_completion(
                db_session,
                outcome=row.outcome,
                completed=data.completed,
                reflection=data.reflection,
                actor=request.user,
                ip_address=client_ip(request),
            )
        return await _follow_up_out(db_session, request.user, row)


ROUTES: list[Any] = [RoundsApi, RunsApi, OutcomesApi]
