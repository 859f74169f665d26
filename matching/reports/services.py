"""The programme at a glance: one round's figures, as a coordinator, a school or an employer may see them.

A coordinator sees the whole programme; a school the same figures for its own pupils; an employer
its own placements' fill and confirmations. Every figure is a count of current outcomes (a pupil's
newest published result), so a reallocated pupil counts once, where they are now.

Once a round's pupil data is erased (see `matching.retention`), its figures come from the
anonymous snapshot taken just before, so earlier rounds stay comparable year on year.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NamedTuple
from uuid import UUID

from sqlalchemy import ColumnElement, bindparam, case, exists, func, select, true, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.types import NullType

from employers.inputs import PATHWAYS
from employers.models import Employer, Placement, PlacementStatus, WorkMode
from matching.models import Attendance, ChoiceEntry, FollowUp, Outcome, Reply, holds_place, offer_status
from placements.accounts.models import Role, User
from placements.geo import haversine_km
from programme.models import Round
from schools.models import Pupil, School
from schools.queries import has_current_consent

# Travel bands in km: (upper bound, label); the last band has no upper bound.
TRAVEL_BANDS = ((5.0, "Under 5 km"), (10.0, "5 to 10 km"), (20.0, "10 to 20 km"), (40.0, "20 to 40 km"))
FAR = "40 km or more"
UNLISTED = "Another suitable placement"
# Why a listed choice was not eligible, as the solver's explanations put it.
INELIGIBLE = ("too far", "wrong year group", "no shared week", "forbidden")


@dataclass(frozen=True)
class Scope:
    """Whose figures: the whole programme, one school's pupils or one employer's placements."""

    school_id: UUID | None = None
    employer_id: UUID | None = None

    @classmethod
    def of(cls, user: User) -> Scope:
        if user.role is Role.SCHOOL_STAFF:
            return cls(school_id=user.school_id or UUID(int=0))
        if user.role is Role.EMPLOYER_USER:
            return cls(employer_id=user.employer_id or UUID(int=0))
        return cls()

    @property
    def programme(self) -> bool:
        return self.kind == "programme"

    @property
    def kind(self) -> str:
        """Which of the report's statements serve this scope: see `_statement`."""
        if self.school_id is not None:
            return "school"
        return "employer" if self.employer_id is not None else "programme"

    def values(self, round_id: UUID) -> dict[str, Any]:
        """The values of the report's statements' parameters; a statement takes those it names."""
        return {"round_id": round_id, "school_id": self.school_id, "employer_id": self.employer_id}


def _statement(build: Callable[[str], Any]) -> Callable[[str], Any]:
    """A report statement built once for each kind of scope, its values bound when it runs: built
    afresh, a report's five statements cost more CPU than the database spent answering them."""
    return cache(build)


async def _rows(db: AsyncSession, statement: Callable[[str], Any], round_id: UUID, scope: Scope) -> Any:
    """The rows of a report statement for the round and scope. They are plain columns, read on the
    session's connection past the ORM, which would only add its own work to each (for a
    5,000-pupil round's outcomes, more than SQLite's)."""
    return await (await db.connection()).execute(statement(scope.kind), scope.values(round_id))


def _outcomes_of(kind: str) -> ColumnElement[bool]:
    """SQL: the outcomes (joined with their pupil and placement) a scope of this kind sees."""
    if kind == "school":
        return Pupil.school_id == bindparam("school_id")
    if kind == "employer":
        return Placement.employer_id == bindparam("employer_id")
    return true()


@dataclass
class Headline:
    target: int
    taking_part: int = 0
    placed: int = 0
    agreed: int = 0
    unplaced: int = 0
    published: bool = False


@dataclass
class Fill:
    """Places offered against places taken, for one employer, pathway or placement."""

    name: str
    places: int = 0
    offered: int = 0
    agreed: int = 0
    employer: str = ""  # a placement's employer

    @property
    def rate(self) -> float | None:
        return self.offered / self.places if self.places else None

    @property
    def chart_row(self) -> tuple[str, float | None, int]:
        return self.name, self.rate, self.places


@dataclass
class SchoolFigures:
    name: str
    registered: int = 0
    consenting: int = 0
    with_choices: int = 0
    placed: int = 0
    agreed: int = 0
    has_advisor: bool = False

    @property
    def flags(self) -> list[str]:
        missing = ((not self.has_advisor, "No digital advisor"), (not self.registered, "No pupils"))
        return [text for absent, text in missing if absent]


@dataclass
class Group:
    """Priority pupils or the others: how many took part, how many were placed, and how well."""

    name: str
    taking_part: int = 0
    placed: int = 0
    rank_total: int = 0
    ranked: int = 0

    @property
    def rate(self) -> float | None:
        return self.placed / self.taking_part if self.taking_part else None

    @property
    def mean_rank(self) -> float | None:
        return self.rank_total / self.ranked if self.ranked else None

    @property
    def chart_row(self) -> tuple[str, float | None, int]:
        return self.name, self.rate, self.taking_part


@dataclass
class FollowUpFigures:
    agreed: int = 0
    completed: int = 0
    not_completed: int = 0
    feedback: int = 0
    would_host_again: int = 0
    days_recorded: int = 0
    days_attended: int = 0

    @property
    def completion_rate(self) -> float | None:
        return self.completed / self.agreed if self.agreed else None

    @property
    def feedback_rate(self) -> float | None:
        return self.feedback / self.agreed if self.agreed else None

    @property
    def attendance_rate(self) -> float | None:
        return self.days_attended / self.days_recorded if self.days_recorded else None


@dataclass
class RoundReport:
    round_name: str
    programme_year: int
    headline: Headline
    ranks: list[tuple[str, int]] = field(default_factory=list)
    unplaced_reasons: list[tuple[str, int]] = field(default_factory=list)
    employers: list[Fill] = field(default_factory=list)
    pathways: list[Fill] = field(default_factory=list)
    placements: list[Fill] = field(default_factory=list)
    schools: list[SchoolFigures] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    travel: list[tuple[str, int]] = field(default_factory=list)
    mean_travel_km: float | None = None
    follow_up: FollowUpFigures = field(default_factory=FollowUpFigures)
    # Counts other domains add (REPORT_SECTIONS): (caption, [(label, pupils)]).
    sections: list[tuple[str, list[tuple[str, int]]]] = field(default_factory=list)
    # True when the figures come from the snapshot kept after the round's pupil data was erased.
    erased: bool = False

    def snapshot(self) -> dict[str, Any]:
        """The report as plain JSON: every figure is a count of organisations' or anonymous pupils."""
        return dataclasses.asdict(self)

    @classmethod
    def from_snapshot(cls, data: dict[str, Any]) -> RoundReport:
        return cls(
            round_name=data["round_name"],
            programme_year=data["programme_year"],
            headline=Headline(**data["headline"]),
            ranks=[(label, n) for label, n in data["ranks"]],
            unplaced_reasons=[(label, n) for label, n in data["unplaced_reasons"]],
            employers=[Fill(**row) for row in data["employers"]],
            pathways=[Fill(**row) for row in data["pathways"]],
            placements=[Fill(**row) for row in data["placements"]],
            schools=[SchoolFigures(**row) for row in data["schools"]],
            groups=[Group(**row) for row in data["groups"]],
            travel=[(label, n) for label, n in data["travel"]],
            mean_travel_km=data["mean_travel_km"],
            follow_up=FollowUpFigures(**data["follow_up"]),
            sections=[
                (caption, [(label, n) for label, n in rows]) for caption, rows in data.get("sections", [])
            ],
            erased=True,
        )


class _Fact(NamedTuple):
    """What the report needs of one current outcome (no names). A tuple: a report of a large
    programme makes one for each of thousands of pupils."""

    rank: int | None
    placement_id: object | None  # ids as the driver gives them (see _raw)
    unplaced_reason: str | None  # None while the offer holds its place
    holds_place: bool
    agreed: bool
    school_id: object
    priority: bool
    travel_km: float | None
    completed: bool | None
    feedback: bool
    would_host_again: bool | None


# A domain above matching adds its own counts to every round's report (the families domain: review
# requests), kept in the snapshot with the rest: a caption and rows of (label, pupils), or None when
# the scope should not see them.
ReportSection = Callable[[AsyncSession, Round, Scope], Awaitable[tuple[str, list[tuple[str, int]]] | None]]
REPORT_SECTIONS: list[ReportSection] = []


def report_section(section: ReportSection) -> ReportSection:
    REPORT_SECTIONS.append(section)
    return section


async def round_report(db: AsyncSession, round_: Round, scope: Scope) -> RoundReport:
    """The round's figures for `scope` (from the snapshot once its pupil data has been erased)."""
    if round_.pupil_data_erased_on is not None and round_.aggregates:
        report = RoundReport.from_snapshot(round_.aggregates)
        # Only the programme's own figures outlive the pupil data; a school or employer sees nothing.
        return (
            report
            if scope.programme
            else RoundReport(round_.name, round_.programme_year, Headline(0), erased=True)
        )
    facts = await _facts(db, round_.id, scope)
    report = RoundReport(
        round_name=round_.name,
        programme_year=round_.programme_year,
        headline=Headline(target=round_.target if scope.programme else 0),
    )
    taking_part = await _taking_part(db, round_.id, scope)
    _fill_headline(report.headline, facts, sum(taking_part.values()))
    report.ranks = _ranks(facts, round_.max_choices)
    report.unplaced_reasons = _unplaced_reasons(facts)
    report.groups = _groups(facts, taking_part)
    report.travel, report.mean_travel_km = _travel(facts)
    report.follow_up = await _follow_up(db, round_.id, scope, facts)
    if scope.school_id is None:
        fills = await _fills(db, round_.id, scope, facts)
        report.placements, report.employers, report.pathways = fills
    if scope.employer_id is None:
        report.schools = await _schools(db, round_.id, scope, facts)
    for section in REPORT_SECTIONS:
        if (figures := await section(db, round_, scope)) is not None:
            report.sections.append(figures)
    return report


def _raw(id_column: InstrumentedAttribute[Any]) -> ColumnElement[Any]:
    """An id as the database driver gives it, not made a UUID: the report only matches ids with
    ids read the same way, and on SQLite making UUIDs of a 5,000-pupil round's 12,000 ids was the
    largest single cost of reading its rows."""
    return type_coerce(id_column, NullType()).label(None)


@_statement
def _facts_statement(kind: str) -> Any:
    return (
        select(
            Outcome.rank,
            _raw(Outcome.placement_id),
            Outcome.explanation,
            Outcome.employer_reply,
            Outcome.school_reply,
            Outcome.withdrawn_by,
            _raw(Pupil.school_id),
            Pupil.pupil_premium | Pupil.looked_after | Pupil.send,
            func.coalesce(Pupil.lat, School.lat),
            func.coalesce(Pupil.lon, School.lon),
            Placement.work_mode,
            Placement.lat,
            Placement.lon,
            FollowUp.completed,
            FollowUp.employer_feedback.is_not(None),
            FollowUp.would_host_again,
        )
        .join(Pupil, Pupil.id == Outcome.pupil_id)
        .join(School, School.id == Pupil.school_id)
        .outerjoin(Placement, Placement.id == Outcome.placement_id)
        .outerjoin(FollowUp, FollowUp.outcome_id == Outcome.id)
        .where(Outcome.round_id == bindparam("round_id"), Outcome.current.is_(True), _outcomes_of(kind))
    )


async def _facts(db: AsyncSession, round_id: UUID, scope: Scope) -> list[_Fact]:
    facts = []
    for row in await _rows(db, _facts_statement, round_id, scope):
        rank, placement_id, explanation, employer_reply, school_reply, withdrawn_by = row[:6]
        school_id, priority, plat, plon, mode, qlat, qlon, completed, feedback, again = row[6:]
        replies = (placement_id, employer_reply, school_reply, withdrawn_by)
        holds = holds_place(*replies)
        travel = None
        if placement_id is not None and mode is not WorkMode.REMOTE and None not in (plat, plon, qlat, qlon):
            travel = haversine_km(plat, plon, qlat, qlon)
        facts.append(
            _Fact(
                rank=rank,
                placement_id=placement_id,
                unplaced_reason=None if holds else unplaced_reason(offer_status(*replies), explanation),
                holds_place=holds,
                agreed=holds and employer_reply is Reply.YES and school_reply is Reply.YES,
                school_id=school_id,
                priority=bool(priority),
                travel_km=travel,
                completed=completed,
                feedback=bool(feedback),
                would_host_again=again,
            )
        )
    return facts


@_statement
def _taking_part_statement(kind: str) -> Any:
    priority = Pupil.pupil_premium | Pupil.looked_after | Pupil.send
    query = (
        select(priority, func.count())
        .join(ChoiceEntry, ChoiceEntry.pupil_id == Pupil.id)
        .where(ChoiceEntry.round_id == bindparam("round_id"))
        .group_by(priority)
    )
    return query.where(Pupil.school_id == bindparam("school_id")) if kind == "school" else query


async def _taking_part(db: AsyncSession, round_id: UUID, scope: Scope) -> dict[bool, int]:
    """Pupils entered for the round, by priority (employers see only their offers, so none)."""
    if scope.employer_id is not None:
        return {}
    return {bool(p): n for p, n in await _rows(db, _taking_part_statement, round_id, scope)}


def _fill_headline(headline: Headline, facts: list[_Fact], taking_part: int) -> None:
    headline.taking_part = taking_part
    headline.published = bool(facts)
    headline.placed = sum(f.holds_place for f in facts)
    headline.agreed = sum(f.agreed for f in facts)
    headline.unplaced = sum(not f.holds_place for f in facts)


def _ranks(facts: list[_Fact], max_choices: int) -> list[tuple[str, int]]:
    counts = Counter(f.rank for f in facts if f.holds_place)
    top = max([max_choices, *(r for r in counts if r is not None)])
    return [(f"Choice {r}", counts.get(r, 0)) for r in range(1, top + 1)] + [(UNLISTED, counts.get(None, 0))]


def unplaced_reason(status: str, explanation: str) -> str:
    """Why a pupil holds no place, in a few words: the offer's fate, or the solver's reason."""
    if status != "Unplaced":
        return status
    detail = explanation.removeprefix("unplaced: ")
    if detail.startswith("no eligible choice"):
        found = [why for why in INELIGIBLE if why in detail]
        return "No eligible choice" + (f": {', '.join(found)}" if found else "")
    return detail[:1].upper() + detail[1:].split(" (")[0]


def _unplaced_reasons(facts: list[_Fact]) -> list[tuple[str, int]]:
    counts = Counter(f.unplaced_reason for f in facts if not f.holds_place)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _groups(facts: list[_Fact], taking_part: dict[bool, int]) -> list[Group]:
    groups = {True: Group("Priority pupils"), False: Group("Other pupils")}
    for priority, n in taking_part.items():
        groups[priority].taking_part = n
    for f in facts:
        if f.holds_place:
            group = groups[f.priority]
            group.placed += 1
            if f.rank is not None:
                group.rank_total += f.rank
                group.ranked += 1
    return [groups[True], groups[False]]


def _travel(facts: list[_Fact]) -> tuple[list[tuple[str, int]], float | None]:
    distances = [f.travel_km for f in facts if f.holds_place and f.travel_km is not None]
    counts = Counter(_band(km) for km in distances)
    labels = [label for _, label in TRAVEL_BANDS] + [FAR]
    mean = round(sum(distances) / len(distances), 1) if distances else None
    return [(label, counts.get(label, 0)) for label in labels], mean


def _band(km: float) -> str:
    return next((label for bound, label in TRAVEL_BANDS if km < bound), FAR)


@_statement
def _attendance_statement(kind: str) -> Any:
    return (
        select(func.count(), func.coalesce(func.sum(case((Attendance.attended, 1), else_=0)), 0))
        .select_from(Attendance)
        .join(Outcome, Outcome.id == Attendance.outcome_id)
        .join(Pupil, Pupil.id == Outcome.pupil_id)
        .join(Placement, Placement.id == Outcome.placement_id)
        .where(Outcome.round_id == bindparam("round_id"), Outcome.current.is_(True), _outcomes_of(kind))
    )


async def _follow_up(db: AsyncSession, round_id: UUID, scope: Scope, facts: list[_Fact]) -> FollowUpFigures:
    agreed = [f for f in facts if f.agreed]
    figures = FollowUpFigures(
        agreed=len(agreed),
        completed=sum(f.completed is True for f in agreed),
        not_completed=sum(f.completed is False for f in agreed),
        feedback=sum(f.feedback for f in agreed),
        would_host_again=sum(f.would_host_again is True for f in agreed),
    )
    if not facts:
        return figures  # nothing published in the scope, so no attendance either
    recorded, attended = (await _rows(db, _attendance_statement, round_id, scope)).one()
    figures.days_recorded, figures.days_attended = int(recorded), int(attended)
    return figures


@_statement
def _fills_statement(kind: str) -> Any:
    query = (
        select(_raw(Placement.id), Placement.title, Placement.pathway, Placement.capacity)
        .add_columns(_raw(Employer.id), Employer.name)
        .join(Employer, Employer.id == Placement.employer_id)
        .where(Placement.round_id == bindparam("round_id"), Placement.status == PlacementStatus.PUBLISHED)
        .order_by(Employer.name, Placement.title, Placement.id)
    )
    return query.where(Placement.employer_id == bindparam("employer_id")) if kind == "employer" else query


async def _fills(
    db: AsyncSession, round_id: UUID, scope: Scope, facts: list[_Fact]
) -> tuple[list[Fill], list[Fill], list[Fill]]:
    """Fill of each placement, employer and pathway: published places against offers holding them."""
    offered = Counter(f.placement_id for f in facts if f.holds_place)
    agreed = Counter(f.placement_id for f in facts if f.agreed)
    placements: list[Fill] = []
    employers: dict[object, Fill] = {}
    pathways: dict[str, Fill] = defaultdict(lambda: Fill(""))
    rows = await _rows(db, _fills_statement, round_id, scope)
    for placement_id, title, pathway, capacity, employer_id, employer_name in rows:
        row = Fill(title, capacity, offered.get(placement_id, 0), agreed.get(placement_id, 0), employer_name)
        placements.append(row)
        for total in (employers.setdefault(employer_id, Fill(employer_name)), pathways[pathway]):
            total.places += row.places
            total.offered += row.offered
            total.agreed += row.agreed
    labels = dict(PATHWAYS)
    for name, total in pathways.items():
        total.name = labels.get(name, name)
    return placements, list(employers.values()), sorted(pathways.values(), key=lambda fill: fill.name)


@_statement
def _schools_statement(kind: str) -> Any:
    consent = case((has_current_consent(), 1), else_=0)
    # A school's own view counts its own pupils only, not the programme's.
    own = [Pupil.school_id == bindparam("school_id")] if kind == "school" else []
    registered = (
        select(Pupil.school_id, func.count().label("pupils"), func.sum(consent).label("consenting"))
        .where(*own)
        .group_by(Pupil.school_id)
        .subquery()
    )
    entered = (
        select(Pupil.school_id, func.count().label("pupils"))
        .join(ChoiceEntry, ChoiceEntry.pupil_id == Pupil.id)
        .where(ChoiceEntry.round_id == bindparam("round_id"), *own)
        .group_by(Pupil.school_id)
        .subquery()
    )
    advisor = exists().where(
        User.school_id == School.id, User.is_digital_advisor.is_(True), User.is_active.is_(True)
    )
    query = (
        select(
            _raw(School.id),
            School.name,
            registered.c.pupils,
            registered.c.consenting,
            entered.c.pupils,
            advisor,
        )
        .outerjoin(registered, registered.c.school_id == School.id)
        .outerjoin(entered, entered.c.school_id == School.id)
        .order_by(School.name, School.id)
    )
    return query.where(School.id == bindparam("school_id")) if kind == "school" else query


async def _schools(db: AsyncSession, round_id: UUID, scope: Scope, facts: list[_Fact]) -> list[SchoolFigures]:
    """Pupils registered, consenting, entered and placed, for every school (or the one school)."""
    schools = {
        sid: SchoolFigures(
            name, int(pupils or 0), int(consenting or 0), int(with_choices or 0), has_advisor=advised
        )
        for sid, name, pupils, consenting, with_choices, advised in await _rows(
            db, _schools_statement, round_id, scope
        )
    }
    for f in facts:
        if f.school_id in schools:
            schools[f.school_id].placed += f.holds_place
            schools[f.school_id].agreed += f.agreed
    return list(schools.values())


@dataclass(frozen=True)
class YearFigures:
    """One round's headline, for the year-on-year table."""

    programme_year: int
    round_name: str
    headline: Headline
    priority_rate: float | None
    other_rate: float | None
    completion_rate: float | None

    @classmethod
    def of(cls, report: RoundReport) -> YearFigures:
        priority, other = report.groups or [Group(""), Group("")]
        return cls(
            programme_year=report.programme_year,
            round_name=report.round_name,
            headline=report.headline,
            priority_rate=priority.rate,
            other_rate=other.rate,
            completion_rate=report.follow_up.completion_rate,
        )

    @property
    def chart_row(self) -> tuple[str, int]:
        return str(self.programme_year), self.headline.placed
