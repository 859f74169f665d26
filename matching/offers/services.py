"""Offers after publication: both sides answer before the deadline, and either may withdraw later.

A "no" or a withdrawal frees the place for reallocation. Reminders go out once, three days
before the deadline, to whichever side has not answered, and by text message to the school's digital
advisors whose phone is a mobile (sent where GOV.UK Notify is set up).
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from enum import StrEnum
from uuid import UUID

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from employers.compliance import long_date
from employers.models import Placement
from employers.services import places_held_by
from matching.errors import MatchingError
from matching.models import Outcome, Reply
from placements.accounts.models import Role, User
from placements.audit.services import record
from placements.clock import today
from placements.db import locked
from placements.jobs.registry import JobContext
from placements.jobs.schedule import daily
from placements.notifications.services import addresses_of, mobiles_of, public_url, queue_email, queue_text
from programme.models import Round, Stage
from schools.models import Pupil

REMIND_DAYS = 3
OPEN_STAGES = (Stage.PUBLISHED, Stage.REALLOCATION)


class Side(StrEnum):
    SCHOOL = "school"
    EMPLOYER = "employer"

    @classmethod
    def of(cls, user: User) -> Side:
        if user.role is Role.SCHOOL_STAFF:
            return cls.SCHOOL
        if user.role is Role.EMPLOYER_USER:
            return cls.EMPLOYER
        raise MatchingError("Only the school or the employer can answer an offer")


@places_held_by
async def offers_held(db: AsyncSession, placement_id: UUID) -> int:
    """How many current offers hold a place on the placement (a place offered is a place taken)."""
    return (
        await db.scalar(
            select(func.count())
            .select_from(Outcome)
            .where(
                Outcome.placement_id == placement_id,
                Outcome.current.is_(True),
                Outcome.withdrawn_by.is_(None),
                Outcome.school_reply != Reply.NO,
                Outcome.employer_reply != Reply.NO,
            )
        )
        or 0
    )


def _reply_attr(side: Side) -> str:
    return "school_reply" if side is Side.SCHOOL else "employer_reply"


async def _check_open(db: AsyncSession, outcome: Outcome) -> Outcome:
    """The offer, locked and re-read, if it can still be answered or withdrawn: of twenty answers
    sent at once, one passes and the others find it answered."""
    locked_outcome = await locked(db, Outcome, outcome.id)
    if locked_outcome is None:
        raise MatchingError("This offer no longer exists")
    outcome = locked_outcome
    round_ = await db.get_one(Round, outcome.round_id)
    if round_.stage not in OPEN_STAGES:
        raise MatchingError(f"Offers cannot change now: the round is {round_.stage.label.lower()}")
    if not outcome.current or outcome.placement_id is None:
        raise MatchingError("This is not a current offer")
    if not outcome.holds_place:
        raise MatchingError(f"This offer has ended: {outcome.status.lower()}")
    return outcome


async def _tell_other_side(db: AsyncSession, outcome: Outcome, side: Side, subject: str) -> None:
    """Email the other side and the coordinators; the message names no pupil."""
    placement = await db.get_one(Placement, outcome.placement_id)
    pupil = await db.get_one(Pupil, outcome.pupil_id)
    other = (
        User.employer_id == placement.employer_id
        if side is Side.SCHOOL
        else User.school_id == pupil.school_id
    )
    link = public_url("/matches" if side is Side.SCHOOL else "/outcomes")
    for address in await addresses_of(db, or_(other, User.role == Role.COORDINATOR)):
        await queue_email(
            db, to=address, subject=subject, body=f"Hello,\n\n{subject} ({placement.title}).\n\n{link}\n"
        )


async def answer(
    db: AsyncSession, *, outcome: Outcome, yes: bool, reason: str | None, actor: User, ip_address: str | None
) -> Outcome:
    """The actor's side says yes or no to the offer, once, before the deadline."""
    side = Side.of(actor)
    outcome = await _check_open(db, outcome)
    if getattr(outcome, _reply_attr(side)) is not Reply.PENDING:
        raise MatchingError("Your side has already answered this offer")
    if outcome.respond_by is not None and today() > outcome.respond_by:
        raise MatchingError(
            f"The deadline to answer was {long_date(outcome.respond_by)}: ask the programme coordinator"
        )
    if not yes and not (reason or "").strip():
        raise MatchingError("Say why the offer is declined", field="reason")
    setattr(outcome, _reply_attr(side), Reply.YES if yes else Reply.NO)
    setattr(outcome, f"{side.value}_replied_on", today())
    if not yes:
        outcome.reason = (reason or "").strip()
        await _tell_other_side(db, outcome, side, f"A placement offer was declined by the {side.value}")
    await record(
        db,
        actor=actor,
        action="offer_accepted" if yes else "offer_declined",
        record_type="outcome",
        record_id=outcome.id,
        ip_address=ip_address,
        side=side.value,
        reason=outcome.reason if not yes else None,
    )
    return outcome


async def withdraw(
    db: AsyncSession, *, outcome: Outcome, reason: str, actor: User, ip_address: str | None
) -> Outcome:
    """End an offer the actor's side had accepted; the place is freed for reallocation."""
    side = Side.of(actor)
    outcome = await _check_open(db, outcome)
    if getattr(outcome, _reply_attr(side)) is not Reply.YES:
        raise MatchingError("Only an offer your side has accepted can be withdrawn; otherwise decline it")
    if not reason.strip():
        raise MatchingError("Say why the placement is withdrawn", field="reason")
    outcome.withdrawn_by = side.value
    outcome.withdrawn_on = today()
    outcome.reason = reason.strip()
    await _tell_other_side(db, outcome, side, f"A placement was withdrawn by the {side.value}")
    await record(
        db,
        actor=actor,
        action="offer_withdrawn",
        record_type="outcome",
        record_id=outcome.id,
        ip_address=ip_address,
        side=side.value,
        reason=outcome.reason,
    )
    return outcome


@daily("offer_reminders", hour=7)
async def offer_reminders(ctx: JobContext) -> None:
    """Remind the side that has not answered, once per offer: safe to run twice, and after a missed day."""
    day = today()
    async with ctx.sessionmaker() as db:
        rows = await db.execute(
            select(Outcome, Placement, Pupil.school_id)
            .join(Placement, Placement.id == Outcome.placement_id)
            .join(Pupil, Pupil.id == Outcome.pupil_id)
            .join(Round, Round.id == Outcome.round_id)
            .where(
                Round.stage.in_(OPEN_STAGES),
                Outcome.current.is_(True),
                Outcome.reminded_on.is_(None),
                Outcome.withdrawn_by.is_(None),
                Outcome.respond_by.between(day, day + timedelta(days=REMIND_DAYS)),
                or_(Outcome.school_reply == Reply.PENDING, Outcome.employer_reply == Reply.PENDING),
                Outcome.school_reply != Reply.NO,
                Outcome.employer_reply != Reply.NO,
            )
        )
        schools_waiting: Counter[UUID] = Counter()
        for outcome, placement, school_id in rows:
            assert outcome.respond_by is not None
            waiting = []
            if outcome.school_reply is Reply.PENDING:
                waiting.append((User.school_id == school_id, public_url("/outcomes")))
                schools_waiting[school_id] += 1
            if outcome.employer_reply is Reply.PENDING:
                waiting.append((User.employer_id == placement.employer_id, public_url("/matches")))
            for condition, link in waiting:
                body = f"Hello,\n\nAn offer for {placement.title} is waiting for your answer.\n\n{link}\n"
                for address in await addresses_of(db, condition):
                    await queue_email(
                        db,
                        to=address,
                        subject=f"Please answer a placement offer by {long_date(outcome.respond_by)}",
                        body=body,
                    )
            outcome.reminded_on = day
            await record(
                db, actor=None, action="offer_reminder_sent", record_type="outcome", record_id=outcome.id
            )
        await _text_digital_advisors(db, schools_waiting)
        await db.commit()


async def _text_digital_advisors(db: AsyncSession, schools_waiting: Counter[UUID]) -> None:
    """One text message to each school's digital advisors, however many of its offers wait: the
    programme can always reach an advisor by phone, and one text a day is enough to send them to look."""
    for school_id, count in sorted(schools_waiting.items()):
        offers = "A placement offer is" if count == 1 else f"{count} placement offers are"
        link = public_url("/outcomes")
        text = f"{offers} waiting for your school's answer, due within {REMIND_DAYS} days: {link}"
        for number in await mobiles_of(db, User.school_id == school_id, User.is_digital_advisor.is_(True)):
            await queue_text(db, to=number, body=text)
