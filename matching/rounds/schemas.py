"""The round's JSON: what a coordinator sends to create or change one, and what the API answers."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from litestar.openapi.spec import OpenAPIType, Schema
from msgspec import UNSET, Meta, Struct, UnsetType, structs

from employers.inputs import WEEK_PATTERN
from employers.schemas import HAS_A_LETTER
from matching.policy import PRESETS
from matching.rounds import services as rounds
from matching.rounds.keeping import MAX_MONTHS, MIN_MONTHS, erase_after
from matching.rounds.services import NEXT, RoundData
from placements.web.schemas import from_model
from programme.models import KEEP_PUPIL_DATA_MONTHS, Round, Stage

# The presets give rank costs for this many choices, so no round may allow more.
MOST_CHOICES = min(len(costs) for _, costs in PRESETS.values())

Week = Annotated[str, Meta(pattern=WEEK_PATTERN)]

# Litestar leaves a list's item constraints out of the schema, so the weeks' pattern is stated for it.
Weeks = Annotated[
    list[Week],
    Meta(
        max_length=60,
        extra_json_schema={
            "description": "ISO weeks, like 2027-W25",
            "extra": {"items": Schema(type=OpenAPIType.STRING, pattern=WEEK_PATTERN)},
        },
    ),
]


RoundName = Annotated[str, Meta(min_length=1, max_length=100, pattern=HAS_A_LETTER)]

ProgrammeYear = Annotated[int, Meta(ge=2020, le=2100)]

Target = Annotated[int, Meta(ge=1, le=100_000)]

MaxChoices = Annotated[int, Meta(ge=1, le=MOST_CHOICES)]

RespondWithinDays = Annotated[int, Meta(ge=1, le=90)]

KeepPupilDataMonths = Annotated[
    int,
    Meta(
        ge=MIN_MONTHS,
        le=MAX_MONTHS,
        description=f"Whole months, from {MIN_MONTHS} to {MAX_MONTHS}, that the round's pupil data is kept "
        "once it closes; then it is erased and only the round's anonymous figures are kept",
    ),
]


def _week_problem(weeks: list[str]) -> str | None:
    wrong = [week for week in weeks if not rounds.is_iso_week(week)]
    return f"{wrong[0]} is not a week of its year" if wrong else None


# --- Rounds ---


class RoundIn(Struct, kw_only=True):
    name: RoundName
    programme_year: ProgrammeYear
    weeks: Weeks
    target: Target = 500
    max_choices: MaxChoices = 5
    respond_within_days: RespondWithinDays = 14
    keep_pupil_data_months: KeepPupilDataMonths = KEEP_PUPIL_DATA_MONTHS
    preferences_open_on: date | None = None
    preferences_close_on: date | None = None
    publish_on: date | None = None

    def data(self) -> RoundData:
        return RoundData(**{**structs.asdict(self), "weeks": sorted(set(self.weeks))})

    def week_problem(self) -> str | None:
        return _week_problem(self.weeks)


class RoundChangesIn(Struct, kw_only=True):
    """Only the fields given change; a date given as null is cleared."""

    name: RoundName | UnsetType = UNSET
    programme_year: ProgrammeYear | UnsetType = UNSET
    weeks: Weeks | UnsetType = UNSET
    target: Target | UnsetType = UNSET
    max_choices: MaxChoices | UnsetType = UNSET
    respond_within_days: RespondWithinDays | UnsetType = UNSET
    keep_pupil_data_months: KeepPupilDataMonths | UnsetType = UNSET
    preferences_open_on: date | UnsetType | None = UNSET
    preferences_close_on: date | UnsetType | None = UNSET
    publish_on: date | UnsetType | None = UNSET

    def applied_to(self, round_: Round) -> RoundIn:
        current = {name: getattr(round_, name) for name in RoundIn.__struct_fields__}
        given = {name: value for name, value in structs.asdict(self).items() if value is not UNSET}
        return RoundIn(**{**current, **given})


class AdvanceIn(Struct):
    to: Stage


class RoundOut(Struct):
    id: UUID
    name: str
    programme_year: int
    stage: Stage
    next_stage: Stage | None
    stage_dates: dict[str, str]
    weeks: list[str]
    target: int
    max_choices: int
    respond_within_days: int
    keep_pupil_data_months: int
    pupil_data_kept_until: Annotated[
        date | None, Meta(description="The day the pupil data is erased; null until the round closes")
    ]
    pupil_data_erased_on: date | None
    preferences_open_on: date | None
    preferences_close_on: date | None
    publish_on: date | None

    @classmethod
    def of(cls, round_: Round) -> RoundOut:
        return from_model(
            cls,
            round_,
            next_stage=NEXT.get(round_.stage),
            stage_dates=dict(round_.stage_dates or {}),
            weeks=list(round_.weeks or []),
            pupil_data_kept_until=erase_after(round_),
        )


# --- Choices ---
