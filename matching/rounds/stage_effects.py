"""Who a step of the round's calendar touches, counted, so the coordinator confirms it knowing how many
people it affects (closing preferences with hundreds of pupils still to choose, closing the round
with offers unanswered)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from employers.models import Employer, EmployerStatus
from matching.models import ChoiceEntry, MatchRun, Outcome, Reply, RunStatus
from matching.rounds.services import matchable_placements
from placements.clock import today
from programme.models import Round, Stage
from schools.models import Pupil
from schools.queries import has_current_consent


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


async def _scalar(db: AsyncSession, query: Select[Any]) -> int:
    return await db.scalar(query) or 0


async def _consenting_pupils(db: AsyncSession) -> int:
    return await _scalar(db, select(func.count()).select_from(Pupil).where(has_current_consent()))


async def _pupils_without_choices(db: AsyncSession, round_: Round) -> int:
    entered = select(ChoiceEntry.id).where(
        ChoiceEntry.round_id == round_.id, ChoiceEntry.pupil_id == Pupil.id
    )
    return await _scalar(
        db,
        select(func.count()).select_from(Pupil).where(has_current_consent(), ~entered.exists()),
    )


def _current_offers(round_: Round) -> Select[Any]:
    return (
        select(func.count())
        .select_from(Outcome)
        .where(Outcome.round_id == round_.id, Outcome.current.is_(True))
    )


async def _unanswered_offers(db: AsyncSession, round_: Round) -> int:
    """Offers that still hold their place and wait for the school, the employer or both."""
    return await _scalar(
        db,
        _current_offers(round_).where(
            Outcome.placement_id.is_not(None),
            Outcome.withdrawn_by.is_(None),
            Outcome.employer_reply != Reply.NO,
            Outcome.school_reply != Reply.NO,
            (Outcome.employer_reply == Reply.PENDING) | (Outcome.school_reply == Reply.PENDING),
        ),
    )


async def _unplaced(db: AsyncSession, round_: Round) -> int:
    return await _scalar(db, _current_offers(round_).where(Outcome.placement_id.is_(None)))


async def _runs(db: AsyncSession, round_: Round, *statuses: RunStatus) -> int:
    return await _scalar(
        db,
        select(func.count())
        .select_from(MatchRun)
        .where(MatchRun.round_id == round_.id, MatchRun.status.in_(statuses)),
    )


async def consequences(db: AsyncSession, round_: Round, to: Stage) -> list[str]:
    """What moving `round_` on to `to` does to how many people, one sentence each."""
    if to is Stage.OPEN_FOR_PLACEMENTS:
        approved = await _scalar(
            db, select(func.count()).select_from(Employer).where(Employer.status == EmployerStatus.APPROVED)
        )
        return [
            f"{_count(approved, 'approved employer', 'approved employers')} can post placements "
            f"for {_count(len(round_.weeks), 'week', 'weeks')}."
        ]
    if to is Stage.PREFERENCES_OPEN:
        placements = await matchable_placements(db, round_.id)
        pupils = await _consenting_pupils(db)
        return [
            f"{_count(placements, 'placement is', 'placements are')} shown to schools.",
            f"{_count(pupils, 'pupil', 'pupils')} with a parent's consent can be given choices.",
        ]
    if to is Stage.PREFERENCES_CLOSED:
        missing = await _pupils_without_choices(db, round_)
        pupils = await _consenting_pupils(db)
        said = [
            f"{_count(pupils - missing, 'pupil has', 'pupils have')} choices entered, which can no "
            "longer be changed.",
            f"{_count(missing, 'pupil has', 'pupils have')} not chosen yet and will take no part in "
            "matching.",
        ]
        due = round_.preferences_close_on
        if due is not None and today() < due:
            days = (due - today()).days
            said.insert(
                0,
                f"Preferences are due to close on {due:%-d %B %Y}: this closes them "
                f"{_count(days, 'day', 'days')} early.",
            )
        return said
    if to is Stage.MATCHED:
        done = await _runs(db, round_, RunStatus.DONE)
        busy = await _runs(db, round_, RunStatus.QUEUED, RunStatus.RUNNING)
        said = [f"{_count(done, 'finished run is', 'finished runs are')} kept to compare and publish."]
        if busy:
            said.append(f"{_count(busy, 'run is', 'runs are')} still going and will finish as usual.")
        return said
    if to is Stage.REALLOCATION:
        unplaced = await _unplaced(db, round_)
        waiting = await _unanswered_offers(db, round_)
        return [
            f"{_count(unplaced, 'unplaced pupil', 'unplaced pupils')} can be matched again to freed places.",
            f"{_count(waiting, 'offer is', 'offers are')} still waiting for an answer and can still be "
            "answered.",
        ]
    if to is Stage.CLOSED:
        waiting = await _unanswered_offers(db, round_)
        return [
            f"{_count(waiting, 'offer is', 'offers are')} unanswered and will lapse: nobody can accept "
            "or decline them after the round closes."
        ]
    return []
