"""How long a closed round keeps its pupil data: the period a coordinator sets, and the day it ends."""

from __future__ import annotations

import calendar
from datetime import date

from programme.models import Round, Stage

# The periods a coordinator may choose, in whole months: at least one, at most ten years.
MIN_MONTHS, MAX_MONTHS = 1, 120


def add_months(day: date, months: int) -> date:
    """The same day `months` calendar months later, or the month's last day when it is shorter."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def closed_on(round_: Round) -> date | None:
    if round_.stage is not Stage.CLOSED or Stage.CLOSED.value not in round_.stage_dates:
        return None
    return date.fromisoformat(round_.stage_dates[Stage.CLOSED.value])


def erase_after(round_: Round) -> date | None:
    """The day the round's pupil data is due for erasure; None while the round is not closed."""
    closed = closed_on(round_)
    return add_months(closed, round_.keep_pupil_data_months) if closed else None
