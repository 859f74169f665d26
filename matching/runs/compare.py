"""What a coordinator compares between runs: figures side by side, and the pupils they treat differently."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from matching.models import MatchRun, RunStatus
from matching.policy import RunPolicy
from matching.runs.services import PupilResult, pupil_results
from placements.audit.trail import note_reads
from schools.models import PUPILS_BY_NAME, Pupil, School

MAX_COMPARED = 4


@dataclass(frozen=True)
class PupilLine:
    """One pupil's result in each compared run (None where the pupil was not in that run)."""

    pupil_id: UUID
    name: str
    school: str
    reference: str
    results: list[PupilResult | None]

    @property
    def differs(self) -> bool:
        return len({r.placement_id if r else "absent" for r in self.results}) > 1


def figures(run: MatchRun) -> dict[str, Any]:
    """The run's headline figures (from its stored summary) for a side-by-side table."""
    s = run.summary or {}
    return {
        "policy": RunPolicy.from_dict(run.policy).description,
        "pupils": s.get("pupils"),
        "assigned": s.get("assigned"),
        "unassigned": s.get("unassigned"),
        "rank_counts": s.get("rank_counts", {}),
        "priority_rate": (s.get("priority_pupils") or {}).get("rate"),
        "other_rate": (s.get("other_pupils") or {}).get("rate"),
        "per_school": s.get("per_school", {}),
        "blocking_pairs": s.get("blocking_pairs"),
        "mean_travel_km": s.get("mean_travel_km"),
        "objective": s.get("objective"),
    }


async def school_names(db: AsyncSession, ids: set[UUID]) -> dict[UUID, str]:
    if not ids:
        return {}
    return dict((await db.execute(select(School.id, School.name).where(School.id.in_(ids)))).all())


async def pupil_lines(
    db: AsyncSession, runs: list[MatchRun], *, only_differences: bool = False, unplaced_only: bool = False
) -> list[PupilLine]:
    """Every pupil of the runs, by name, with each run's result; finished runs only."""
    per_run = [await pupil_results(db, run) if run.status is RunStatus.DONE else {} for run in runs]
    pupil_ids = set().union(*(results.keys() for results in per_run))
    if not pupil_ids:
        return []
    rows = await db.execute(
        select(Pupil.id, Pupil.first_name, Pupil.last_name, School.name, Pupil.reference)
        .join(School, School.id == Pupil.school_id)
        .where(Pupil.id.in_(pupil_ids))
        .order_by(*PUPILS_BY_NAME)
    )
    lines = []
    for pupil_id, first, last, school, reference in rows:
        results = [results.get(pupil_id) for results in per_run]
        line = PupilLine(pupil_id, f"{first} {last}", school, reference, results)
        if only_differences and not line.differs:
            continue
        if unplaced_only and all(r is None or r.placement_id is not None for r in line.results):
            continue
        lines.append(line)
    note_reads(db, "pupil", [line.pupil_id for line in lines])
    return lines
