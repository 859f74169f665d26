"""Every log line names its request; a request's id is its proxy's X-Request-ID when safe, else a
new one, named in the response and carried into the jobs it queues; parents' link secrets never
reach a log line."""

from __future__ import annotations

import io
import json
import logging
import re

from sqlalchemy import select

from placements.accounts.models import Role
from placements.audit.models import AuditEntry
from placements.jobs.models import JobRecord
from placements.jobs.queue import submit
from placements.jobs.registry import JobContext, job
from placements.logs import REQUEST_ID, JsonLines, WithRequestId, logging_config
from tests.support import make_user, run_queued_jobs

NEW_ID = re.compile(r"[0-9a-f]{32}")


@job("test_note_request_id")
async def note_request_id(ctx: JobContext) -> None:
    from placements.audit.services import record

    async with ctx.sessionmaker() as db:
        await record(db, actor=None, action="test_request_id", record_id=REQUEST_ID.get())
        await db.commit()


async def test_a_request_id_is_kept_named_in_the_response_and_carried_into_its_jobs(client, db):
    user = await make_user(db, Role.SCHOOL_STAFF)
    await db.commit()
    kept = await client.get("/health", headers={"x-request-id": "proxy-7f3a.1"})
    assert kept.headers["x-request-id"] == "proxy-7f3a.1"
    for unsafe in ("two words", "x" * 65, "line\nbreak"):
        assert NEW_ID.fullmatch(
            (await client.get("/health", headers={"x-request-id": unsafe})).headers["x-request-id"]
        )
    assert NEW_ID.fullmatch((await client.get("/sign-in")).headers["x-request-id"])

    token = await client.csrf_token()
    sent = await client.post(
        "/password-reset",
        data={"_csrf_token": token, "email": user.email},
        headers={"x-request-id": "reset-42", "accept": "text/html"},
    )
    assert sent.status_code in (200, 303) and sent.headers["x-request-id"] == "reset-42"
    await run_queued_jobs()
    await db.commit()
    assert "reset-42" in set(await db.scalars(select(JobRecord.request_id)))


async def test_a_job_logs_under_the_request_that_queued_it_or_its_own_id(client, db):
    outside = REQUEST_ID.set("queued-by-request")
    try:
        from_request = await submit(db, "test_note_request_id")
    finally:
        REQUEST_ID.reset(outside)
    daily = await submit(db, "test_note_request_id")
    await db.commit()
    await run_queued_jobs()
    await db.commit()
    noted = set(await db.scalars(select(AuditEntry.record_id).where(AuditEntry.action == "test_request_id")))
    assert noted == {"queued-by-request", f"job-{daily.id.hex[:12]}"}
    assert from_request.request_id == "queued-by-request" and daily.request_id is None


def test_json_log_lines_carry_the_request_id_and_hide_parents_links():
    assert logging_config("json")["formatters"]["default"] == {"()": JsonLines}
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonLines())
    handler.addFilter(WithRequestId())
    logger = logging.getLogger("placements.test_logs")
    logger.addHandler(handler)
    logger.propagate = False
    token = REQUEST_ID.set("req-1")
    try:
        logger.warning('%s - "GET %s HTTP/1.1" %d', "10.0.0.1", "/parents/Sup3rSecretTok3n/consent", 200)
        try:
            raise ValueError("broken")
        except ValueError:
            logger.exception("job failed")
    finally:
        REQUEST_ID.reset(token)
        logger.removeHandler(handler)
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["request_id"] == "req-1" and first["level"] == "WARNING"
    assert first["message"] == '10.0.0.1 - "GET /parents/…/consent HTTP/1.1" 200'
    assert "Sup3rSecretTok3n" not in out.getvalue()
    assert second["message"] == "job failed" and "ValueError: broken" in second["exception"]
