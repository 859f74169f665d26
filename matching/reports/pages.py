"""The programme at a glance: the dashboard of a round for each role, its long tables, and downloads."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from matching.reports.exports import PERSONAL, TABLES
from matching.reports.services import RoundReport, Scope, YearFigures, round_report
from matching.rounds import queries as round_queries
from placements.accounts.guards import COORDINATOR, access
from placements.accounts.models import User
from placements.db import DbSession
from placements.exports import csv_text, xlsx_bytes
from placements.web.acting import Acting
from placements.web.downloads import attachment
from placements.web.paging import Page, page_from_request
from programme.models import Round, Stage

FORMATS = ("csv", "xlsx")


async def _round(db: AsyncSession, rounds: list[Round], round_id: UUID | None) -> Round | None:
    """The round asked for, else the current one (the latest not closed), else the latest; None when
    there is no round yet. `rounds` is every round, oldest first, so the round asked for is already
    in the session."""
    if round_id is not None:
        return await round_queries.get_round(db, round_id)
    open_ = [round_ for round_ in rounds if round_.stage is not Stage.CLOSED]
    return (open_ or rounds or [None])[-1]


async def _dashboard(request: Request[User, Any, Any], db: AsyncSession, round_id: UUID | None) -> Template:
    rounds = await round_queries.every_round(db)
    round_ = await _round(db, rounds, round_id)
    scope = Scope.of(request.user)
    report, years = None, []
    if round_ is not None:
        report = await round_report(db, round_, scope)
        if scope.programme:
            years = [
                YearFigures.of(report if other.id == round_.id else await round_report(db, other, scope))
                for other in rounds
            ]
    return Template(
        template_name="matching/reports/dashboard.html",
        context={
            "round": round_,
            "rounds": rounds,
            "report": report,
            "years": years,
            "role": request.user.role.value,
            "exports": [name for name, table in TABLES.items() if request.user.role in table.roles],
            "personal": PERSONAL,
        },
    )


class ReportPages(Controller):
    path = "/reports"
    include_in_schema = False

    @get("/", opt=access())
    async def current(self, request: Request[User, Any, Any], db_session: DbSession) -> Template:
        return await _dashboard(request, db_session, None)

    @get("/{round_id:uuid}", opt=access())
    async def dashboard(
        self, request: Request[User, Any, Any], round_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        return await _dashboard(request, db_session, round_id)

    @get("/{round_id:uuid}/schools", opt=COORDINATOR)
    async def schools(
        self, request: Request[User, Any, Any], round_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        return await _long_table(request, db_session, round_id, "schools")

    @get("/{round_id:uuid}/employers", opt=COORDINATOR)
    async def employers(
        self, request: Request[User, Any, Any], round_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        return await _long_table(request, db_session, round_id, "employers")

    @get("/{round_id:uuid}/downloads/{name:str}", opt=access())
    async def download(
        self,
        acting: Acting,
        round_id: FromPath[UUID],
        name: FromPath[str],
        db_session: DbSession,
    ) -> Response[Any]:
        """One table as CSV or XLSX (`outcomes.csv`, `open-data.xlsx`, ...), audited."""
        table_name, _, extension = name.rpartition(".")
        table = TABLES.get(table_name)
        if table is None or extension not in FORMATS:
            raise NotFoundException("There is no such download")
        if acting.user.role not in table.roles:
            raise PermissionDeniedException("Your account cannot download this table")
        round_ = await round_queries.get_round(db_session, round_id)
        header, rows = await table.build(db_session, round_, acting.user)
        await acting.audit(
            db_session,
            "report_downloaded",
            record_type="round",
            record_id=round_.id,
            table=table_name,
            format=extension,
            rows=len(rows),
            personal=table_name in PERSONAL,
        )
        content = csv_text(header, rows) if extension == "csv" else xlsx_bytes(table.title, header, rows)
        return attachment(content, f"{table_name}-{round_.programme_year}.{extension}")


async def _long_table(
    request: Request[User, Any, Any], db: AsyncSession, round_id: UUID, name: str
) -> Template:
    """Every school's or employer's figures for the round, a page at a time."""
    round_ = await round_queries.get_round(db, round_id)
    report: RoundReport = await round_report(db, round_, Scope())
    rows = report.schools if name == "schools" else report.employers
    paging = page_from_request(request)
    return Template(
        template_name=f"matching/reports/{name}.html",
        context={
            "round": round_,
            "rows": rows[paging.offset : paging.offset + paging.limit],
            "page": Page.of(paging, len(rows), request),
        },
    )
