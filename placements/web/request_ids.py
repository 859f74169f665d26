"""Each request gets an id, the one its proxy sent in X-Request-ID when that is safe to keep, else a
new one: every log line written while it is served carries it (placements.logs), the jobs it
queues keep it, and the response names it, so a person reporting a problem can quote it."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import uuid4

from litestar.datastructures import MutableScopeHeaders

from placements.logs import ACCEPTABLE_ID, REQUEST_ID

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        sent = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = sent if ACCEPTABLE_ID.fullmatch(sent) else uuid4().hex
        token = REQUEST_ID.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableScopeHeaders.from_message(message)["x-request-id"] = request_id
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)

    return middleware
