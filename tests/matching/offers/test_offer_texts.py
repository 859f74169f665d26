"""Offer reminders also go by text message to the school's digital advisors, once a day for all of
the school's waiting offers, through GOV.UK Notify."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import select

from placements.accounts.models import Role
from placements.jobs.schedule import start_daily_job
from placements.notifications.models import Channel, OutboxMessage
from tests.matching.published import publish_choices
from tests.support import make_user, run_queued_jobs


async def test_a_schools_digital_advisor_is_texted_once_about_its_waiting_offers(
    client, db, scenario, notify
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
    respond_by = outcomes[first.id].respond_by

    for _ in range(2):  # the same day twice: one text
        with time_machine.travel(respond_by - timedelta(days=2), tick=False):
            await start_daily_job(db, "offer_reminders")
            await db.commit()
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
