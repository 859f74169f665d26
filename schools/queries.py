"""Reading schools, pupils, consent and pending imports, always as a particular user sees them.

School staff see only their own school; coordinators see every school. Anything another school
owns answers "not found" (NotFoundException → 404), never "forbidden", so ids reveal nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any
from uuid import UUID

from litestar.exceptions import NotFoundException
from sqlalchemy import ColumnElement, Select, exists, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from placements.accounts.models import Role, User
from placements.clock import now
from placements.web.counting import page_of
from schools.models import PUPILS_BY_NAME, Consent, Pupil, PupilImport, School


@cache  # the same SQL in every query that asks, so built once
def has_current_consent() -> ColumnElement[bool]:
    """SQL: the pupil has a consent record not withdrawn (withdrawal closes every open record).

    For the matching round: `select(Pupil).where(has_current_consent())`.
    """
    return exists().where(Consent.pupil_id == Pupil.id, Consent.withdrawn_on.is_(None))


async def pupils_with_current_consent(
    db: AsyncSession, school_ids: Sequence[UUID] | None = None
) -> list[Pupil]:
    """The pupils eligible for matching (only they may be matched), optionally of some schools."""
    query = select(Pupil).where(has_current_consent())
    if school_ids is not None:
        query = query.where(Pupil.school_id.in_(list(school_ids)))
    return list(await db.scalars(query.order_by(Pupil.school_id, Pupil.id)))


def _school_scope(user: User) -> ColumnElement[bool]:
    if user.role is Role.COORDINATOR:
        return true()
    if user.role is Role.SCHOOL_STAFF and user.school_id is not None:
        return School.id == user.school_id
    return false()


def _pupil_scope(user: User) -> ColumnElement[bool]:
    if user.role is Role.COORDINATOR:
        return true()
    if user.role is Role.SCHOOL_STAFF and user.school_id is not None:
        return Pupil.school_id == user.school_id
    return false()


def may_see_access_needs(user: User, pupil: Pupil) -> bool:
    """Access needs are for the pupil's own school (who arrange the placement), nobody else."""
    return user.role is Role.SCHOOL_STAFF and user.school_id == pupil.school_id


async def get_school(db: AsyncSession, *, user: User, school_id: UUID) -> School:
    school = await db.scalar(select(School).where(School.id == school_id, _school_scope(user)))
    if school is None:
        raise NotFoundException("No school with this id")
    return school


async def get_school_staff(db: AsyncSession, *, user: User, school: School, staff_id: UUID) -> User:
    await get_school(db, user=user, school_id=school.id)
    staff = await db.scalar(
        select(User).where(User.id == staff_id, User.school_id == school.id, User.role == Role.SCHOOL_STAFF)
    )
    if staff is None:
        raise NotFoundException("No member of this school's staff with this id")
    return staff


async def school_staff(db: AsyncSession, *, school: School) -> list[User]:
    return list(
        await db.scalars(
            select(User)
            .where(User.school_id == school.id, User.role == Role.SCHOOL_STAFF)
            .order_by(User.is_digital_advisor.desc(), User.name)
        )
    )


@dataclass(frozen=True)
class SchoolRow:
    school: School
    pupils: int
    advisors: list[str]

    @property
    def has_digital_advisor(self) -> bool:
        return bool(self.advisors)


async def list_schools(
    db: AsyncSession,
    *,
    user: User,
    search: str | None = None,
    without_advisor: bool = False,
    limit: int,
    offset: int,
) -> tuple[list[SchoolRow], int]:
    advisor = exists().where(
        User.school_id == School.id, User.is_digital_advisor.is_(True), User.is_active.is_(True)
    )
    # Each school's pupils counted in the same query, not in one more.
    pupils = select(func.count()).where(Pupil.school_id == School.id).scalar_subquery()
    query: Select[Any] = select(School, pupils).where(_school_scope(user))
    if search:
        text = search.strip()
        query = query.where(
            or_(
                *(
                    column.icontains(text, autoescape=True)
                    for column in (School.name, School.urn, School.town)
                )
            )
        )
    if without_advisor:
        query = query.where(~advisor)
    rows, total = await page_of(db, query, order_by=[School.name], limit=limit, offset=offset)
    ids = [school.id for school, _ in rows]
    advisors: dict[UUID, list[str]] = {}
    for school_id, name in await db.execute(
        select(User.school_id, User.name)
        .where(User.school_id.in_(ids), User.is_digital_advisor.is_(True), User.is_active.is_(True))
        .order_by(User.name)
    ):
        advisors.setdefault(school_id, []).append(name)
    listed = [SchoolRow(school, count, advisors.get(school.id, [])) for school, count in rows]
    return listed, total


async def get_pupil(db: AsyncSession, *, user: User, pupil_id: UUID) -> Pupil:
    pupil = await db.scalar(select(Pupil).where(Pupil.id == pupil_id, _pupil_scope(user)))
    if pupil is None:
        raise NotFoundException("No pupil with this id")
    return pupil


@dataclass(frozen=True)
class PupilRow:
    pupil: Pupil
    school_name: str
    has_consent: bool


async def list_pupils(
    db: AsyncSession,
    *,
    user: User,
    search: str | None = None,
    school_id: UUID | None = None,
    consent: str | None = None,
    limit: int,
    offset: int,
) -> tuple[list[PupilRow], int]:
    """A page of the pupils the user may see; `consent` is "missing" or "current" to filter."""
    consented = has_current_consent()
    query: Select[Any] = select(Pupil, School.name, consented.label("consented")).join(
        School, School.id == Pupil.school_id
    )
    query = query.where(_pupil_scope(user))
    if school_id is not None:
        query = query.where(Pupil.school_id == school_id)
    if search:
        text = search.strip()
        columns = (
            Pupil.first_name,
            Pupil.last_name,
            Pupil.reference,
            Pupil.first_name + " " + Pupil.last_name,
        )
        query = query.where(or_(*(column.icontains(text, autoescape=True) for column in columns)))
    if consent == "missing":
        query = query.where(~consented)
    elif consent == "current":
        query = query.where(consented)
    rows, total = await page_of(db, query, order_by=PUPILS_BY_NAME, limit=limit, offset=offset)
    return [PupilRow(pupil, name, bool(flag)) for pupil, name, flag in rows], total


async def count_missing_consent(db: AsyncSession, *, school_id: UUID) -> int:
    return (
        await db.scalar(
            select(func.count())
            .select_from(Pupil)
            .where(Pupil.school_id == school_id, ~has_current_consent())
        )
        or 0
    )


async def consent_history(db: AsyncSession, *, pupil: Pupil) -> list[Consent]:
    return list(
        await db.scalars(
            select(Consent)
            .where(Consent.pupil_id == pupil.id)
            .order_by(Consent.given_on.desc(), Consent.created_at.desc())
        )
    )


async def current_consent(db: AsyncSession, *, pupil: Pupil) -> Consent | None:
    return await db.scalar(
        select(Consent)
        .where(Consent.pupil_id == pupil.id, Consent.withdrawn_on.is_(None))
        .order_by(Consent.given_on.desc(), Consent.created_at.desc())
        .limit(1)
    )


async def get_pending_import(db: AsyncSession, *, user: User, import_id: UUID) -> PupilImport:
    """A pending import of the user's own school that has not expired (coordinators have none)."""
    found = None
    if user.role is Role.SCHOOL_STAFF and user.school_id is not None:
        found = await db.scalar(
            select(PupilImport).where(
                PupilImport.id == import_id,
                PupilImport.school_id == user.school_id,
                PupilImport.expires_at > now(),
            )
        )
    if found is None:
        raise NotFoundException(
            "No pending import with this id: it may have expired or been imported already"
        )
    return found


async def pupils_of_school(db: AsyncSession, *, school_id: UUID) -> list[Pupil]:
    """Every pupil of the school, by reference (the export a school downloads, edits and uploads)."""
    return list(await db.scalars(select(Pupil).where(Pupil.school_id == school_id).order_by(Pupil.reference)))
