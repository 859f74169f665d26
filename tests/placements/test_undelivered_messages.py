"""The coordinators' list of messages that did not arrive: in production too, for coordinators only,
paged, and showing what people typed as text."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from placements.accounts.models import Role
from placements.audit.models import AuditEntry
from placements.clock import now
from placements.notifications.models import Channel, DeliveryStatus, OutboxMessage
from placements.settings import settings_from_env
from tests.support import make_user, run_queued_jobs


async def _message(db, subject: str, **fields: object) -> OutboxMessage:
    message = OutboxMessage(
        **{
            "to_address": "someone@example.org",
            "subject": subject,
            "body": "Hello",
            "created_at": now(),
            **fields,
        }
    )
    db.add(message)
    await db.commit()
    return message


async def test_coordinators_see_what_failed_or_is_stuck_and_nothing_that_arrived(client, db):
    long_ago = now() - timedelta(days=4)
    await _message(
        db,
        '<script>alert("subject")</script>',
        status=DeliveryStatus.REFUSED,
        status_at=now(),
        attempts=1,
        last_error="400 ValidationError: email_address <b>Not a valid email address</b>",
    )
    await _message(db, "Bounced", status=DeliveryStatus.PERMANENT_FAILURE, sent_at=now(), status_at=now())
    await _message(db, "Failing", attempts=2, last_error="GOV.UK Notify did not answer: 500 Exception")
    await _message(db, "Stuck", status=DeliveryStatus.SENDING, sent_at=long_ago, created_at=long_ago)
    await _message(
        db, "A text", channel=Channel.SMS, to_address="+447700900123", status=DeliveryStatus.TEMPORARY_FAILURE
    )
    await _message(db, "Arrived", status=DeliveryStatus.DELIVERED, sent_at=now(), status_at=now())
    await _message(db, "On its way", status=DeliveryStatus.SENDING, sent_at=now())
    await _message(db, "Waiting for its first try")
    await client.sign_in(await make_user(db, Role.COORDINATOR))

    home = await client.page("/")
    assert 'href="/undelivered-messages"' in home.text
    page = await client.page("/undelivered-messages")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    text = page.text
    assert "&lt;script&gt;alert(&#34;subject&#34;)&lt;/script&gt;" in text and "<script>alert" not in text
    assert "&lt;b&gt;Not a valid email address&lt;/b&gt;" in text
    for shown in ("Refused by Notify", "Bounced", "No such address or number", "Failing", "tried 2 times"):
        assert shown in text, shown
    assert "Stuck" in text and "Sending for more than 3 days" in text
    assert "Text to +447700900123" in text and "Inbox full or phone off" in text
    for hidden in ("Arrived", "On its way", "Waiting for its first try"):
        assert hidden not in text, hidden
    assert "Showing 1 to 5 of 5 messages" in text


async def test_the_list_is_paged_newest_first(client, db):
    start = now() - timedelta(hours=1)
    for n in range(30):
        await _message(
            db, f"Message {n:02d}", status=DeliveryStatus.REFUSED, created_at=start + timedelta(minutes=n)
        )
    await client.sign_in(await make_user(db, Role.COORDINATOR))
    first = (await client.page("/undelivered-messages")).text
    second = (await client.page("/undelivered-messages?page=2")).text
    assert "Showing 1 to 25 of 30 messages" in first and "Showing 26 to 30 of 30 messages" in second
    assert "Message 29" in first and "Message 05" in first and "Message 04" not in first
    assert "Message 04" in second and "Message 00" in second and "Message 29" not in second
    assert 'href="/undelivered-messages?page=2"' in first


@pytest.mark.parametrize("role", [Role.SCHOOL_STAFF, Role.EMPLOYER_USER])
async def test_nobody_but_coordinators_sees_the_list(client, db, role):
    await _message(db, "Private", status=DeliveryStatus.REFUSED)
    await client.sign_in(await make_user(db, role))
    page = await client.page("/undelivered-messages")
    assert page.status_code == 403 and "Private" not in page.text
    assert 'href="/undelivered-messages"' not in (await client.page("/")).text


async def test_signed_out_nobody_sees_the_list(client, db):
    await _message(db, "Private", status=DeliveryStatus.REFUSED)
    page = await client.page("/undelivered-messages")
    assert page.status_code in (302, 303, 401) and "Private" not in page.text


async def test_the_list_is_there_in_production(client, db, monkeypatch):
    await _message(db, "Bounced", status=DeliveryStatus.PERMANENT_FAILURE)
    await client.sign_in(await make_user(db, Role.COORDINATOR))
    production = settings_from_env({"PLACEMENTS_ENV": "production", "SECRET_KEY": "k" * 40})
    monkeypatch.setattr("placements.settings.get_settings", lambda: production)
    page = await client.page("/undelivered-messages")
    assert page.status_code == 200 and "Bounced" in page.text


async def test_the_api_lists_the_same_messages_for_coordinators_only(client, db):
    await _message(db, "Refused", status=DeliveryStatus.REFUSED, last_error="400 BadRequestError")
    await _message(db, "Arrived", status=DeliveryStatus.DELIVERED, sent_at=now())
    await client.sign_in(await make_user(db, Role.SCHOOL_STAFF))
    assert (await client.api("GET", "/api/undelivered-messages")).status_code == 403
    await client.sign_in(await make_user(db, Role.COORDINATOR))
    listed = (await client.api("GET", "/api/undelivered-messages?limit=10")).json()
    assert listed["total"] == 1 and listed["limit"] == 10
    (message,) = listed["items"]
    assert message["subject"] == "Refused" and message["status"] == "refused"
    assert message["channel"] == "email" and message["last_error"] == "400 BadRequestError"


async def test_a_message_that_failed_for_good_is_sent_again_after_confirming(client, db, notify):
    refused = await _message(
        db,
        "Results are out",
        status=DeliveryStatus.REFUSED,
        attempts=1,
        last_error="403 AuthError: Invalid token",
    )
    arrived = await _message(db, "Arrived", status=DeliveryStatus.DELIVERED, sent_at=now(), provider_id="x")
    coordinator = await make_user(db, Role.COORDINATOR)
    await client.sign_in(await make_user(db, Role.SCHOOL_STAFF))
    assert (await client.submit(f"/undelivered-messages/{refused.id}/send-again", {})).status_code == 403
    assert (await client.api("POST", f"/api/undelivered-messages/{refused.id}/send-again")).status_code == 403
    await client.sign_in(coordinator)

    listed = await client.page("/undelivered-messages")
    assert f"/undelivered-messages/{refused.id}/send-again" in listed.text
    confirm = await client.page(f"/undelivered-messages/{refused.id}/send-again")
    assert "Send this message again?" in confirm.text and "403 AuthError" in confirm.text
    sent = await client.submit(f"/undelivered-messages/{refused.id}/send-again", {})
    assert sent.status_code == 303
    await run_queued_jobs()
    await db.refresh(refused)
    assert refused.status is DeliveryStatus.CREATED and refused.provider_id and refused.last_error is None
    assert [s.request["reference"] for s in notify.sent] == [str(refused.id)]

    # Once on its way (or arrived) it is not sent again: the second click, and the API, are refused.
    again = await client.submit(f"/undelivered-messages/{refused.id}/send-again", {})
    assert again.status_code == 303 and "failed for good" in (await client.page("/undelivered-messages")).text
    api = await client.api("POST", f"/api/undelivered-messages/{arrived.id}/send-again")
    assert api.status_code == 409
    missing = "/api/undelivered-messages/00000000-0000-0000-0000-000000000000/send-again"
    assert (await client.api("POST", missing)).status_code == 404
    assert (await client.page(f"/undelivered-messages/{arrived.id}/send-again")).status_code == 200
    await run_queued_jobs()
    assert len(notify.sent) == 1
    await db.commit()
    audited = await db.scalars(select(AuditEntry).where(AuditEntry.action == "message_sent_again"))
    assert [(entry.actor_id, entry.record_id) for entry in audited] == [(coordinator.id, str(refused.id))]
