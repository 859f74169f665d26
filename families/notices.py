"""Each step tells the next person without anyone remembering to: when outcomes are published each
parent the school holds an address for gets a link to read their child's; a week before
preferences close every parent who has not answered is reminded; three days before, each school is
told whose choices are missing or unlocked, and those pupils' parents that choices are closing."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import exists, func, select

from families import queries, services
from families.models import EMAILED, ChoiceLock
from matching.models import Preference
from matching.runs.publication import on_publication
from placements.accounts.models import Role, User
from placements.audit.models import AuditEntry
from placements.audit.services import record
from placements.clock import today
from placements.jobs.schedule import daily
from placements.notifications.services import addresses_of, public_url, queue_email
from programme.models import Round, Stage
from programme.queries import current_round
from schools.models import Pupil, School
from schools.queries import has_current_consent

if TYPE_CHECKING:
    from uuid import UUID

    from sqlalchemy.ext.asyncio import AsyncSession

    from placements.jobs.registry import JobContext

REMIND_BEFORE = timedelta(days=7)
CHOICES_REMIND_BEFORE = timedelta(days=3)
CHOICES_REMINDED = "choice_reminders_sent"


@on_publication
async def tell_parents(db: AsyncSession, round_: Round, pupil_ids: list[UUID]) -> None:
    """A new link for the parent of every pupil whose outcome was just published, to read it and why."""
    pupils = await db.scalars(
        select(Pupil).where(Pupil.id.in_(pupil_ids), Pupil.parent_email.is_not(None)).order_by(Pupil.id)
    )
    for pupil in list(pupils):
        _, secret = await services.issue_link(db, pupil=pupil, kind=EMAILED, actor=None, ip_address=None)
        link = public_url(f"/parents/{secret}")
        school = await db.get_one(School, pupil.school_id)
        assert pupil.parent_email is not None
        await queue_email(
            db,
            to=pupil.parent_email,
            subject=f"{round_.name}: {pupil.first_name}'s placement outcome",
            body=(
                f"Dear parent or carer,\n\nThe outcome of {round_.name} for {pupil.first_name} is ready. "
                f"Read it, why it was decided, and how to ask for a review:\n{link}\n\n"
                f"You will be asked for {pupil.first_name}'s date of birth first. "
                f"Questions about it go to {school.name}."
            ),
        )


async def _closing_within(db: AsyncSession, days: timedelta) -> Round | None:
    """The current round, if its preferences are open and close within `days` from today."""
    round_ = await current_round(db)
    if (
        round_ is None
        or round_.stage is not Stage.PREFERENCES_OPEN
        or round_.preferences_close_on is None
        or not today() <= round_.preferences_close_on <= today() + days
    ):
        return None
    return round_


@daily("consent_reminders", hour=8)
async def consent_reminders(ctx: JobContext) -> None:
    """In the last week before preferences close, one reminder to each parent whose emailed link is
    unanswered: safe to run twice, and after a missed day."""
    async with ctx.sessionmaker() as db:
        round_ = await _closing_within(db, REMIND_BEFORE)
        if round_ is None:
            return
        # Links sent before the last week get one reminder; a reminder's own link is newer than that.
        cutoff = datetime.combine(round_.preferences_close_on - REMIND_BEFORE, time(), tzinfo=UTC)
        schools = await db.scalars(
            queries.waiting_schools((*queries.TO_REMIND, queries.LIVE.created_at < cutoff))
        )
        for school_id in list(schools):
            await services.send_reminders(
                db, school_id=school_id, actor=None, ip_address=None, sent_before=cutoff
            )
        await db.commit()


@daily("choice_reminders", hour=8)
async def choice_reminders(ctx: JobContext) -> None:
    """In the last three days before preferences close, once a round (the audit log remembers): the
    staff of each school with consenting pupils who have no choices, or whose choices are not
    locked, are told how many; the parents of those without choices, where the school holds an
    address, that their child has not chosen yet."""
    async with ctx.sessionmaker() as db:
        round_ = await _closing_within(db, CHOICES_REMIND_BEFORE)
        if round_ is None or await db.scalar(
            select(AuditEntry.id).where(
                AuditEntry.action == CHOICES_REMINDED, AuditEntry.record_id == str(round_.id)
            )
        ):
            return
        await _remind_of_choices(db, round_)
        await record(db, actor=None, action=CHOICES_REMINDED, record_type="round", record_id=round_.id)
        await db.commit()


async def _remind_of_choices(db: AsyncSession, round_: Round) -> None:
    has_choices = exists().where(Preference.round_id == round_.id, Preference.pupil_id == Pupil.id)
    is_locked = exists().where(ChoiceLock.round_id == round_.id, ChoiceLock.pupil_id == Pupil.id)
    closes = f"{round_.preferences_close_on:%-d %B %Y}"
    counts = await db.execute(
        select(
            Pupil.school_id,
            func.count().filter(~has_choices),
            func.count().filter(has_choices, ~is_locked),
        )
        .where(has_current_consent())
        .group_by(Pupil.school_id)
        .order_by(Pupil.school_id)
    )
    for school_id, without, unlocked in list(counts):
        if not without and not unlocked:
            continue
        for address in await addresses_of(db, User.school_id == school_id, User.role == Role.SCHOOL_STAFF):
            await queue_email(
                db,
                to=address,
                subject=f"{round_.name}: choices close on {closes}",
                body=(
                    f"Choices for {round_.name} close on {closes}. Of your pupils taking part, "
                    f"{without} have not chosen any placements yet and {unlocked} have choices you "
                    f"have not checked and locked.\n\nSee them: {public_url('/pupil-codes')}"
                ),
            )
    pupils = await db.scalars(
        select(Pupil)
        .where(has_current_consent(), ~has_choices, Pupil.parent_email.is_not(None))
        .order_by(Pupil.id)
    )
    for pupil in list(pupils):
        assert pupil.parent_email is not None
        await queue_email(
            db,
            to=pupil.parent_email,
            subject=f"{round_.name}: {pupil.first_name} has not chosen a placement yet",
            body=(
                f"Dear parent or carer,\n\n{pupil.first_name} has not chosen any work placements "
                f"yet, and choices close on {closes}. {pupil.first_name} chooses at "
                f"{public_url('/pupil/sign-in')} with the code from school; ask the school if the "
                "code is lost."
            ),
        )
