"""Runs' JSON: the policy a run is started with, its figures and result, comparisons, pins and forbids."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from msgspec import Meta, Struct, structs

from employers.schemas import HAS_A_LETTER
from matching.errors import MatchingError
from matching.models import AdjustmentKind, MatchRun, RunKind, RunStatus
from matching.policy import RunPolicy
from matching.runs import compare
from matching.runs.queries import AdjustmentRow
from placements.jobs.models import JobRecord
from placements.web.schemas import from_model

MAX_REASON = 2000

Mode = Literal["optimal", "stable"]

Preset = Literal["fewest_poor", "most_first", "linear"]


class RunPolicyIn(Struct, kw_only=True):
    mode: Mode = "optimal"
    preset: Preset = "fewest_poor"
    priority_weight: Annotated[int, Meta(ge=0, le=10)] = 1
    max_per_school: Annotated[int, Meta(ge=1, le=100)] | None = None
    max_travel_km: Annotated[float, Meta(ge=0.1, le=500)] | None = None
    seed: Annotated[int, Meta(ge=0, le=2**31 - 1)] = 0

    def policy(self) -> RunPolicy:
        try:
            return RunPolicy(**structs.asdict(self))
        except ValueError as exc:
            # Mode and preset are checked by the schema, so this is a limit the mode cannot apply.
            raise MatchingError(str(exc), field="max_per_school") from exc


class RunPolicyOut(Struct):
    mode: str
    preset: str
    priority_weight: int
    max_per_school: int | None
    max_travel_km: float | None
    seed: int
    description: str

    @classmethod
    def of(cls, stored: dict[str, object]) -> RunPolicyOut:
        policy = RunPolicy.from_dict(stored)
        return cls(**policy.as_dict(), description=policy.description)


class GroupRateOut(Struct):
    pupils: int
    assigned: int
    rate: float | None


class RunFiguresOut(Struct):
    """The run's headline figures; null until the run is done."""

    pupils: int | None
    assigned: int | None
    unassigned: int | None
    rank_counts: dict[str, int]
    priority_rate: float | None
    other_rate: float | None
    per_school: dict[str, GroupRateOut]
    blocking_pairs: int | None
    mean_travel_km: float | None
    objective: float | None

    @classmethod
    def of(cls, run: MatchRun) -> RunFiguresOut:
        figures = compare.figures(run)
        figures.pop("policy")
        per_school = {school: GroupRateOut(**group) for school, group in figures.pop("per_school").items()}
        return cls(**figures, per_school=per_school)


class RunOut(Struct):
    id: UUID
    round_id: UUID
    number: int
    kind: RunKind
    status: RunStatus
    progress: int
    progress_message: str | None
    error: str | None
    policy: RunPolicyOut
    seed: int
    instance_sha256: str | None
    result_sha256: str | None
    solver: str | None
    figures: RunFiguresOut
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    published_at: datetime | None

    @classmethod
    def of(cls, run: MatchRun, job: JobRecord | None) -> RunOut:
        finished = run.status not in (RunStatus.QUEUED, RunStatus.RUNNING)
        return from_model(
            cls,
            run,
            progress=100 if finished else (job.progress if job else 0),
            progress_message=None if finished or job is None else job.message,
            policy=RunPolicyOut.of(run.policy),
            figures=RunFiguresOut.of(run),
        )


class PublicationOut(Struct):
    run: RunOut
    outcomes: Annotated[int, Meta(description="How many pupils' outcomes the publication set")]


class PupilResultOut(Struct):
    placement_id: UUID | None
    rank: int | None
    explanation: str


class RunPupilOut(Struct):
    pupil_id: UUID
    name: str
    school: str
    placement_id: UUID | None
    rank: int | None
    explanation: str

    @classmethod
    def of(cls, line: compare.PupilLine) -> RunPupilOut:
        [result] = line.results
        assert result is not None
        return cls(
            pupil_id=line.pupil_id,
            name=line.name,
            school=line.school,
            placement_id=result.placement_id,
            rank=result.rank,
            explanation=result.explanation,
        )


class ComparedPupilOut(Struct):
    pupil_id: UUID
    name: str
    school: str
    # One per compared run, in the order asked; null where the pupil was not in that run.
    results: list[PupilResultOut | None]

    @classmethod
    def of(cls, line: compare.PupilLine) -> ComparedPupilOut:
        return cls(
            pupil_id=line.pupil_id,
            name=line.name,
            school=line.school,
            results=[
                PupilResultOut(r.placement_id, r.rank, r.explanation) if r is not None else None
                for r in line.results
            ],
        )


class ComparedRunOut(Struct):
    run_id: UUID
    number: int
    status: RunStatus
    policy: str
    figures: RunFiguresOut


class ComparisonOut(Struct):
    runs: list[ComparedRunOut]
    differing_pupils: list[ComparedPupilOut]
    total_differing: int
    limit: int
    offset: int


# --- Pins and forbids ---


class AdjustmentIn(Struct, kw_only=True):
    pupil: UUID
    placement: UUID
    kind: AdjustmentKind
    reason: Annotated[str, Meta(min_length=1, max_length=500, pattern=HAS_A_LETTER)]


class AdjustmentOut(Struct):
    id: UUID
    pupil_id: UUID
    pupil_name: str
    school_name: str
    placement_id: UUID
    placement_title: str
    employer_name: str
    kind: AdjustmentKind
    reason: str
    created_at: datetime

    @classmethod
    def of(cls, row: AdjustmentRow) -> AdjustmentOut:
        return from_model(
            cls,
            row.adjustment,
            pupil_name=row.pupil_name,
            school_name=row.school_name,
            placement_title=row.placement_title,
            employer_name=row.employer_name,
        )


# --- Outcomes and offers ---
