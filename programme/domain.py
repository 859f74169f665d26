"""The programme year as the app registers it: the current round on everyone's home page."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from placements.accounts.models import User
from placements.domains import Domain
from programme import models  # noqa: F401  (the round's table)
from programme.models import Round, Stage
from programme.queries import current_round
from programme.statements import StatementPages


def _stage_dates(round_: Round | None) -> list[tuple[str, date]]:
    """(stage label, the day the round reached it) for the stages it has reached, in calendar order."""
    if round_ is None:
        return []
    return [
        (stage.label, date.fromisoformat(round_.stage_dates[stage.value]))
        for stage in Stage
        if stage.value in (round_.stage_dates or {})
    ]


async def _home(db: AsyncSession, user: User) -> dict[str, Any]:
    round_ = await current_round(db)
    return {"round": round_, "stage_dates": _stage_dates(round_)}


DOMAIN = Domain(name="programme", route_handlers=(StatementPages,), home=_home)
