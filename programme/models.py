"""A programme year's round: its name, weeks, calendar and the stage it has reached."""

from __future__ import annotations

import enum
from datetime import date
from typing import Any

from advanced_alchemy.base import UUIDAuditBase
from advanced_alchemy.types import JsonB
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from placements.types import enum_column


class Stage(enum.StrEnum):
    DRAFT = "draft"
    OPEN_FOR_PLACEMENTS = "open_for_placements"
    PREFERENCES_OPEN = "preferences_open"
    PREFERENCES_CLOSED = "preferences_closed"
    MATCHED = "matched"
    PUBLISHED = "published"
    REALLOCATION = "reallocation"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


# How long a round's pupil data is kept after the round closes, unless the coordinator sets otherwise.
KEEP_PUPIL_DATA_MONTHS = 12


class Round(UUIDAuditBase):
    __tablename__ = "matching_round"

    name: Mapped[str] = mapped_column(String(100))
    programme_year: Mapped[int] = mapped_column(unique=True)
    stage: Mapped[Stage] = mapped_column(enum_column(Stage), default=Stage.DRAFT, index=True)
    weeks: Mapped[list[str]] = mapped_column(JsonB, default=list)
    target: Mapped[int] = mapped_column(default=500)
    max_choices: Mapped[int] = mapped_column(default=5)
    preferences_open_on: Mapped[date | None] = mapped_column(default=None)
    preferences_close_on: Mapped[date | None] = mapped_column(default=None)
    publish_on: Mapped[date | None] = mapped_column(default=None)
    # How many days schools and employers have to answer an offer once results are published.
    respond_within_days: Mapped[int] = mapped_column(default=14)
    # The day the round entered each stage it has reached ({stage: ISO date}), shown to everyone.
    stage_dates: Mapped[dict[str, str]] = mapped_column(JsonB, default=dict)
    # How long the round's pupil data is kept once the round closes; a daily job erases it after that.
    keep_pupil_data_months: Mapped[int] = mapped_column(default=KEEP_PUPIL_DATA_MONTHS)
    pupil_data_erased_on: Mapped[date | None] = mapped_column(default=None)
    # The round's anonymous figures, kept when its pupil data is erased so year-on-year reports remain.
    aggregates: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
