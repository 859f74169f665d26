"""Matching's figures for /metrics: the round's runs by status, read when scraped, so a run stuck
waiting or failing shows on the council's dashboards."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import Gauge
from sqlalchemy import func, select

from matching.models import MatchRun
from placements.metrics import on_scrape

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

RUNS = Gauge("placements_match_runs", "Matching runs by status", ["status"], multiprocess_mode="mostrecent")


@on_scrape
async def count_runs(db: AsyncSession) -> None:
    RUNS.clear()
    for status, count in await db.execute(select(MatchRun.status, func.count()).group_by(MatchRun.status)):
        RUNS.labels(status.value).set(count)
