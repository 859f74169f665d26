"""GOV.UK Notify as the way messages leave the service: sent through a stand-in that speaks Notify's
API and checks its tokens, refused messages failed for good, outages tried again, delivery reports
recorded, and the coordinators' list of what did not arrive."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime
from uuid import uuid4

import httpx
import jwt
import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from placements.accounts.models import Role
from placements.clock import now
from placements.jobs.models import JobRecord, JobStatus
from placements.jobs.registry import JobContext
from placements.jobs.runner import run_job
from placements.jobs.schedule import arq_cron_jobs, daily_jobs, start_daily_job
from placements.notifications.jobs import send_email
from placements.notifications.models import Channel, DeliveryStatus, OutboxMessage
from placements.notifications.phones import uk_mobile
from placements.notifications.services import queue_email, queue_text
from placements.settings import JobSettings, NotifySettings, get_settings
from tests.support import make_user, run_queued_jobs


async def _sent_again(db, message: OutboxMessage) -> None:
    """Deliver the message's job once more, as a queue delivering at least once may."""
    await send_email(
        JobContext(
            job_id=uuid4(),
            arguments={"message_id": str(message.id)},
            sessionmaker=async_sessionmaker(db.bind, expire_on_commit=False),
        )
    )


async def test_an_invitation_goes_through_notify_with_its_template_and_reference(client, db, notify):
    await client.sign_in(await make_user(db, Role.COORDINATOR))
    invited = await client.submit(
        "/users/invite", {"name": "New Coordinator", "email": "new@council.example", "role": "coordinator"}
    )
    assert invited.status_code == 303
    await run_queued_jobs()
    await db.commit()
    message = await db.scalar(select(OutboxMessage).where(OutboxMessage.to_address == "new@council.example"))
    [sent] = [s for s in notify.sent if s.request.get("email_address") == "new@council.example"]
    assert sent.kind == "email"
    assert sent.request["template_id"] == notify.email_template_id
    assert sent.request["personalisation"] == {"subject": message.subject, "body": message.body}
    assert "http://testserver.local/invitation/" in sent.request["personalisation"]["body"]
    assert sent.request["reference"] == str(message.id)
    assert message.provider_id == sent.id and message.status is DeliveryStatus.CREATED
    assert message.sent_at is not None and message.attempts == 1 and message.last_error is None

    await _sent_again(db, message)
    assert len(notify.sent) == 1


async def test_the_stand_in_refuses_a_token_notify_would_refuse(notify):
    """Its checks are real: a token is accepted only when signed by the key's secret, naming the
    service, and issued within 30 seconds."""

    def post(token: str | None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.post(
            f"{notify.base_url}/v2/notifications/email",
            json={"email_address": "a@example.org", "template_id": notify.email_template_id},
            headers=headers,
        )

    def token(**changes: object) -> str:
        claims = {"iss": notify.service_id, "iat": int(time.time())}
        key = str(changes.pop("key", notify.secret))
        return jwt.encode({**claims, **changes}, key, algorithm="HS256")

    refusals = {
        "no token": post(None),
        "another secret": post(token(key=str(uuid4()))),
        "another service": post(token(iss=str(uuid4()))),
        "an old token": post(token(iat=int(time.time()) - 120)),
        "not a token": post("not-a-jwt"),
    }
    for name, response in refusals.items():
        assert response.status_code == 403, name
        [error] = response.json()["errors"]
        assert response.json()["status_code"] == 403 and error["error"] == "AuthError", name
    assert "30 seconds" in refusals["an old token"].json()["errors"][0]["message"]
    assert notify.sent == []


async def test_a_key_notify_does_not_know_fails_the_message_for_good(client, db, notify, monkeypatch):
    wrong = dataclasses.replace(
        get_settings(),
        notify=NotifySettings(
            api_key=f"placements_test-{notify.service_id}-{uuid4()}",
            base_url=notify.base_url,
            email_template_id=notify.email_template_id,
        ),
    )
    monkeypatch.setattr("placements.notifications.jobs.get_settings", lambda: wrong)
    message = await queue_email(db, to="head@school.example", subject="Results are out", body="Hello")
    await db.commit()
    await run_queued_jobs()
    await db.refresh(message)
    assert message.status is DeliveryStatus.REFUSED and message.sent_at is None
    assert (message.last_error or "").startswith("403 AuthError: Invalid token")
    assert notify.sent == []


async def test_an_address_notify_refuses_is_failed_for_good_and_not_tried_again(client, db, notify):
    message = await queue_email(db, to="someone@localhost", subject="Hello", body="Hello")
    await db.commit()
    await run_queued_jobs()
    await db.refresh(message)
    assert message.status is DeliveryStatus.REFUSED and message.sent_at is None and message.attempts == 1
    assert "ValidationError" in (message.last_error or "")
    job = await db.scalar(
        select(JobRecord).where(JobRecord.arguments["message_id"].as_string() == str(message.id))
    )
    assert job.status is JobStatus.DONE
    assert notify.requests == 1

    await _sent_again(db, message)
    assert notify.requests == 1


async def test_notify_down_or_busy_is_waited_out_and_the_message_sent_once(client, db, notify, engine):
    message = OutboxMessage(
        to_address="head@school.example", subject="Results", body="Hello", created_at=now()
    )
    db.add(message)
    await db.flush()
    # Recorded without the queue, so each try below runs exactly when the test says.
    record = JobRecord(
        name="send_email",
        arguments={"message_id": str(message.id)},
        created_at=now(),
        due_at=now(),
        status=JobStatus.QUEUED,
    )
    db.add(record)
    await db.commit()
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    notify.fail_next(500, 429)

    for status_code in (500, 429):
        ran = await run_job(record.id, sessions, JobSettings())
        assert ran.status is JobStatus.QUEUED and ran.retry_in is not None
        await db.commit()
        await db.refresh(message)
        assert message.sent_at is None and message.status is None
        assert (message.last_error or "").startswith(f"GOV.UK Notify did not answer: {status_code}")

    ran = await run_job(record.id, sessions, JobSettings())
    assert ran.status is JobStatus.DONE
    await db.commit()
    await db.refresh(message)
    assert message.sent_at is not None and message.attempts == 3 and message.last_error is None
    assert [s.request["reference"] for s in notify.sent] == [str(message.id)]


async def test_the_hourly_job_records_what_notify_says_became_of_each_message(client, db, notify):
    messages = {
        status: await queue_email(db, to=f"{status}@example.org", subject=f"To {status}", body="Hello")
        for status in ("delivered", "permanent-failure", "sending")
    }
    await db.commit()
    await run_queued_jobs()
    for status, message in messages.items():
        await db.refresh(message)
        notify.set_status(message.provider_id, status)

    await start_daily_job(db, "delivery_status")
    await db.commit()
    await run_queued_jobs()
    for status, message in messages.items():
        await db.refresh(message)
        assert message.status == status and message.status_at is not None

    # Final statuses are not asked about again.
    asked = notify.requests
    await _run_delivery_status_again(db)
    assert notify.requests == asked + 1


async def _run_delivery_status_again(db) -> None:
    from placements.notifications.jobs import delivery_status

    await delivery_status(
        JobContext(
            job_id=uuid4(), arguments={}, sessionmaker=async_sessionmaker(db.bind, expire_on_commit=False)
        )
    )


async def test_a_text_message_goes_to_a_mobile_through_notify(client, db, notify):
    message = await queue_text(db, to="07700 900123", body="An offer waits for your answer")
    await db.commit()
    await run_queued_jobs()
    await db.refresh(message)
    [sent] = notify.sent
    assert sent.kind == "sms" and message.channel is Channel.SMS
    assert sent.request == {
        "phone_number": "+447700900123",
        "template_id": notify.sms_template_id,
        "personalisation": {"body": "An offer waits for your answer"},
        "reference": str(message.id),
    }
    assert message.provider_id == sent.id and message.sent_at is not None


async def test_without_a_text_template_text_messages_stay_in_the_outbox(client, db, notify, monkeypatch):
    emails_only = dataclasses.replace(
        get_settings(),
        notify=NotifySettings(
            api_key=notify.api_key, base_url=notify.base_url, email_template_id=notify.email_template_id
        ),
    )
    monkeypatch.setattr("placements.notifications.jobs.get_settings", lambda: emails_only)
    message = await queue_text(db, to="+44 7700 900123", body="Hello")
    await db.commit()
    await run_queued_jobs()
    await db.refresh(message)
    assert message.sent_at is None and message.attempts == 0 and notify.requests == 0


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("07700 900123", "+447700900123"),
        ("+44 (0)7700-900123", "+447700900123"),
        ("0044 7700 900 123", "+447700900123"),
        ("447700900123", "+447700900123"),
    ],
)
def test_a_mobile_number_is_kept_in_one_form_however_it_is_typed(typed, kept):
    assert uk_mobile(typed) == kept


@pytest.mark.parametrize("number", ["01772 123456", "0800 123 4567", "+33 6 12 34 56 78", "0770090012", ""])
async def test_only_a_uk_mobile_is_sent_a_text(db, number):
    with pytest.raises(ValueError, match="not a UK mobile number"):
        await queue_text(db, to=number, body="Hello")


async def test_delivery_reports_are_asked_for_once_an_hour(client, db):
    schedule = next(d for d in daily_jobs() if d.name == "delivery_status")
    assert schedule.next_run(datetime(2027, 3, 1, 6, 30, tzinfo=UTC)) == datetime(
        2027, 3, 1, 7, 20, tzinfo=UTC
    )
    assert schedule.next_run(datetime(2027, 3, 1, 6, 10, tzinfo=UTC)) == datetime(
        2027, 3, 1, 6, 20, tzinfo=UTC
    )
    assert "daily:delivery_status" in {entry.name for entry in arq_cron_jobs()}
    with time_machine.travel(datetime(2027, 3, 1, 6, 20, tzinfo=UTC), tick=False) as clock:
        runs = [await start_daily_job(db, "delivery_status"), await start_daily_job(db, "delivery_status")]
        clock.move_to(datetime(2027, 3, 1, 7, 20, tzinfo=UTC))
        runs.append(await start_daily_job(db, "delivery_status"))
        await db.commit()
        await run_queued_jobs()
    assert runs[0].id == runs[1].id and runs[2].id != runs[0].id
