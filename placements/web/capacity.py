"""A bound on the requests one web process takes on at once: past it, 503 at once, not a queue.

A process shares its cores between the requests it has accepted, so each one admitted past what
the cores can serve makes every other slower; queued without a bound, requests waited for tens of
seconds under load, long after the person had given up. Refusing the excess at once, with
`Retry-After`, keeps the admitted ones quick and tells the rest (or the load balancer) to come back.
`/health` is always answered, so an instance that is busy is not taken for one that is down.

The refusal is written straight out, not drawn from a template: under overload refusals are most
of the requests, and each must cost far less than a page or they would starve the admitted ones.
It is held back a moment before it is sent, which costs no CPU: a client that asks again the
instant it is refused, ignoring `Retry-After`, would otherwise spend the cores on refusals (200
such connections against two processes: several thousand a second, which left the admitted pages
waiting up to 5 s). The hold grows with the refusals being held, from `REFUSAL_HOLD` to
`LONGEST_HOLD`, so that however many connections press, refusals come at most about
`REFUSALS_PER_SECOND` a second until the hold is at its longest.

Of the requests admitted, half are worked on at once and the others wait their turn, first come
first served. All of them at once share the cores evenly, so a page that waits on the database
many times goes to the back of the line each time: under overload (200 connections against two
processes) the unluckiest admitted pages waited 1.6-2.5 s while the median was 130 ms; taking turns,
the longest waited 0.8-1.0 s, with as many pages served.

The limit should not exceed the PostgreSQL connections a process has (`pool_size` plus
`max_overflow` in `placements.db`, 24): a request admitted beyond them would only wait for one.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from litestar import Request
from litestar.types import ASGIApp, Receive, Scope, Send

from placements.web.errors import wants_json

BUSY = "The service is busy. Try again in a few seconds"
RETRY_AFTER_BUSY = b"2"
ALWAYS_ANSWERED = frozenset({"/health"})
REFUSAL_HOLD = 0.03  # seconds
LONGEST_HOLD = 0.07  # seconds: a refusal still comes within a tenth of a second
REFUSALS_PER_SECOND = 1000
_JSON = json.dumps({"status_code": 503, "detail": BUSY}).encode()
_PAGE = f"""<!DOCTYPE html>
<html lang="en" class="govuk-template">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sorry, the service is busy &ndash; Placements</title>
<link rel="stylesheet" href="/static/dist/app.css"></head>
<body class="govuk-template__body"><div class="govuk-width-container">
<main class="govuk-main-wrapper" id="main-content">
<h1 class="govuk-heading-l">Sorry, the service is busy</h1>
<p class="govuk-body">{BUSY}. Nothing was changed.</p>
</main></div></body></html>
""".encode()


async def _refuse(scope: Scope, send: Send) -> None:
    as_json = wants_json(Request(scope))
    body, kind = (_JSON, b"application/json") if as_json else (_PAGE, b"text/html; charset=utf-8")
    headers = [
        (b"content-type", kind),
        (b"retry-after", RETRY_AFTER_BUSY),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def capacity_middleware(limit: int) -> Callable[[ASGIApp], ASGIApp]:
    """The middleware admitting at most `limit` requests at a time in this process, half of them
    worked on at once."""
    in_progress = held = 0
    running = asyncio.Semaphore(max(1, limit // 2))

    def middleware(app: ASGIApp) -> ASGIApp:
        async def bounded(scope: Scope, receive: Receive, send: Send) -> None:
            nonlocal in_progress, held
            if scope["type"] != "http" or scope["path"] in ALWAYS_ANSWERED:
                await app(scope, receive, send)
                return
            if in_progress >= limit:
                held += 1
                try:
                    await asyncio.sleep(min(LONGEST_HOLD, max(REFUSAL_HOLD, held / REFUSALS_PER_SECOND)))
                finally:
                    held -= 1
                await _refuse(scope, send)
                return
            in_progress += 1
            try:
                async with running:
                    await app(scope, receive, send)
            finally:
                in_progress -= 1

        return bounded

    return middleware
