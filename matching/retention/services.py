"""How long a closed round's pupil data is kept, and erasing it once that time is up.

The coordinator sets the period in whole months on the round. On the day it ends, a daily job keeps
the round's anonymous figures (the report's snapshot), deletes everything the round holds about
pupils, and erases the pupils who no longer take part in anything the programme still holds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, and_, delete, exists, false, func, or_, select, true, update

from matching.errors import MatchingError
from matching.models import Adjustment, Attendance, ChoiceEntry, FollowUp, MatchRun, Outcome, Preference
from matching.reports.services import Scope, round_report
from matching.rounds.keeping import closed_on, erase_after
from matching.rounds.services import locked_round
from placements.audit.services import record
from placements.clock import today
from placements.jobs.registry import JobContext
from placements.jobs.schedule import daily
from programme.models import Round, Stage
from schools.models import Pupil
from schools.services import erase_pupils

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from placements.accounts.models import User

log = logging.getLogger(__name__)

# The stages of a round that schools may still enter registered pupils for.
GATHERING = (Stage.DRAFT, Stage.OPEN_FOR_PLACEMENTS, Stage.PREFERENCES_OPEN)


def is_due(round_: Round, day: date) -> bool:
    due = erase_after(round_)
    return round_.pupil_data_erased_on is None and due is not None and due <= day


@dataclass(frozen=True)
class Erasure:
    """What erasing a round's pupil data removed, in counts (the audit entry's detail)."""

    pupils_erased: int
    pupils_kept: int
    choice_entries: int
    preferences: int
    adjustments: int
    outcomes: int
    attendance_days: int
    follow_ups: int
    run_files_cleared: int


def _took_part(in_round: Callable[[Any], ColumnElement[bool]]) -> ColumnElement[bool]:
    """The pupil has a choice entry or an outcome in a round whose id passes `in_round`."""
    return or_(
        exists().where(ChoiceEntry.pupil_id == Pupil.id, in_round(ChoiceEntry.round_id)),
        exists().where(Outcome.pupil_id == Pupil.id, in_round(Outcome.round_id)),
    )


async def _pupils_to_erase(db: AsyncSession, round_: Round, closed: date) -> tuple[list[UUID], int]:
    """The pupils whose data goes with the round, and how many of its pupils are kept for another round.

    Those who took part in it, and those registered before it closed who took part in no round,
    unless a round is still gathering pupils (they may be meant for it; that round's own erasure
    takes them later). A pupil who also takes part in another round whose pupil data is still held
    is kept: that round may be open, within its period, or due but not yet erased (its figures are
    taken from its own pupils first); the pupil goes when the last of their rounds is erased.
    """
    this = _took_part(lambda column: column == round_.id)
    other = _took_part(lambda column: column != round_.id)
    registered_by = datetime.combine(closed + timedelta(days=1), time.min, tzinfo=UTC)
    gathering = await db.scalar(select(exists().where(Round.stage.in_(GATHERING))))
    never = (
        false() if gathering else and_(Pupil.created_at < registered_by, ~_took_part(lambda _column: true()))
    )
    erased = list(await db.scalars(select(Pupil.id).where(or_(and_(this, ~other), never)).order_by(Pupil.id)))
    kept = await db.scalar(select(func.count()).select_from(Pupil).where(this, other)) or 0
    return erased, kept


async def _count(db: AsyncSession, query: Select[tuple[int]]) -> int:
    return await db.scalar(query) or 0


async def _delete(db: AsyncSession, model: type, round_id: UUID) -> int:
    result = await db.execute(delete(model).where(model.round_id == round_id))  # type: ignore[attr-defined]
    return int(getattr(result, "rowcount", 0) or 0)


async def erase_round_pupil_data(
    db: AsyncSession, *, round_: Round, actor: User | None, ip_address: str | None = None
) -> Erasure | None:
    """Keep the closed round's anonymous figures, then delete its pupil data; None if already done.

    Deleted: its preferences, choice entries, adjustments (their reasons may name pupils), outcomes
    (with their attendance and follow-up) and its runs' instance and result files (pupil ids and
    coordinates); the runs' hashes and summaries stay, as they name no pupil. Then its pupils are
    erased (see `_pupils_to_erase`).
    """
    round_ = await locked_round(db, round_.id)
    if round_.pupil_data_erased_on is not None:
        return None
    closed = closed_on(round_)
    if closed is None:
        raise MatchingError("Only a closed round's pupil data can be erased")
    round_.aggregates = (await round_report(db, round_, Scope())).snapshot()
    pupil_ids, kept = await _pupils_to_erase(db, round_, closed)
    # Attendance and follow-up go with the outcomes by cascade: counted first, for the audit entry.
    attendance = await _count(
        db,
        select(func.count())
        .select_from(Attendance)
        .join(Outcome, Outcome.id == Attendance.outcome_id)
        .where(Outcome.round_id == round_.id),
    )
    follow_ups = await _count(
        db,
        select(func.count())
        .select_from(FollowUp)
        .join(Outcome, Outcome.id == FollowUp.outcome_id)
        .where(Outcome.round_id == round_.id),
    )
    counts = {
        "preferences": await _delete(db, Preference, round_.id),
        "choice_entries": await _delete(db, ChoiceEntry, round_.id),
        "adjustments": await _delete(db, Adjustment, round_.id),
        "outcomes": await _delete(db, Outcome, round_.id),
    }
    with_files = or_(MatchRun.instance.is_not(None), MatchRun.result.is_not(None))
    cleared = await db.execute(
        update(MatchRun)
        .where(MatchRun.round_id == round_.id, with_files)
        .values(instance=None, result=None)
        .execution_options(synchronize_session=False)
    )
    tombstones = await erase_pupils(db, pupil_ids=pupil_ids)
    erasure = Erasure(
        pupils_erased=len(tombstones),
        pupils_kept=kept,
        attendance_days=attendance,
        follow_ups=follow_ups,
        run_files_cleared=int(getattr(cleared, "rowcount", 0) or 0),
        **counts,
    )
    round_.pupil_data_erased_on = today()
    await record(
        db,
        actor=actor,
        action="round_pupil_data_erased",
        record_type="round",
        record_id=round_.id,
        ip_address=ip_address,
        **asdict(erasure),
    )
    await db.flush()
    return erasure


@daily("pupil_data_retention", hour=2)
async def pupil_data_retention(ctx: JobContext) -> None:
    """Erase the pupil data of every closed round past its period, one transaction per round.

    Safe to run twice (an erased round is skipped) and after a missed day (every round past its day
    is due). A round that fails is left for the next day's run without holding up the others.
    """
    day = today()
    async with ctx.sessionmaker() as db:
        closed = await db.scalars(
            select(Round)
            .where(Round.stage == Stage.CLOSED, Round.pupil_data_erased_on.is_(None))
            .order_by(Round.programme_year)
        )
        due = [round_.id for round_ in closed if is_due(round_, day)]
    failed = []
    for round_id in due:
        try:
            async with ctx.sessionmaker() as db:
                round_ = await db.get_one(Round, round_id)
                await erase_round_pupil_data(db, round_=round_, actor=None)
                await db.commit()
        except Exception:
            log.exception("could not erase the pupil data of round %s", round_id)
            failed.append(str(round_id))
    if failed:
        raise RuntimeError(f"the pupil data of rounds {', '.join(failed)} could not be erased")
