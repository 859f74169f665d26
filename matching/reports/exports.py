"""The tables behind the reports as downloads (CSV or XLSX), and the anonymised open-data table.

Each table says who may download it; every download is scoped like the pages (a school gets its own
pupils, an employer its own placements and first names only) and is audited by the page that serves it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from matching.offers import queries as offer_queries
from matching.reports.services import RoundReport, Scope, round_report, unplaced_reason
from placements.accounts.models import Role, User
from programme.models import Round

# Counts from 1 to this are too small to publish: a reader could tell who they are.
SMALL = 4
SUPPRESSED = "[c]"

Rows = list[list[Any]]
Sheet = tuple[list[str], Rows]


@dataclass(frozen=True)
class Table:
    """A download: either figures of the round's report, or a line per pupil's outcome."""

    title: str
    roles: frozenset[Role]
    of_report: Callable[[RoundReport], Sheet] | None = None
    of_outcomes: Callable[[AsyncSession, Round, User], Awaitable[Sheet]] | None = None

    async def build(self, db: AsyncSession, round_: Round, user: User) -> Sheet:
        if self.of_outcomes is not None:
            return await self.of_outcomes(db, round_, user)
        assert self.of_report is not None
        return self.of_report(await round_report(db, round_, Scope.of(user)))


def _percent(rate: float | None) -> str:
    return "" if rate is None else f"{rate:.0%}"


def _placements(report: RoundReport) -> Sheet:
    header = ["placement", "employer", "places", "offered", "agreed", "fill rate"]
    rows = [[f.name, f.employer, f.places, f.offered, f.agreed, _percent(f.rate)] for f in report.placements]
    return header, rows


def _employers(report: RoundReport) -> Sheet:
    header = ["employer", "places", "offered", "agreed", "fill rate"]
    return header, [[f.name, f.places, f.offered, f.agreed, _percent(f.rate)] for f in report.employers]


def _schools(report: RoundReport) -> Sheet:
    header = [
        "school",
        "pupils registered",
        "with consent",
        "with choices",
        "placed",
        "agreed",
        "digital advisor",
    ]
    rows = [
        [
            s.name,
            s.registered,
            s.consenting,
            s.with_choices,
            s.placed,
            s.agreed,
            "yes" if s.has_advisor else "no",
        ]
        for s in report.schools
    ]
    return header, rows


PUPIL = ["reference", "first name", "last name", "school", "year group"]


def _pupil(line: offer_queries.OutcomeLine) -> list[Any]:
    return [line.reference, line.first_name, line.last_name, line.school_name, line.year_group]


async def _outcomes(db: AsyncSession, round_: Round, user: User) -> Sheet:
    lines = await offer_queries.outcome_lines(db, user=user, round_id=round_.id)
    if user.role is Role.EMPLOYER_USER:
        # An employer knows a matched pupil by first name, school and year group only.
        header = ["first name", "school", "year group", "placement", "status"]
        return header, [
            [x.first_name, x.school_name, x.year_group, x.placement_title, x.status] for x in lines
        ]
    return [*PUPIL, "placement", "employer", "choice", "status"], [
        [
            *_pupil(x),
            x.placement_title,
            x.employer_name,
            x.rank or ("other" if x.placement_title else ""),
            x.status,
        ]
        for x in lines
    ]


async def _unplaced(db: AsyncSession, round_: Round, user: User) -> Sheet:
    lines = await offer_queries.outcome_lines(db, user=user, round_id=round_.id)
    return [*PUPIL, "reason", "explanation"], [
        [*_pupil(x), unplaced_reason(x.status, x.explanation), x.explanation]
        for x in lines
        if not x.holds_place
    ]


def _open_data(report: RoundReport) -> Sheet:
    return ["measure", "category", "count"], open_data_rows(report)


def open_data_rows(report: RoundReport) -> Rows:
    """Counts a council could publish: no names, and small counts suppressed (see `suppress`)."""
    headline = report.headline
    groups: list[tuple[str, list[tuple[str, int]]]] = [
        (
            "Pupils",
            [
                ("Taking part", headline.taking_part),
                ("Placed", headline.placed),
                ("Placement agreed", headline.agreed),
                ("Unplaced", headline.unplaced),
            ],
        ),
        ("Placed pupils by choice", report.ranks),
        ("Unplaced pupils by reason", report.unplaced_reasons),
        ("Placed pupils by pathway", [(f.name, f.offered) for f in report.pathways]),
        ("Places by pathway", [(f.name, f.places) for f in report.pathways]),
        ("Pupils taking part by group", [(g.name, g.taking_part) for g in report.groups]),
        ("Placed pupils by group", [(g.name, g.placed) for g in report.groups]),
        ("Placed pupils by travel distance", report.travel),
        ("Placed pupils by school", [(s.name, s.placed) for s in report.schools]),
        (
            "Agreed placements followed up",
            [
                ("Completed", report.follow_up.completed),
                ("Not completed", report.follow_up.not_completed),
                ("Employer feedback given", report.follow_up.feedback),
                ("Employer would host again", report.follow_up.would_host_again),
            ],
        ),
    ]
    return [[measure, category, value] for measure, counts in groups for category, value in suppress(counts)]


def suppress(counts: list[tuple[str, int]]) -> list[tuple[str, int | str]]:
    """Counts from 1 to SMALL become "[c]". If exactly one count of a group is suppressed, the next
    smallest non-zero count is too, so the hidden one cannot be worked out from the others."""
    small = {i for i, (_, n) in enumerate(counts) if 0 < n <= SMALL}
    if len(small) == 1:
        rest = sorted((n, i) for i, (_, n) in enumerate(counts) if n > 0 and i not in small)
        if rest:
            small.add(rest[0][1])
    return [(label, SUPPRESSED if i in small else n) for i, (label, n) in enumerate(counts)]


COORDINATOR = frozenset({Role.COORDINATOR})
TABLES: dict[str, Table] = {
    "placements": Table(
        "Placements", frozenset({Role.COORDINATOR, Role.EMPLOYER_USER}), of_report=_placements
    ),
    "employers": Table("Employers", COORDINATOR, of_report=_employers),
    "schools": Table(
        "Pupils per school", frozenset({Role.COORDINATOR, Role.SCHOOL_STAFF}), of_report=_schools
    ),
    "outcomes": Table("Outcomes", frozenset(Role), of_outcomes=_outcomes),
    "unplaced": Table(
        "Unplaced pupils", frozenset({Role.COORDINATOR, Role.SCHOOL_STAFF}), of_outcomes=_unplaced
    ),
    "open-data": Table("Open data", COORDINATOR, of_report=_open_data),
}
# The tables that name pupils, whose downloads reveal personal data.
PERSONAL = frozenset({"outcomes", "unplaced"})
