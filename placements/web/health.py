"""`GET /health` for the load balancer: does each dependency answer, within a bound whatever hangs."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from placements.accounts.guards import PUBLIC
from placements.jobs.queue import ArqQueue, Queue
from placements.settings import Settings

OK = "ok"
UNDER_WAY = "placements.health_check"


def _forget(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved, so an outage is not reported again as "never retrieved"


async def _bounded(check: Any, seconds: float) -> str:
    """Wait for `check` at most `seconds`. A check that hangs is cancelled but not waited for: giving
    up a hung connection can itself hang, and the load balancer must have its answer in time."""
    task = asyncio.ensure_future(check)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        task.cancel()
        task.add_done_callback(_forget)
        return f"unavailable: no answer within {seconds:g} s"
    if task.exception() is not None:
        return f"unavailable: {type(task.exception()).__name__}"
    return OK


async def _database(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


class HealthController(Controller):
    opt = PUBLIC
    tags = ["Service"]

    @get(
        "/health",
        operation_id="health",
        summary="Whether the database and Redis (when used) answer; 503 names the one that does not",
        security=[{}],
        responses={
            503: ResponseSpec(
                data_container=dict[str, str],
                description="A dependency does not answer",
                generate_examples=False,  # the same document every time it is built
            )
        },
    )
    async def health(self, request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
        # Answers asked for while a check is under way share it: a flood of checks (several load
        # balancers, a monitoring burst) costs the database one query, not one each.
        state = request.app.state
        under_way: asyncio.Future[dict[str, str]] | None = state.get(UNDER_WAY)
        if under_way is None or under_way.done():
            under_way = state[UNDER_WAY] = asyncio.ensure_future(_check(state))
        body = await asyncio.shield(under_way)
        return Response(body, status_code=200 if body["status"] == "ok" else 503)


async def _check(state: Any) -> dict[str, str]:
    settings: Settings = state["placements.settings"]
    queue: Queue | None = state.get("placements.queue")
    seconds = settings.timeouts.health
    checks = [_bounded(_database(state["placements.alchemy"].get_engine()), seconds)]
    if isinstance(queue, ArqQueue):
        checks.append(_bounded(queue.check(), seconds))
    results = await asyncio.gather(*checks)
    body = {"database": results[0], "redis": results[1] if len(results) > 1 else "not used"}
    healthy = all(result == OK for result in results)
    return {"status": "ok" if healthy else "unavailable", **body}
