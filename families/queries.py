"""Reading where each pupil's consent stands, as the school sees it; always of the user's own school."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, case, exists, func, select

from families.models import REFUSED, ChoiceLock, ParentLink, PupilCode
from matching.models import Preference
from placements.web.counting import page_of
from schools.models import PUPILS_BY_NAME, Consent, Pupil
from schools.queries import has_current_consent

if TYPE_CHECKING:
    from uuid import UUID

    from sqlalchemy.ext.asyncio import AsyncSession


class ConsentStatus(enum.StrEnum):
    NOT_SENT = "not_sent"
    SENT = "sent"
    OPENED = "opened"
    GIVEN = "given"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


# Joined on the pupil while not revoked: the pupil's live link (at most one), if any.
LIVE = ParentLink

# The furthest a pupil's consent has got: consent on record beats what the live link says.
STATUS = case(
    (has_current_consent(), ConsentStatus.GIVEN.value),
    (LIVE.answer == REFUSED, ConsentStatus.REFUSED.value),
    (exists().where(Consent.pupil_id == Pupil.id), ConsentStatus.WITHDRAWN.value),
    (LIVE.opened_at.is_not(None), ConsentStatus.OPENED.value),
    (LIVE.id.is_not(None), ConsentStatus.SENT.value),
    else_=ConsentStatus.NOT_SENT.value,
)


@dataclass(frozen=True)
class ConsentRow:
    pupil: Pupil
    status: ConsentStatus
    link: ParentLink | None


def _of_school(school_id: UUID) -> Any:
    return (
        select(Pupil, STATUS.label("status"), LIVE)
        .outerjoin(LIVE, and_(LIVE.pupil_id == Pupil.id, LIVE.revoked_at.is_(None)))
        .where(Pupil.school_id == school_id)
    )


async def consent_rows(
    db: AsyncSession, *, school_id: UUID, status: ConsentStatus | None, limit: int, offset: int
) -> tuple[list[ConsentRow], int]:
    """A page of the school's pupils with where their consent stands, in name order."""
    query = _of_school(school_id)
    if status is not None:
        query = query.where(status.value == STATUS)
    rows, total = await page_of(db, query, order_by=PUPILS_BY_NAME, limit=limit, offset=offset)
    return [ConsentRow(pupil, ConsentStatus(value), link) for pupil, value, link in rows], total


async def consent_row(db: AsyncSession, *, pupil: Pupil) -> ConsentRow:
    pupil_, value, link = (await db.execute(_of_school(pupil.school_id).where(Pupil.id == pupil.id))).one()
    return ConsentRow(pupil_, ConsentStatus(value), link)


# Whom each of the school's bulk actions reaches, among pupils without consent: parents with an
# email address never asked (or whose link was revoked), parents with an unanswered link, and
# parents without an email address never asked (a letter).
TO_EMAIL = (Pupil.parent_email.is_not(None), LIVE.id.is_(None))
TO_REMIND = (Pupil.parent_email.is_not(None), LIVE.id.is_not(None), LIVE.answer.is_(None))
TO_PRINT = (Pupil.parent_email.is_(None), LIVE.id.is_(None))


@dataclass(frozen=True)
class ConsentOverview:
    """How many of a school's pupils stand at each consent status, and whom each bulk action reaches."""

    by_status: dict[ConsentStatus, int]
    to_email: int
    to_remind: int
    to_print: int


async def consent_overview(db: AsyncSession, *, school_id: UUID) -> ConsentOverview:
    """All the figures in one query: pupils counted by status, each bulk action's among them."""
    reach = [func.count().filter(and_(*reached)) for reached in (TO_EMAIL, TO_REMIND, TO_PRINT)]
    counted = _of_school(school_id).with_only_columns(STATUS, func.count(), *reach).group_by(STATUS)
    by_status = dict.fromkeys(ConsentStatus, 0)
    to_email = to_remind = to_print = 0
    for value, pupils, emails, reminders, letters in (await db.execute(counted)).tuples():
        by_status[ConsentStatus(value)] = pupils
        if value != ConsentStatus.GIVEN.value:  # the actions reach pupils without consent only
            to_email, to_remind, to_print = to_email + emails, to_remind + reminders, to_print + letters
    return ConsentOverview(by_status, to_email, to_remind, to_print)


def waiting(school_id: UUID, reached: tuple[Any, ...]) -> Any:
    """The school's pupils without consent whom a bulk action (TO_EMAIL, …) reaches, in name order."""
    return (
        _of_school(school_id)
        .with_only_columns(Pupil)
        .where(~has_current_consent(), *reached)
        .order_by(*PUPILS_BY_NAME)
    )


def waiting_schools(reached: tuple[Any, ...]) -> Any:
    """The schools with pupils a bulk action (TO_EMAIL, …) reaches."""
    return (
        select(Pupil.school_id)
        .distinct()
        .outerjoin(LIVE, and_(LIVE.pupil_id == Pupil.id, LIVE.revoked_at.is_(None)))
        .where(~has_current_consent(), *reached)
    )


async def count_waiting(db: AsyncSession, *, school_id: UUID, reached: tuple[Any, ...]) -> int:
    return await db.scalar(select(func.count()).select_from(waiting(school_id, reached).subquery())) or 0


@dataclass(frozen=True)
class CodeRow:
    """A consenting pupil as the school's sign-in codes page shows them."""

    pupil: Pupil
    code: PupilCode | None
    locked: bool
    choices: int


async def code_rows(
    db: AsyncSession, *, school_id: UUID, round_id: UUID | None, limit: int, offset: int
) -> tuple[list[CodeRow], int]:
    """A page of the school's consenting pupils with their live code, lock and number of choices."""
    locked = exists().where(ChoiceLock.round_id == round_id, ChoiceLock.pupil_id == Pupil.id)
    chosen = (
        select(func.count())
        .where(Preference.round_id == round_id, Preference.pupil_id == Pupil.id)
        .scalar_subquery()
    )
    query = (
        select(Pupil, PupilCode, locked.label("locked"), chosen.label("chosen"))
        .outerjoin(PupilCode, and_(PupilCode.pupil_id == Pupil.id, PupilCode.revoked_at.is_(None)))
        .where(Pupil.school_id == school_id, has_current_consent())
    )
    rows, total = await page_of(db, query, order_by=PUPILS_BY_NAME, limit=limit, offset=offset)
    return [CodeRow(pupil, code, bool(lock), int(n)) for pupil, code, lock, n in rows], total
