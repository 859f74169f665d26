"""A bound on the requests one web process works on at once: past it, 503 at once, not a queue.

A process shares its cores between the requests it has accepted, so each one admitted past what
the cores can serve makes every other slower; queued without a bound, requests waited for tens of
seconds under load, long after the person had given up. Refusing the excess at once, with
`Retry-After`, keeps the admitted ones quick and tells the rest (or the load balancer) to come back.
`/health` is always answered, so an instance that is busy is not taken for one that is down.
"""

from __future__ import annotations

from collections.abc import Callable

from litestar.exceptions import ServiceUnavailableException
from litestar.types import ASGIApp, Receive, Scope, Send

BUSY = "The service is busy. Try again in a few seconds"
RETRY_AFTER_BUSY = "2"
ALWAYS_ANSWERED = frozenset({"/health"})


def capacity_middleware(limit: int) -> Callable[[ASGIApp], ASGIApp]:
    """The middleware admitting at most `limit` requests at a time in this process."""
    in_progress = 0

    def middleware(app: ASGIApp) -> ASGIApp:
        async def bounded(scope: Scope, receive: Receive, send: Send) -> None:
            nonlocal in_progress
            if scope["type"] != "http" or scope["path"] in ALWAYS_ANSWERED:
                await app(scope, receive, send)
                return
            if in_progress >= limit:
                raise ServiceUnavailableException(BUSY, headers={"Retry-After": RETRY_AFTER_BUSY})
            in_progress += 1
            try:
                await app(scope, receive, send)
            finally:
                in_progress -= 1

        return bounded

    return middleware
