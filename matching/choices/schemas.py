"""Choices' JSON: a pupil's ranked choices, the placements they may choose, and an upload's problems."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from msgspec import Meta, Struct

from matching.choices.queries import ChoiceStatus
from matching.choices.services import Choice
from matching.rounds.schemas import MOST_CHOICES


class ChoiceStatusOut(Struct):
    pupil_id: UUID
    reference: str
    first_name: str
    last_name: str
    year_group: int
    choices: int
    entered: bool
    open_to_other: bool

    @classmethod
    def of(cls, status: ChoiceStatus) -> ChoiceStatusOut:
        pupil = status.pupil
        return cls(
            pupil_id=pupil.id,
            reference=pupil.reference,
            first_name=pupil.first_name,
            last_name=pupil.last_name,
            year_group=pupil.year_group,
            choices=status.choices,
            entered=status.entered,
            open_to_other=status.open_to_other,
        )


class PupilChoicesOut(Struct):
    round_id: UUID
    pupil_id: UUID
    placements: list[UUID]
    # Null while nothing is entered for the pupil: they take no part in the round's runs.
    open_to_other: bool | None
    closed_reason: str | None


class ChoicesIn(Struct, kw_only=True):
    placements: Annotated[
        list[UUID], Meta(max_length=MOST_CHOICES, description="Placement ids, first choice first")
    ]
    open_to_other: bool = False


class ChoiceOptionOut(Struct):
    id: UUID
    code: str
    title: str
    employer: str
    distance_km: float | None
    weeks: list[str]
    year_groups: list[int]
    capacity: int
    demand: int

    @classmethod
    def of(cls, choice: Choice) -> ChoiceOptionOut:
        placement = choice.placement
        return cls(
            id=placement.id,
            code=choice.code,
            title=placement.title,
            employer=choice.employer_name,
            distance_km=round(choice.distance_km, 1) if choice.distance_km is not None else None,
            weeks=list(placement.weeks or []),
            year_groups=list(placement.year_groups or []),
            capacity=placement.capacity,
            demand=choice.demand,
        )


class UploadProblemOut(Struct):
    row: int
    column: str
    message: str


class ChoiceUploadOut(Struct):
    rows: int
    saved: bool
    problems: list[UploadProblemOut]


# --- Runs ---
