"""The result's metrics: the format's keys plus coordinator-facing extras."""

from __future__ import annotations

from typing import Any

import numpy as np

from matching.solver.eligibility import haversine_km
from matching.solver.instance import Instance


def _rate(assigned: int, pupils: int) -> float:
    return round(assigned / pupils, 4) if pupils else 0.0


def _group(pupils: np.ndarray, placed: np.ndarray) -> dict[str, Any]:
    n, a = int(pupils.sum()), int((pupils & placed).sum())
    return {"pupils": n, "assigned": a, "rate": _rate(a, n)}


def metrics(inst: Instance, assign: np.ndarray, rank: np.ndarray) -> dict[str, Any]:
    """Spec keys (pupils, assigned, rank_counts, placements_filled, capacity) and extras.

    `placements_filled` counts placements with at least one pupil; `placements_full`
    counts those at capacity.
    """
    placed = assign >= 0
    load = np.bincount(assign[placed], minlength=inst.n_placements)
    ranks, counts = np.unique(rank[placed & (rank > 0)], return_counts=True)
    rank_counts = {str(r): c for r, c in zip(ranks.tolist(), counts.tolist(), strict=True)}
    rank_counts["unlisted"] = int((placed & (rank == 0)).sum())
    p = np.flatnonzero(placed)
    q = assign[p]
    located = ~np.isnan(inst.pupil_lat[p]) & ~np.isnan(inst.placement_lat[q])
    km = haversine_km(
        inst.pupil_lat[p[located]],
        inst.pupil_lon[p[located]],
        inst.placement_lat[q[located]],
        inst.placement_lon[q[located]],
    )
    n_schools = len(inst.school_ids)
    school_pupils = np.bincount(inst.pupil_school, minlength=n_schools).tolist()
    school_placed = np.bincount(inst.pupil_school[placed], minlength=n_schools).tolist()
    per_school = {
        school: {"pupils": n, "assigned": a, "rate": _rate(a, n)}
        for school, n, a in zip(inst.school_ids, school_pupils, school_placed, strict=True)
    }
    priority = inst.pupil_priority > 0
    capacity = int(inst.capacity.sum())
    return {
        "pupils": inst.n_pupils,
        "assigned": int(placed.sum()),
        "unassigned": int((~placed).sum()),
        "rank_counts": rank_counts,
        "placements_filled": int((load > 0).sum()),
        "placements_full": int((load >= inst.capacity).sum()),
        "capacity": capacity,
        "fill_rate": _rate(int(placed.sum()), capacity),
        "fixed": int(inst.fixed_pupil.size),
        "placement_rate": _rate(int(placed.sum()), inst.n_pupils),
        "per_school": per_school,
        "priority_pupils": _group(priority, placed),
        "other_pupils": _group(~priority, placed),
        "mean_travel_km": round(float(km.mean()), 3) if km.size else None,
        "max_travel_km": round(float(km.max()), 3) if km.size else None,
    }
