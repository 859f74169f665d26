"""Offer reminders also go by text message to the school's digital advisors, once a day for all of
the school's waiting offers, through GOV.UK Notify."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from matching.offers.services import offer_reminders
from placements.accounts.models import Role
from placements.clock import today
from placements.jobs.registry import JobContext
from placements.notifications.models import Channel, OutboxMessage
from tests.matching.published import publish_choices
from tests.support import make_user, run_queued_jobs


async def test_a_schools_digital_advisor_is_texted_once_about_its_waiting_offers(
    client, db, engine, scenario, notify
):
    s = await scenario(capacities=(1, 2))
    advisor = s.school_staff[0]
    advisor.is_digital_advisor, advisor.phone = True, "07700 900123"
    await db.commit()
    # A landline cannot take a text; another school's advisor has no offer waiting.
    await make_user(
        db, Role.SCHOOL_STAFF, school_id=s.schools[0].id, is_digital_advisor=True, phone="01772 123456"
    )
    await make_user(
        db, Role.SCHOOL_STAFF, school_id=s.schools[1].id, is_digital_advisor=True, phone="07700 900456"
    )
    first, second = s.pupils[0][:2]
    outcomes = await publish_choices(db, s, {first: [s.placements[0]], second: [s.placements[1]]})
    for outcome in outcomes.values():
        outcome.respond_by = today() + timedelta(days=2)
    await db.commit()

    # The job itself, as the daily scheduler runs it, twice the same day: one text. (The clock is
    # not moved: a moved clock upsets a Redis worker; the schedule's once-a-day has its own tests.)
    context = JobContext(
        job_id=uuid4(), arguments={}, sessionmaker=async_sessionmaker(engine, expire_on_commit=False)
    )
    for _ in range(2):
        await offer_reminders(context)
    await run_queued_jobs()
    await db.commit()

    [text] = list(await db.scalars(select(OutboxMessage).where(OutboxMessage.channel == Channel.SMS)))
    assert text.to_address == "+447700900123"
    assert text.body == (
        "2 placement offers are waiting for your school's answer, due within 3 days: http://testserver.local/outcomes"
    )
    [sent] = [sent for sent in notify.sent if sent.kind == "sms"]
    assert sent.request["phone_number"] == "+447700900123" and sent.request["reference"] == str(text.id)
    assert sent.request["personalisation"] == {"body": text.body} and text.provider_id == sent.id
