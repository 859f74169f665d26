"""Outcomes as each person may see them: coordinators all, a school its pupils', an employer its own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from litestar.exceptions import NotFoundException
from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from employers.models import Employer, EmployerStatus, Placement
from matching.models import (
    Outcome,
    Reply,
    holds_place,
    offer_status,
)
from placements.accounts.models import Role, User
from placements.audit.trail import note_reads
from placements.web.counting import page_of
from schools.models import PUPILS_BY_NAME, Pupil, School


def _outcome_scope(user: User) -> ColumnElement[bool]:
    if user.role is Role.COORDINATOR:
        return true()
    if user.role is Role.SCHOOL_STAFF and user.school_id is not None:
        return Pupil.school_id == user.school_id
    if user.role is Role.EMPLOYER_USER and user.employer_id is not None:
        # A suspended or rejected organisation's users see no pupil from the moment of the decision.
        return (Placement.employer_id == user.employer_id) & (Employer.status == EmployerStatus.APPROVED)
    return false()


@dataclass(frozen=True)
class OutcomeRow:
    outcome: Outcome
    pupil: Pupil
    school_name: str
    placement: Placement | None
    employer_name: str | None


def _outcome_select() -> Any:
    return (
        select(Outcome, Pupil, School.name, Placement, Employer.name)
        .join(Pupil, Pupil.id == Outcome.pupil_id)
        .join(School, School.id == Pupil.school_id)
        .outerjoin(Placement, Placement.id == Outcome.placement_id)
        .outerjoin(Employer, Employer.id == Placement.employer_id)
    )


async def outcome_for(db: AsyncSession, *, user: User, outcome_id: UUID) -> OutcomeRow:
    row = (await db.execute(_outcome_select().where(Outcome.id == outcome_id, _outcome_scope(user)))).first()
    if row is None:
        raise NotFoundException("No outcome has this id")
    return OutcomeRow(*row)


async def outcomes(
    db: AsyncSession,
    *,
    user: User,
    round_id: UUID,
    limit: int,
    offset: int,
    status: str | None = None,
    current: bool = True,
) -> tuple[list[OutcomeRow], int]:
    """Current outcomes the user may see (employers: offers on their placements only), by pupil name."""
    query = _outcome_select().where(Outcome.round_id == round_id, _outcome_scope(user))
    if current:
        query = query.where(Outcome.current.is_(True))
    if user.role is Role.EMPLOYER_USER:
        query = query.where(Outcome.placement_id.is_not(None))
    if status == "unplaced":
        query = query.where(Outcome.placement_id.is_(None))
    elif status == "placed":
        query = query.where(Outcome.placement_id.is_not(None))
    order = [*PUPILS_BY_NAME, Outcome.created_at]
    rows, total = await page_of(db, query, order_by=order, limit=limit, offset=offset)
    return [OutcomeRow(*row) for row in rows], total


@dataclass(frozen=True)
class OutcomeLine:
    """One current outcome as a download lists it: plain values, no loaded objects."""

    reference: str
    first_name: str
    last_name: str
    school_name: str
    year_group: int
    placement_title: str | None
    employer_name: str | None
    rank: int | None
    status: str
    holds_place: bool
    explanation: str


async def outcome_lines(db: AsyncSession, *, user: User, round_id: UUID) -> list[OutcomeLine]:
    """Every current outcome the user may see (employers: offers on their placements), by pupil name."""
    query = (
        select(
            Pupil.id,
            Pupil.reference,
            Pupil.first_name,
            Pupil.last_name,
            School.name,
            Pupil.year_group,
            Placement.title,
            Employer.name,
            Outcome.rank,
            Outcome.placement_id,
            Outcome.employer_reply,
            Outcome.school_reply,
            Outcome.withdrawn_by,
            Outcome.explanation,
        )
        .join(Pupil, Pupil.id == Outcome.pupil_id)
        .join(School, School.id == Pupil.school_id)
        .outerjoin(Placement, Placement.id == Outcome.placement_id)
        .outerjoin(Employer, Employer.id == Placement.employer_id)
        .where(Outcome.round_id == round_id, Outcome.current.is_(True), _outcome_scope(user))
        .order_by(*PUPILS_BY_NAME)
    )
    if user.role is Role.EMPLOYER_USER:
        query = query.where(Outcome.placement_id.is_not(None))
    lines, pupil_ids = [], []
    for (
        pupil_id,
        *person,
        rank,
        placement_id,
        employer_reply,
        school_reply,
        withdrawn_by,
        explanation,
    ) in await db.execute(query):
        replies = (placement_id, employer_reply, school_reply, withdrawn_by)
        lines.append(OutcomeLine(*person, rank, offer_status(*replies), holds_place(*replies), explanation))
        pupil_ids.append(pupil_id)
    note_reads(db, "pupil", pupil_ids)
    return lines


async def outcome_history(
    db: AsyncSession, *, user: User, pupil_id: UUID, round_id: UUID
) -> list[OutcomeRow]:
    rows = await db.execute(
        _outcome_select()
        .where(Outcome.round_id == round_id, Outcome.pupil_id == pupil_id, _outcome_scope(user))
        .order_by(Outcome.created_at)
    )
    return [OutcomeRow(*row) for row in rows]


def in_placement_weeks(placement: Placement, day: date) -> bool:
    """Whether `day` falls in one of the placement's ISO weeks (when the emergency contact is shown)."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}" in (placement.weeks or [])


def _emergency_contact(pupil: Pupil) -> str:
    relationship = (
        f" ({pupil.emergency_contact_relationship})" if pupil.emergency_contact_relationship else ""
    )
    phone = f", {pupil.emergency_contact_phone}" if pupil.emergency_contact_phone else ""
    return f"{pupil.emergency_contact_name or 'Not given'}{relationship}{phone}"


def employer_details(row: OutcomeRow, day: date) -> tuple[str | None, str | None]:
    """(access needs, emergency contact) an employer may see of a matched pupil, on one match's page:
    access needs once the school has accepted the offer, the emergency contact only on the days of
    the placement itself. None where it may not."""
    outcome, pupil, placement = row.outcome, row.pupil, row.placement
    if placement is None or not outcome.holds_place or outcome.school_reply is not Reply.YES:
        return None, None
    contact = _emergency_contact(pupil) if in_placement_weeks(placement, day) else None
    return pupil.access_needs or "None recorded", contact
