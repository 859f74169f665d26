"""Each step tells the next person without anyone remembering to: when outcomes are published each
parent the school holds an address for gets a link to read their child's, and a week before
preferences close every parent who has not answered is reminded."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from families import queries, services
from families.models import EMAILED
from matching.runs.publication import on_publication
from placements.clock import today
from placements.jobs.schedule import daily
from placements.notifications.services import public_url, queue_email
from programme.models import Round, Stage
from programme.queries import current_round
from schools.models import Pupil, School

if TYPE_CHECKING:
    from uuid import UUID

    from sqlalchemy.ext.asyncio import AsyncSession

    from placements.jobs.registry import JobContext

REMIND_BEFORE = timedelta(days=7)


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


@daily("consent_reminders", hour=8)
async def consent_reminders(ctx: JobContext) -> None:
    """In the last week before preferences close, one reminder to each parent whose emailed link is
    unanswered: safe to run twice, and after a missed day."""
    async with ctx.sessionmaker() as db:
        round_ = await current_round(db)
        if (
            round_ is None
            or round_.stage is not Stage.PREFERENCES_OPEN
            or round_.preferences_close_on is None
            or not today() <= round_.preferences_close_on <= today() + REMIND_BEFORE
        ):
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
