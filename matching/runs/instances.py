"""Writing a run's instance file (`spec/matching-format.md`) from the round as it stands.

Ids in the file are the records' UUIDs: no names, dates of birth or postcodes leave the
database, only what matching needs. Records are sorted and the JSON is written canonically,
so the same round and policy always give the same bytes.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from employers.models import Employer, EmployerCompliance, Placement, WorkMode
from employers.queries import visible_to_schools
from matching.models import (
    Adjustment,
    AdjustmentKind,
    ChoiceEntry,
    MatchRun,
    Outcome,
    Preference,
    Reply,
    RunKind,
)
from matching.policy import RunPolicy
from matching.solver.instance import FORMAT
from schools.models import Pupil, School
from schools.queries import has_current_consent


def _located(record: dict[str, Any], lat: float | None, lon: float | None) -> dict[str, Any]:
    if lat is not None and lon is not None:
        record["lat"], record["lon"] = lat, lon
    return record


async def _placements(db: AsyncSession, round_id: UUID, day: date) -> tuple[list[dict[str, Any]], set[UUID]]:
    """Every placement of the round; the ones schools can no longer be matched to get no places."""
    open_ids = set(
        await db.scalars(
            select(Placement.id)
            .join(Employer, Employer.id == Placement.employer_id)
            .outerjoin(EmployerCompliance, EmployerCompliance.employer_id == Employer.id)
            .where(Placement.round_id == round_id, *visible_to_schools(day))
        )
    )
    rows = await db.scalars(select(Placement).where(Placement.round_id == round_id))
    placements = []
    for placement in rows:
        record: dict[str, Any] = {
            "id": str(placement.id),
            # A placement withdrawn, or whose employer stopped being matchable, after pupils chose it
            # stays in the file so their ranks keep their meaning, but it holds nobody.
            "capacity": placement.capacity if placement.id in open_ids else 0,
            "employer": str(placement.employer_id),
            "remote": placement.work_mode is WorkMode.REMOTE,
        }
        if placement.year_groups:
            record["year_groups"] = sorted(placement.year_groups)
        if placement.weeks:
            record["weeks"] = sorted(placement.weeks)
        placements.append(_located(record, placement.lat, placement.lon))
    return placements, open_ids


async def _pupils(db: AsyncSession, round_id: UUID, leaving: set[UUID]) -> list[dict[str, Any]]:
    """Pupils with choices entered and a parent's consent, except those who left the programme."""
    choices: dict[UUID, list[str]] = defaultdict(list)
    for pupil_id, placement_id in await db.execute(
        select(Preference.pupil_id, Preference.placement_id)
        .where(Preference.round_id == round_id)
        .order_by(Preference.pupil_id, Preference.rank)
    ):
        choices[pupil_id].append(str(placement_id))
    rows = await db.execute(
        select(Pupil, School.lat, School.lon, ChoiceEntry.open_to_other)
        .join(ChoiceEntry, ChoiceEntry.pupil_id == Pupil.id)
        .join(School, School.id == Pupil.school_id)
        .where(ChoiceEntry.round_id == round_id, has_current_consent())
    )
    pupils = []
    for pupil, school_lat, school_lon, open_to_other in rows:
        if pupil.id in leaving:
            continue
        record: dict[str, Any] = {
            "id": str(pupil.id),
            "school": str(pupil.school_id),
            "year_group": pupil.year_group,
            "priority": pupil.priority,
            "preferences": choices.get(pupil.id, []),
            "open_to_other": open_to_other,
        }
        if pupil.max_travel_km is not None:
            record["max_travel_km"] = pupil.max_travel_km
        # Without a home postcode the pupil travels from school.
        if pupil.lat is not None:
            pupils.append(_located(record, pupil.lat, pupil.lon))
        else:
            pupils.append(_located(record, school_lat, school_lon))
    return pupils


def _pairs(pairs: set[tuple[UUID, UUID]]) -> list[dict[str, str]]:
    return sorted(
        ({"pupil": str(p), "placement": str(q)} for p, q in pairs), key=lambda r: (r["pupil"], r["placement"])
    )


async def build_instance(db: AsyncSession, run: MatchRun, day: date) -> bytes:
    """The instance file for `run`: its policy over the round's pupils, placements and adjustments.

    A reallocation keeps every offer still holding its place fixed, forbids every pair a side has
    said no to, and leaves out pupils whose school withdrew them.
    """
    fixed: set[tuple[UUID, UUID]] = set()
    forbidden: set[tuple[UUID, UUID]] = set()
    for adjustment in await db.scalars(select(Adjustment).where(Adjustment.round_id == run.round_id)):
        pair = (adjustment.pupil_id, adjustment.placement_id)
        (fixed if adjustment.kind is AdjustmentKind.PIN else forbidden).add(pair)
    leaving: set[UUID] = set()
    if run.kind is RunKind.REALLOCATION:
        outcomes = await db.scalars(
            select(Outcome).where(
                Outcome.round_id == run.round_id,
                Outcome.placement_id.is_not(None),
                or_(
                    Outcome.current.is_(True),
                    Outcome.employer_reply == Reply.NO,
                    Outcome.school_reply == Reply.NO,
                    Outcome.withdrawn_by.is_not(None),
                ),
            )
        )
        for outcome in outcomes:
            assert outcome.placement_id is not None
            pair = (outcome.pupil_id, outcome.placement_id)
            if outcome.current and outcome.holds_place:
                fixed.add(pair)
            elif not outcome.holds_place:
                forbidden.add(pair)
                if outcome.current and outcome.withdrawn_by == "school":
                    leaving.add(outcome.pupil_id)
    placements, _ = await _placements(db, run.round_id, day)
    pupils = await _pupils(db, run.round_id, leaving)
    present = {p["id"] for p in pupils}
    document = {
        "format": FORMAT,
        "policy": RunPolicy.from_dict(run.policy).instance_policy(),
        "placements": sorted(placements, key=lambda r: r["id"]),
        "pupils": sorted(pupils, key=lambda r: r["id"]),
        "fixed": [pair for pair in _pairs(fixed) if pair["pupil"] in present],
        "forbidden": [pair for pair in _pairs(forbidden) if pair["pupil"] in present],
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
