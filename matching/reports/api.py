"""The report of a round as JSON: the figures of the dashboard, scoped to the user like the page."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get
from litestar.params import FromPath
from msgspec import Struct

from matching.reports.services import Fill, RoundReport, Scope, round_report
from matching.rounds import queries as round_queries
from placements.accounts.guards import access
from placements.accounts.models import User
from placements.db import DbSession
from placements.web.errors import API_LOOKUP_ERRORS


class CountOut(Struct):
    label: str
    count: int


class FillOut(Struct):
    name: str
    places: int
    offered: int
    agreed: int
    fill_rate: float | None

    @classmethod
    def of(cls, fill: Fill) -> FillOut:
        return cls(fill.name, fill.places, fill.offered, fill.agreed, fill.rate)


class HeadlineOut(Struct):
    target: int
    taking_part: int
    placed: int
    agreed: int
    unplaced: int
    published: bool


class SchoolFiguresOut(Struct):
    name: str
    registered: int
    consenting: int
    with_choices: int
    placed: int
    agreed: int
    has_digital_advisor: bool


class GroupOut(Struct):
    name: str
    taking_part: int
    placed: int
    placement_rate: float | None
    mean_rank: float | None


class FollowUpOut(Struct):
    agreed: int
    completed: int
    not_completed: int
    feedback_given: int
    would_host_again: int
    days_recorded: int
    days_attended: int
    completion_rate: float | None
    feedback_rate: float | None


class ReportOut(Struct):
    round_id: UUID
    round_name: str
    programme_year: int
    pupil_data_erased: bool
    headline: HeadlineOut
    ranks: list[CountOut]
    unplaced_reasons: list[CountOut]
    pathways: list[FillOut]
    employers: list[FillOut]
    placements: list[FillOut]
    schools: list[SchoolFiguresOut]
    groups: list[GroupOut]
    travel: list[CountOut]
    mean_travel_km: float | None
    follow_up: FollowUpOut
    # Counts other domains add, each under its caption: {"Reviews of outcomes": [{label, count}]}.
    sections: dict[str, list[CountOut]]

    @classmethod
    def of(cls, round_id: UUID, report: RoundReport) -> ReportOut:
        h, f = report.headline, report.follow_up
        return cls(
            round_id=round_id,
            round_name=report.round_name,
            programme_year=report.programme_year,
            pupil_data_erased=report.erased,
            headline=HeadlineOut(h.target, h.taking_part, h.placed, h.agreed, h.unplaced, h.published),
            ranks=[CountOut(label, n) for label, n in report.ranks],
            unplaced_reasons=[CountOut(label, n) for label, n in report.unplaced_reasons],
            pathways=[FillOut.of(fill) for fill in report.pathways],
            employers=[FillOut.of(fill) for fill in report.employers],
            placements=[FillOut.of(fill) for fill in report.placements],
            schools=[
                SchoolFiguresOut(
                    s.name, s.registered, s.consenting, s.with_choices, s.placed, s.agreed, s.has_advisor
                )
                for s in report.schools
            ],
            groups=[GroupOut(g.name, g.taking_part, g.placed, g.rate, g.mean_rank) for g in report.groups],
            travel=[CountOut(label, n) for label, n in report.travel],
            mean_travel_km=report.mean_travel_km,
            follow_up=FollowUpOut(
                f.agreed,
                f.completed,
                f.not_completed,
                f.feedback,
                f.would_host_again,
                f.days_recorded,
                f.days_attended,
                f.completion_rate,
                f.feedback_rate,
            ),
            sections={
                caption: [CountOut(label, n) for label, n in rows] for caption, rows in report.sections
            },
        )


class ReportsApi(Controller):
    path = "/api/rounds"
    tags = ["Reports"]

    @get(
        "/{round_id:uuid}/report",
        opt=access(),
        operation_id="getRoundReport",
        summary="A round's figures: the whole programme for coordinators, a school's own pupils for its "
        "staff, "
        "an employer's own placements for its users",
        raises=API_LOOKUP_ERRORS,
    )
    async def report(
        self, request: Request[User, Any, Any], round_id: FromPath[UUID], db_session: DbSession
    ) -> ReportOut:
        round_ = await round_queries.get_round(db_session, round_id)
        return ReportOut.of(round_.id, await round_report(db_session, round_, Scope.of(request.user)))
