"""Steps the round's page tests share: entering choices, closing preferences, starting a run from its form."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from matching.choices import services as preferences
from matching.rounds import services as rounds
from placements.jobs.queue import get_queue
from programme.models import Stage
from tests.support import Client, run_queued_jobs

RUN_FORM = {"mode": "optimal", "preset": "fewest_poor", "priority_weight": "1", "seed": "0"}


async def enter_choices(db: AsyncSession, s: Any) -> None:
    """Every pupil of the scenario ranks every placement, in the order the scenario made them."""
    for staff, pupils in zip(s.school_staff, s.pupils, strict=True):
        for pupil in pupils:
            await preferences.save_choices(
                db,
                round_=s.round,
                pupil=pupil,
                placement_ids=[p.id for p in s.placements],
                open_to_other=True,
                actor=staff,
                ip_address=None,
            )
    await db.commit()


async def close_preferences(db: AsyncSession, s: Any) -> None:
    """Choices entered for every pupil and the round's preferences closed, so runs can start."""
    await enter_choices(db, s)
    await rounds.advance(
        db, round_=s.round, to=Stage.PREFERENCES_CLOSED, actor=s.coordinator, ip_address=None
    )
    await db.commit()


async def start_run(client: Client, s: Any, **fields: str) -> str:
    """Start a run from the runs page's form; the path of the run's page."""
    response = await client.submit(f"/rounds/{s.round.id}/runs", {**RUN_FORM, **fields})
    assert response.status_code == 303, response.text
    return response.headers["location"]


async def finished_run(client: Client, s: Any, **fields: str) -> str:
    path = await start_run(client, s, **fields)
    await run_queued_jobs()
    return path


def hold_jobs(monkeypatch: pytest.MonkeyPatch) -> Callable[[], Awaitable[None]]:
    """Keep the jobs requests queue from starting until the returned function lets them run.

    In-process jobs start as soon as their request commits, so without this a test cannot be
    sure to see a run while it is still queued.
    """
    queue = get_queue()
    enqueue = queue.enqueue
    held: list[UUID] = []
    monkeypatch.setattr(queue, "enqueue", held.append)

    async def release() -> None:
        monkeypatch.setattr(queue, "enqueue", enqueue)
        for job_id in held:
            enqueue(job_id)
        await run_queued_jobs()

    return release
