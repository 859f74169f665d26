"""Each step tells the next person: publication sends each parent a link to the outcome, the last
week before preferences close reminds every parent who has not answered, once, and the last three
days tell schools and parents whose choices are missing, once."""

from __future__ import annotations

import re
from datetime import timedelta
from uuid import uuid4

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from families import pupil_services
from families.models import ParentLink
from families.notices import choice_reminders, consent_reminders
from families.services import email_link
from placements.accounts.models import Role
from placements.clock import now, today
from placements.jobs.registry import JobContext
from placements.jobs.schedule import start_daily_job
from placements.notifications.models import OutboxMessage
from programme.models import Stage
from tests.matching.conftest import scenario  # noqa: F401 - a fixture
from tests.matching.offers.test_api_offers import _published
from tests.support import (
    born,
    make_compliance,
    make_consent,
    make_employer,
    make_placement,
    make_pupil,
    make_round,
    make_user,
    run_queued_jobs,
    second_browser,
)


async def test_publishing_sends_each_parent_a_link_to_the_outcome(client, app, db, scenario):  # noqa: F811
    s = await scenario(capacities=(3, 3))
    pupil = s.pupils[0][0]
    pupil.parent_email = "lee.parent@example.com"
    await db.commit()
    await _published(db, s)
    message = await db.scalar(
        select(OutboxMessage).where(OutboxMessage.to_address == "lee.parent@example.com")
    )
    assert message is not None and "placement outcome" in message.subject
    path = re.search(r"(/parents/[\w-]+)", message.body).group(1)
    async with second_browser(app) as parent:
        await parent.submit(path, born(pupil))
        page = await parent.page(f"{path}/consent")
        assert "The outcome for" in page.text and "Ask for a review" in page.text
        # Consent given on paper can be withdrawn through this link too.
        assert "Withdraw your consent" in page.text
    others = await db.scalars(
        select(OutboxMessage.to_address).where(OutboxMessage.subject.like("%placement outcome"))
    )
    assert list(others) == ["lee.parent@example.com"]  # only parents the school holds an address for


async def test_parents_who_have_not_answered_are_reminded_once_in_the_last_week(client, db):
    await make_round(db, stage=Stage.PREFERENCES_OPEN, preferences_close_on=today() + timedelta(days=3))
    staff = await make_user(db, Role.SCHOOL_STAFF)
    early = await make_pupil(db, staff.school_id, parent_email="early@example.com")
    late = await make_pupil(db, staff.school_id, parent_email="late@example.com")
    for pupil in (early, late):
        await email_link(db, pupil=pupil, actor=staff, ip_address=None)
    await db.commit()
    await run_queued_jobs()  # the first emails are sent before the test writes again
    await db.execute(
        update(ParentLink)
        .where(ParentLink.pupil_id == early.id)
        .values(created_at=now() - timedelta(days=10))
    )
    await db.commit()
    for _ in range(2):  # a second run the same day sends nothing more
        await start_daily_job(db, consent_reminders.__name__)
        await db.commit()
        await run_queued_jobs()
    await db.commit()
    reminders = list(
        await db.scalars(select(OutboxMessage.to_address).where(OutboxMessage.subject.like("Reminder:%")))
    )
    assert reminders == ["early@example.com"]


async def test_three_days_before_choices_close_schools_and_parents_hear_once_whose_choices_are_missing(
    client, db, engine
):
    round_ = await make_round(
        db, stage=Stage.PREFERENCES_OPEN, preferences_close_on=today() + timedelta(days=5)
    )
    employer = await make_employer(db)
    await make_compliance(db, employer.id)
    placement = await make_placement(db, employer.id, round_.id)
    staff = await make_user(db, Role.SCHOOL_STAFF)
    done_school = await make_user(db, Role.SCHOOL_STAFF)
    chose = await make_pupil(db, staff.school_id, parent_email="chose@example.com")
    idle = await make_pupil(db, staff.school_id, parent_email="idle@example.com")
    locked = await make_pupil(db, done_school.school_id, parent_email="locked@example.com")
    await make_pupil(db, staff.school_id, parent_email="no.consent@example.com")
    for pupil in (chose, idle, locked):
        await make_consent(db, pupil.id)
    for pupil in (chose, locked):
        await pupil_services.save_own_choices(
            db, round_=round_, pupil=pupil, placement_ids=[placement.id], open_to_other=True, ip_address=None
        )
    await pupil_services.set_lock(
        db, round_=round_, pupil=locked, lock=True, actor=done_school, ip_address=None
    )
    await db.commit()
    await run_queued_jobs()  # the lock's email to the parent is sent before the test writes again

    # The job itself, run as the daily scheduler would on three days, by moving the closing date:
    # the schedule's own once-a-day is tested with the jobs, and a moved clock upsets a Redis worker.
    context = JobContext(
        job_id=uuid4(), arguments={}, sessionmaker=async_sessionmaker(engine, expire_on_commit=False)
    )

    async def reminded(days_left: int) -> dict[str, str]:
        round_.preferences_close_on = today() + timedelta(days=days_left)
        await db.commit()
        for _ in range(2):  # a second run the same day sends nothing more
            await choice_reminders(context)
        await run_queued_jobs()
        await db.commit()
        sent = await db.execute(
            select(OutboxMessage.to_address, OutboxMessage.body).where(
                OutboxMessage.subject.like("%choices close on%") | OutboxMessage.subject.like("%not chosen%")
            )
        )
        return dict(sent.all())

    assert await reminded(5) == {}  # five days before: not yet
    sent = await reminded(3)
    assert set(sent) == {staff.email, "idle@example.com"}
    assert "1 have not chosen any placements yet and 1 have choices you have not checked" in sent[staff.email]
    assert idle.first_name in sent["idle@example.com"] and "/pupil/sign-in" in sent["idle@example.com"]
    assert set(await reminded(2)) == {staff.email, "idle@example.com"}  # once a round, not once a day
