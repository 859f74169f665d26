"""What a request showed of pupils, and what it was refused: one audit entry per request.

Each request's database session carries a `ReadLog`. Pupil rows loaded as objects are noted
automatically (`audit_reads_of`, registered by the domain that owns them); a query that selects
pupils' columns instead notes their ids itself (`note_reads`). When the response starts, the
middleware writes one entry naming every pupil the request read, in the request's own
transaction: everything it loaded, so a page showing part of what it loaded names all of it,
which errs on the side of saying too much. A signed-in request refused with 403 or 404
(another school's or employer's ids among them) leaves one entry too, kept although the
request's other writes are undone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryContext

from placements.accounts.models import User
from placements.audit.services import entry_values, record, record_at_once

log = logging.getLogger(__name__)

READ_LOG = "placements.read_log"
REFUSED = frozenset({403, 404})
# A download may name a whole round's pupils: beyond this the entry keeps the count, not every id.
MOST_IDS = 5000


@dataclass
class ReadLog:
    ids: dict[str, set[str]] = field(default_factory=dict)

    def note(self, record_type: str, ids: Iterable[object]) -> None:
        self.ids.setdefault(record_type, set()).update(str(i) for i in ids)


def note_reads(db: AsyncSession, record_type: str, ids: Iterable[object]) -> None:
    """Note that this request showed these records (nothing outside a request: jobs read for no one)."""
    reads = db.sync_session.info.get(READ_LOG)
    if reads is not None:
        reads.note(record_type, ids)


def audit_reads_of(model: type[Any], record_type: str) -> None:
    """Note every `model` row a request loads as an object."""

    def loaded(target: Any, context: QueryContext) -> None:
        reads = context.session.info.get(READ_LOG)
        if reads is not None:
            reads.note(record_type, [target.id])

    event.listen(model, "load", loaded)


def audit_trail_middleware(alchemy: SQLAlchemyAsyncConfig) -> Callable[[ASGIApp], ASGIApp]:
    """Runs inside the transaction middleware, so the read entry is committed with the request."""
    return lambda app: _middleware(app, alchemy)


def _middleware(app: ASGIApp, alchemy: SQLAlchemyAsyncConfig) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        db = alchemy.provide_session(scope["app"].state, scope)
        reads = db.sync_session.info[READ_LOG] = ReadLog()

        async def send_with_audit(message: Message) -> None:
            if message["type"] == "http.response.start":
                user = scope.get("user")
                if isinstance(user, User):
                    await _write(db, scope, user, message["status"], reads)
            await send(message)

        await app(scope, receive, send_with_audit)

    return middleware


async def _write(db: AsyncSession, scope: Scope, user: User, status: int, reads: ReadLog) -> None:
    actor, ip = user, scope["client"][0] if scope.get("client") else None
    where = {"method": scope["method"], "path": scope["path"]}
    if status < 400:
        await record_at_once(
            db,
            [
                entry_values(
                    actor=actor,
                    action=f"{record_type}_data_read",
                    record_type=record_type,
                    record_id=next(iter(ids)) if len(ids) == 1 else None,
                    ip_address=ip,
                    count=len(ids),
                    ids=sorted(ids)[:MOST_IDS],
                    **where,
                )
                for record_type, ids in sorted(reads.ids.items())
            ],
        )
    elif status in REFUSED:
        # Undone now rather than by the transaction middleware a moment later, so that only the
        # entry saying what was refused is committed. The user's row expires with the rollback.
        try:
            actor_id, actor_email = user.id, user.email
            await db.rollback()
            entry = await record(
                db,
                actor=None,
                action="access_refused",
                ip_address=ip,
                actor_label=actor_email,
                status=status,
                **where,
            )
            entry.actor_id = actor_id
            await db.commit()
        except Exception:
            # The refusal stands whether or not it could be written down (the database may be gone).
            log.exception("could not audit a refused %s %s", scope["method"], scope["path"])
            await db.rollback()
