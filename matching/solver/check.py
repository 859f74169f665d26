"""An assignment checked against an instance, from the format's rules alone: for a stored
result that a newer solver no longer reproduces byte for byte, this tells whether it is
still feasible and what it costs, so that it can be compared with the new optimum."""

from __future__ import annotations

from typing import Any

import numpy as np

from matching.solver import assignment_ranks, objective
from matching.solver.eligibility import OK, REASONS, Checker
from matching.solver.instance import Instance


def assignment_cost(inst: Instance, assignments: list[dict[str, Any]]) -> tuple[int | None, str]:
    """The objective of `assignments` (a result's list of {"pupil", "placement"}), or None
    and the first rule it breaks."""
    pupils = {pid: i for i, pid in enumerate(inst.pupil_ids)}
    places = {qid: i for i, qid in enumerate(inst.placement_ids)}
    assign = np.full(inst.n_pupils, -1, dtype=np.int64)
    for a in assignments:
        p, q = pupils.get(a.get("pupil")), places.get(a.get("placement"))
        if p is None or q is None:
            return None, f"assignment {a.get('pupil')} -> {a.get('placement')} names an unknown id"
        if assign[p] >= 0:
            return None, f"pupil {a['pupil']} is assigned twice"
        assign[p] = q
    fixed = np.full(inst.n_pupils, -1, dtype=np.int64)
    fixed[inst.fixed_pupil] = inst.fixed_placement
    moved = np.flatnonzero((fixed >= 0) & (assign != fixed))
    if moved.size:
        return None, f"fixed pupil {inst.pupil_ids[moved[0]]} is not on its fixed placement"
    p = np.flatnonzero((assign >= 0) & (fixed < 0))
    q = assign[p]
    reason = Checker(inst).reasons(p, q)
    rank = assignment_ranks(inst, assign)[p]
    bad = (reason != OK) | ((rank == 0) & ~inst.pupil_open[p])
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        why = REASONS[reason[i]] if reason[i] != OK else "unlisted, and the pupil is not open to others"
        return None, f"pupil {inst.pupil_ids[p[i]]} on {inst.placement_ids[q[i]]}: {why}"
    placed = np.flatnonzero(assign >= 0)
    load = np.bincount(assign[placed], minlength=inst.n_placements)
    over = np.flatnonzero(load > inst.capacity)
    if over.size:
        return None, f"placement {inst.placement_ids[over[0]]} is over capacity"
    cap = inst.school_cap()
    n_schools = max(len(inst.school_ids), 1)
    keys, counts = np.unique(assign[placed] * n_schools + inst.pupil_school[placed], return_counts=True)
    group_q = keys // n_schools
    over = np.flatnonzero((cap[group_q] >= 0) & (counts > cap[group_q]))
    if over.size:
        school = inst.school_ids[keys[over[0]] % n_schools]
        return None, f"placement {inst.placement_ids[group_q[over[0]]]} has too many pupils from {school}"
    return objective(inst, assign, assignment_ranks(inst, assign)), ""
