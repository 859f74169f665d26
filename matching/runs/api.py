"""Matching runs in the JSON API: start, follow, compare, pin and forbid, cancel and publish."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, Response, delete, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from matching.models import MatchRun
from matching.rounds import queries as round_queries
from matching.runs import compare, files, publication, queries
from matching.runs import services as runs
from matching.runs.schemas import (
    AdjustmentIn,
    AdjustmentOut,
    ComparedPupilOut,
    ComparedRunOut,
    ComparisonOut,
    PublicationOut,
    RunFiguresOut,
    RunOut,
    RunPolicyIn,
    RunPupilOut,
)
from placements.accounts.guards import COORDINATOR
from placements.db import DbSession
from placements.jobs.models import JobRecord
from placements.web.acting import Acting
from placements.web.errors import API_LOOKUP_ERRORS, WRITE_ERRORS, ConflictException
from placements.web.paging import Limit, Offset
from programme.models import Round

RunIds = Annotated[
    list[UUID],
    QueryParameter(name="run", min_items=1, max_items=compare.MAX_COMPARED, description="Runs of the round"),
]


async def _run_out(db: AsyncSession, run: MatchRun) -> RunOut:
    job = await db.get(JobRecord, run.job_id) if run.job_id else None
    return RunOut.of(run, job)


async def _adjustment_out(db: AsyncSession, round_: Round, adjustment_id: UUID) -> AdjustmentOut:
    [row] = [r for r in await queries.list_adjustments(db, round_.id) if r.adjustment.id == adjustment_id]
    return AdjustmentOut.of(row)


FILE_RESPONSE = {
    200: ResponseSpec(
        data_container=dict[str, Any],
        description="The file exactly as stored (see the matching format)",
        media_type="application/json",
        generate_examples=False,
    )
}


class RoundRunsApi(Controller):
    path = "/api/rounds"
    tags = ["Matching runs"]

    @get(
        "/{round_id:uuid}/runs",
        opt=COORDINATOR,
        operation_id="listRuns",
        summary="The round's matching runs, newest first",
        raises=API_LOOKUP_ERRORS,
    )
    async def list_runs(self, round_id: FromPath[UUID], db_session: DbSession) -> list[RunOut]:
        round_ = await round_queries.get_round(db_session, round_id)
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
        acting: Acting,
        round_id: FromPath[UUID],
        data: JSONBody[RunPolicyIn],
        db_session: DbSession,
    ) -> RunOut:
        round_ = await round_queries.get_round(db_session, round_id)
        run = await runs.start_run(
            db_session,
            round_=round_,
            policy=data.policy(),
            actor=acting.user,
            ip_address=acting.ip_address,
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
        round_ = await round_queries.get_round(db_session, round_id)
        compared = [await queries.run_of_round(db_session, round_, run_id) for run_id in run_ids]
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

    @get(
        "/{round_id:uuid}/adjustments",
        opt=COORDINATOR,
        operation_id="listAdjustments",
        summary="The round's pinned and forbidden pupil and placement pairs",
        raises=API_LOOKUP_ERRORS,
    )
    async def list_adjustments(self, round_id: FromPath[UUID], db_session: DbSession) -> list[AdjustmentOut]:
        round_ = await round_queries.get_round(db_session, round_id)
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
        acting: Acting,
        round_id: FromPath[UUID],
        data: JSONBody[AdjustmentIn],
        db_session: DbSession,
    ) -> AdjustmentOut:
        round_ = await round_queries.get_round(db_session, round_id)
        pupil, _ = await queries.entered_pupil(db_session, round_, data.pupil)
        placement = await queries.placement_of_round(db_session, round_, data.placement)
        adjustment = await runs.add_adjustment(
            db_session,
            round_=round_,
            pupil_id=pupil.id,
            placement_id=placement.id,
            kind=data.kind,
            reason=data.reason,
            actor=acting.user,
            ip_address=acting.ip_address,
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
        acting: Acting,
        round_id: FromPath[UUID],
        adjustment_id: FromPath[UUID],
        db_session: DbSession,
    ) -> None:
        round_ = await round_queries.get_round(db_session, round_id)
        adjustment = await queries.get_adjustment(db_session, round_.id, adjustment_id)
        await runs.remove_adjustment(
            db_session, adjustment=adjustment, actor=acting.user, ip_address=acting.ip_address
        )


class RunsApi(Controller):
    path = "/api/runs"
    tags = ["Matching runs"]
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
        self, acting: Acting, run_id: FromPath[UUID], db_session: DbSession
    ) -> Response[bytes]:
        return await files.run_file(acting, db_session, run_id, "instance", ConflictException)

    @get(
        "/{run_id:uuid}/result",
        operation_id="downloadRunResult",
        summary="The run's result file, byte for byte as the solver wrote it (409 until the run has one)",
        raises=[*API_LOOKUP_ERRORS, ConflictException],
        media_type="application/json",
        responses=FILE_RESPONSE,
    )
    async def result(self, acting: Acting, run_id: FromPath[UUID], db_session: DbSession) -> Response[bytes]:
        return await files.run_file(acting, db_session, run_id, "result", ConflictException)

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
    async def cancel(self, acting: Acting, run_id: FromPath[UUID], db_session: DbSession) -> RunOut:
        run = await queries.get_run(db_session, run_id)
        run = await runs.cancel_run(db_session, run=run, actor=acting.user, ip_address=acting.ip_address)
        return await _run_out(db_session, run)

    @post(
        "/{run_id:uuid}/publish",
        status_code=200,
        operation_id="publishRun",
        summary="Publish a finished run: its outcomes are set and schools and employers are emailed",
        raises=WRITE_ERRORS,
    )
    async def publish(self, acting: Acting, run_id: FromPath[UUID], db_session: DbSession) -> PublicationOut:
        run = await queries.get_run(db_session, run_id)
        count = await publication.publish_run(
            db_session, run=run, actor=acting.user, ip_address=acting.ip_address
        )
        return PublicationOut(run=await _run_out(db_session, run), outcomes=count)
