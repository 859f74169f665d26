"""One transaction per request: committed when the response succeeds, rolled back otherwise.

This runs inside the session middleware, so the request's writes are committed before the
sign-in session is saved; on SQLite the two would otherwise wait on each other's lock. A
commit that fails turns the response into an error instead of a success that saved nothing:
503 when the database could not be reached or did not answer in time, 500 otherwise.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from advanced_alchemy.extensions.litestar._utils import get_aa_scope_state
from litestar import Request
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from placements.outages import is_outage
from placements.web.errors import RETRY_AFTER, TITLES, UNAVAILABLE, wants_json

log = logging.getLogger(__name__)


def transaction_middleware(session_scope_key: str) -> Callable[[ASGIApp], ASGIApp]:
    """The middleware for the request sessions that advanced-alchemy keeps under `session_scope_key`."""
    return lambda app: _middleware(app, session_scope_key)


def _failed_commit(scope: Scope, exc: Exception) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """The answer that replaces a response whose writes could not be saved."""
    status = 503 if is_outage(exc) else 500
    detail = UNAVAILABLE if status == 503 else TITLES[500]
    headers = [(b"retry-after", RETRY_AFTER.encode())] if status == 503 else []
    # The request's objects are expired by the rollback: the page is drawn as for nobody signed in.
    request: Request[Any, Any, Any] = Request({**scope, "user": None})  # type: ignore[typeddict-unknown-key]
    if wants_json(request):
        body = json.dumps({"status_code": status, "detail": detail}).encode()
        return status, [(b"content-type", b"application/json"), *headers], body
    page = scope["app"].template_engine.get_template("placements/error.html")
    html = page.render(request=request, status=status, title=TITLES[status], detail=detail, csrf_input="")
    return status, [(b"content-type", b"text/html; charset=utf-8"), *headers], html.encode()


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
                        except Exception as exc:
                            log.exception("commit failed on %s %s", scope.get("method"), scope.get("path"))
                            await _rollback_quietly(session)
                            failed = True
                            status, headers, body = _failed_commit(scope, exc)
                            await send({"type": "http.response.start", "status": status, "headers": headers})
                            await send({"type": "http.response.body", "body": body, "more_body": False})
                            return
                    else:
                        await _rollback_quietly(session)
            await send(message)

        try:
            await app(scope, receive, send_after_commit)
        except BaseException:
            # Refused further in (CSRF, a guard): end the transaction before the error is sent.
            session = get_aa_scope_state(scope, session_scope_key)
            if session is not None:
                _keep_user_for_error_page(scope, session)
                await _rollback_quietly(session)
            raise

    return middleware


def _keep_user_for_error_page(scope: Scope, session: Any) -> None:
    """Detach the signed-in user so the rollback does not expire it: the error page still names them."""
    user = scope.get("user")  # type: ignore[call-overload]
    if user is not None and user in session:
        session.expunge(user)


async def _rollback_quietly(session: Any) -> None:
    """Roll back; a database that is gone cannot roll back, and its transaction is lost with it anyway."""
    try:
        await session.rollback()
    except Exception as exc:
        log.warning("rollback failed: %r", exc)
