"""Every read of employers and placements, through functions that take the acting user.

Another organisation's ids are "not found" (404) for an employer user, never "forbidden".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from litestar.exceptions import NotFoundException
from sqlalchemy import String, cast, func, or_, select

from employers.compliance import eligible_clause
from employers.models import (
    Employer,
    EmployerCompliance,
    EmployerStatus,
    Placement,
    PlacementStatus,
    WorkMode,
)
from placements.accounts.models import Role, User
from placements.geo import EARTH_KM, haversine_km
from placements.web.counting import page_of
from schools.models import School

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


async def employer_for(db: AsyncSession, *, user: User, employer_id: UUID) -> Employer:
    """The organisation, if the user may see it: coordinators any, employer users only their own."""
    if user.role is Role.EMPLOYER_USER and user.employer_id != employer_id:
        raise NotFoundException("No employer has this id")
    if user.role is Role.SCHOOL_STAFF:
        raise NotFoundException("No employer has this id")
    employer = await db.get(Employer, employer_id)
    if employer is None:
        raise NotFoundException("No employer has this id")
    return employer


async def compliance_of(db: AsyncSession, employer: Employer) -> EmployerCompliance | None:
    return await db.scalar(select(EmployerCompliance).where(EmployerCompliance.employer_id == employer.id))


async def employers_page(
    db: AsyncSession, *, user: User, status: EmployerStatus | None, q: str | None, limit: int, offset: int
) -> tuple[list[tuple[Employer, EmployerCompliance | None]], int]:
    """Organisations with their compliance records: every one for coordinators, their own for employers."""
    where: list[Any] = []
    if user.role is Role.EMPLOYER_USER:
        where.append(Employer.id == user.employer_id)
    elif user.role is not Role.COORDINATOR:
        return [], 0
    if status is not None:
        where.append(Employer.status == status)
    if q:
        where.append(Employer.name.icontains(q, autoescape=True))
    query = (
        select(Employer, EmployerCompliance)
        .outerjoin(EmployerCompliance, EmployerCompliance.employer_id == Employer.id)
        .where(*where)
    )
    order = [Employer.created_at, Employer.name, Employer.id]
    rows, total = await page_of(db, query, order_by=order, limit=limit, offset=offset)
    return [(employer, compliance) for employer, compliance in rows], total


def visible_to_schools(today: date) -> list[Any]:
    """Conditions (on Placement joined to Employer and EmployerCompliance) for what schools may see."""
    return [Placement.status == PlacementStatus.PUBLISHED, eligible_clause(today)]


def _visible_select(today: date) -> Any:
    return (
        select(Placement)
        .join(Employer, Employer.id == Placement.employer_id)
        .outerjoin(EmployerCompliance, EmployerCompliance.employer_id == Employer.id)
        .where(*visible_to_schools(today))
    )


async def placement_for(
    db: AsyncSession, *, user: User, placement_id: UUID, today: date, for_change: bool = False
) -> Placement:
    """The placement, if the user may see it (or change it, with `for_change`)."""
    if user.role is Role.EMPLOYER_USER:
        query = select(Placement).where(
            Placement.id == placement_id, Placement.employer_id == user.employer_id
        )
    elif user.role is Role.COORDINATOR and not for_change:
        query = select(Placement).where(Placement.id == placement_id)
    elif user.role is Role.SCHOOL_STAFF and not for_change:
        query = _visible_select(today).where(Placement.id == placement_id)
    else:
        raise NotFoundException("No placement has this id")
    placement = await db.scalar(query)
    if placement is None:
        raise NotFoundException("No placement has this id")
    return placement


@dataclass(frozen=True)
class Filters:
    q: str | None = None
    pathway: str | None = None
    town: str | None = None
    within_km: float | None = None
    week: str | None = None
    year_group: int | None = None
    work_mode: WorkMode | None = None
    status: PlacementStatus | None = None
    employer_id: UUID | None = None


@dataclass
class Listed:
    placement: Placement
    employer_name: str
    distance_km: float | None


async def school_origin(db: AsyncSession, user: User) -> tuple[float, float] | None:
    if user.role is not Role.SCHOOL_STAFF or user.school_id is None:
        return None
    school = await db.get(School, user.school_id)
    if school is None or school.lat is None or school.lon is None:
        return None
    return school.lat, school.lon


def distance_km(origin: tuple[float, float] | None, placement: Placement) -> float | None:
    """How far the placement is from the school at `origin`; None when either has no coordinates."""
    if origin is None or placement.lat is None or placement.lon is None:
        return None
    return haversine_km(origin[0], origin[1], placement.lat, placement.lon)


def _json_list_has(column: Any, item: str) -> Any:
    """Whether a JSON list column holds `item` (a JSON literal), on SQLite and PostgreSQL alike."""
    text = func.replace(cast(column, String), " ", "")
    return or_(
        text.like(f"[{item},%"), text.like(f"%,{item},%"), text.like(f"%,{item}]"), text == f"[{item}]"
    )


async def placements_page(
    db: AsyncSession,
    *,
    user: User,
    origin: tuple[float, float] | None,
    round_id: UUID | None,
    filters: Filters,
    today: date,
    limit: int,
    offset: int,
) -> tuple[list[Listed], int]:
    """Placements of the round the user may see, filtered in SQL and paged.

    Employer users see their own (every status). School staff see the published placements of
    approved, eligible employers. Coordinators see those too, or any status when they filter by it.
    Distance from the school at `origin` (`school_origin`, school staff only) is a bounding box and
    a flat-earth distance in SQL, which at these scales agrees with the haversine distance shown
    beside each result to well under 1%.
    """
    query = select(Placement, Employer.name).join(Employer, Employer.id == Placement.employer_id)
    where: list[Any] = []
    if round_id is not None:
        where.append(Placement.round_id == round_id)
    if user.role is Role.EMPLOYER_USER:
        where.append(Placement.employer_id == user.employer_id)
        if filters.status is not None:
            where.append(Placement.status == filters.status)
    elif user.role is Role.COORDINATOR and (filters.status or filters.employer_id):
        if filters.status is not None:
            where.append(Placement.status == filters.status)
        if filters.employer_id is not None:
            where.append(Placement.employer_id == filters.employer_id)
    else:
        query = query.outerjoin(EmployerCompliance, EmployerCompliance.employer_id == Employer.id)
        where.extend(visible_to_schools(today))
    if filters.q:
        columns = (Placement.title, Placement.description, Placement.skills, Employer.name)
        where.append(or_(*(column.icontains(filters.q, autoescape=True) for column in columns)))
    if filters.pathway:
        where.append(Placement.pathway == filters.pathway)
    if filters.town:
        where.append(Placement.town.icontains(filters.town, autoescape=True))
    if filters.work_mode is not None:
        where.append(Placement.work_mode == filters.work_mode)
    if filters.week:
        where.append(_json_list_has(Placement.weeks, f'"{filters.week}"'))
    if filters.year_group is not None:
        where.append(_json_list_has(Placement.year_groups, str(filters.year_group)))
    order: list[Any] = [Placement.title, Placement.id]
    if origin is not None and filters.within_km:
        lat0, lon0 = origin
        km_per_lat = math.pi * EARTH_KM / 180
        km_per_lon = km_per_lat * math.cos(math.radians(lat0))
        dlat, dlon = filters.within_km / km_per_lat, filters.within_km / km_per_lon
        dy = (Placement.lat - lat0) * km_per_lat
        dx = (Placement.lon - lon0) * km_per_lon
        where.append(
            or_(
                Placement.work_mode == WorkMode.REMOTE,
                (Placement.lat.between(lat0 - dlat, lat0 + dlat))
                & (Placement.lon.between(lon0 - dlon, lon0 + dlon))
                & (dx * dx + dy * dy <= filters.within_km**2),
            )
        )
        order = [func.coalesce(dx * dx + dy * dy, 0.0), *order]
    rows, total = await page_of(db, query.where(*where), order_by=order, limit=limit, offset=offset)
    listed = [
        Listed(placement=placement, employer_name=name, distance_km=distance_km(origin, placement))
        for placement, name in rows
    ]
    return listed, total


async def earlier_placements(
    db: AsyncSession, *, user: User, current_round_id: UUID | None
) -> list[Placement]:
    """An employer user's placements of earlier rounds, newest first, to copy into this one."""
    if user.role is not Role.EMPLOYER_USER:
        return []
    query = select(Placement).where(Placement.employer_id == user.employer_id)
    if current_round_id is not None:
        query = query.where(Placement.round_id != current_round_id)
    return list(await db.scalars(query.order_by(Placement.created_at.desc(), Placement.title).limit(200)))


async def colleagues(db: AsyncSession, *, employer: Employer) -> list[User]:
    """The employer's users, by name."""
    return list(
        await db.scalars(select(User).where(User.employer_id == employer.id).order_by(User.name, User.email))
    )


async def employer_placements(
    db: AsyncSession, *, employer: Employer, round_id: UUID | None
) -> tuple[list[Listed], int]:
    """The employer's placements (in the round, when one is given), the first 50 by title, and how
    many are listed: the shape placements_page answers in."""
    query = select(Placement).where(Placement.employer_id == employer.id)
    if round_id is not None:
        query = query.where(Placement.round_id == round_id)
    placements = await db.scalars(query.order_by(Placement.title, Placement.id).limit(50))
    listed = [Listed(placement=p, employer_name=employer.name, distance_km=None) for p in placements]
    return listed, len(listed)
