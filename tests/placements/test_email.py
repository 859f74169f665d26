"""Email goes through the outbox and is sent over SMTP by a job, once."""

from __future__ import annotations

import dataclasses
import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from sqlalchemy import func, select

from placements.accounts.models import Role, User
from placements.notifications.headers import recipient, subject_line
from placements.notifications.models import OutboxMessage
from placements.notifications.services import queue_email, queue_text
from placements.settings import SmtpSettings, get_settings
from tests.support import make_user, run_queued_jobs


class Inbox(Message):
    def __init__(self) -> None:
        super().__init__()
        self.received: list[object] = []

    def handle_message(self, message: object) -> None:
        self.received.append(message)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(monkeypatch):
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    smtp = SmtpSettings(
        host="127.0.0.1", port=port, use_tls=False, sender="Placements <noreply@council.example>"
    )
    configured = dataclasses.replace(get_settings(), smtp=smtp)
    monkeypatch.setattr("placements.notifications.jobs.get_settings", lambda: configured)
    yield inbox
    controller.stop()


async def test_queued_email_is_sent_over_smtp_once(client, db, smtp_server):
    message = await queue_email(db, to="head@school.example", subject="Results are out", body="Hello")
    await db.commit()
    await run_queued_jobs()
    assert len(smtp_server.received) == 1
    sent = smtp_server.received[0]
    assert sent["To"] == "head@school.example" and sent["Subject"] == "Results are out"
    assert sent["From"] == "Placements <noreply@council.example>"
    await db.refresh(message)
    assert message.sent_at is not None and message.attempts == 1

    # A second delivery of the same job (arq delivers at least once) sends nothing more.
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from placements.jobs.models import JobRecord
    from placements.jobs.registry import JobContext
    from placements.notifications.jobs import send_email

    record = await db.scalar(select(JobRecord).where(JobRecord.name == "send_email"))
    await send_email(
        JobContext(
            job_id=record.id,
            arguments=record.arguments,
            sessionmaker=async_sessionmaker(db.bind, expire_on_commit=False),
        )
    )
    assert len(smtp_server.received) == 1


async def test_smtp_sends_the_emails_and_keeps_text_messages_in_the_outbox(client, db, smtp_server):
    text = await queue_text(db, to="07700 900123", body="Only GOV.UK Notify sends these")
    await queue_email(db, to="head@school.example", subject="Results are out", body="Hello")
    await db.commit()
    await run_queued_jobs()
    assert [sent["To"] for sent in smtp_server.received] == ["head@school.example"]
    await db.refresh(text)
    assert text.sent_at is None and text.attempts == 0


async def test_without_smtp_email_stays_in_the_outbox(client, db):
    await queue_email(db, to="someone@example.org", subject="Kept", body="Body")
    await db.commit()
    await run_queued_jobs()
    kept = await db.scalar(select(OutboxMessage).where(OutboxMessage.subject == "Kept"))
    assert kept is not None and kept.sent_at is None


@pytest.mark.parametrize(
    ("typed", "subject"),
    [
        ("Ribble\r\nBcc: everyone@example.org", "Ribble Bcc: everyone@example.org"),
        ("Tab\there\x00and\x1bthere\u2028too", "Tab here and there too"),
        ("x" * 300, "x" * 199 + "…"),
    ],
)
def test_no_line_break_or_control_character_reaches_a_subject(typed, subject):
    assert subject_line(typed) == subject


@pytest.mark.parametrize(
    "address", ["a@b.org\r\nBcc: c@d.org", "a@b.org, c@d.org", "Name <a@b.org>", "a\x00@b.org", "no-at-sign"]
)
def test_an_address_is_one_bare_address_or_refused(address):
    with pytest.raises(ValueError, match="not a single email address"):
        recipient(address)


async def test_every_email_goes_through_the_header_checks(client, db, smtp_server):
    await queue_email(db, to="someone@example.org", subject="New employer\r\nBcc: all@example.org", body="Hi")
    with pytest.raises(ValueError):
        await queue_email(db, to="someone@example.org\nBcc: all@example.org", subject="Hi", body="Hi")
    await db.commit()
    await run_queued_jobs()
    [sent] = smtp_server.received
    assert sent["Subject"] == "New employer Bcc: all@example.org" and sent["Bcc"] is None


@pytest.mark.parametrize(
    "address", ["a;b@example.org", "kim@example.org,", "<kim@example.org>", "a\u2028b@x.org"]
)
async def test_an_address_the_outbox_would_refuse_is_refused_where_it_is_typed(client, db, address):
    """The forms and the API accept exactly the addresses the outbox sends to: a 400 with a reason,
    never an invitation that fails when its email is queued."""
    await client.sign_in(await make_user(db, Role.COORDINATOR))
    body = {"email": address, "name": "New Person", "role": "coordinator"}
    refused = await client.api("POST", "/api/users", json=body)
    assert refused.status_code == 400, refused.text
    form = await client.submit(
        "/users/invite", {"email": address, "name": "New Person", "role": "coordinator"}
    )
    assert form.status_code == 400 and "correct format" in form.text
    assert await db.scalar(select(func.count()).select_from(User).where(User.name == "New Person")) == 0
