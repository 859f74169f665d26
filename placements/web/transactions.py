"""One transaction per request: committed when the response succeeds, rolled back otherwise.

This runs inside the session middleware, so the request's writes are committed before the
sign-in session is saved; on SQLite the two would otherwise wait on each other's lock. A
commit that fails turns the response into an error instead of a success that saved nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from advanced_alchemy.extensions.litestar._utils import get_aa_scope_state
from litestar.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

_FAILED_BODY = b'{"status_code":500,"detail":"Sorry, there is a problem with the service"}'


def transaction_middleware(session_scope_key: str) -> Callable[[ASGIApp], ASGIApp]:
    """The middleware for the request sessions that advanced-alchemy keeps under `session_scope_key`."""
    return lambda app: _middleware(app, session_scope_key)


def _middleware(app: ASGIApp, session_scope_key: str) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        failed = False

        async def send_after_commit(message: Message) -> None:
            nonlocal failed
            if failed:
                return  # the original body belongs to the response we replaced
            if message["type"] == "http.response.start":
                session = get_aa_scope_state(scope, session_scope_key)
                if session is not None:
                    if message["status"] < 400:
                        try:
                            await session.commit()
                        except Exception:
                            log.exception("commit failed on %s %s", scope.get("method"), scope.get("path"))
                            await session.rollback()
                            failed = True
                            await send(
                                {
                                    "type": "http.response.start",
                                    "status": 500,
                                    "headers": [(b"content-type", b"application/json")],
                                }
                            )
                            await send(
                                {"type": "http.response.body", "body": _FAILED_BODY, "more_body": False}
                            )
                            return
                    else:
                        await session.rollback()
            await send(message)

        try:
            await app(scope, receive, send_after_commit)
        except BaseException:
            # Refused further in (CSRF, a guard): end the transaction before the error is sent.
            session = get_aa_scope_state(scope, session_scope_key)
            if session is not None:
                await session.rollback()
            raise

    return middleware
