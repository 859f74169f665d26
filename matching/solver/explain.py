"""One sentence per pupil: what they got and why, and the blocking-pair count.

Why a better choice was not given is decided per preference with array operations; only
the final sentence assembly loops in Python, and only over pupils who need more than
"choice 1".
"""

from __future__ import annotations

import numpy as np

from matching.solver.eligibility import OK, REASONS, Graph
from matching.solver.instance import Instance
from matching.solver.stable import placement_keys

UNACCEPTABLE, FULL, SCHOOL_LIMIT, COSTLIER = 5, 6, 7, 8


def _school_loads(inst: Instance, assign: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    placed = np.flatnonzero(assign >= 0)
    keys = assign[placed] * max(len(inst.school_ids), 1) + inst.pupil_school[placed]
    return np.unique(keys, return_counts=True)


def preference_status(inst: Instance, graph: Graph, assign: np.ndarray, mode: str) -> np.ndarray:
    """For every listed preference: its eligibility reason, or why it was not given."""
    status = graph.pref_reason.astype(np.int8).copy()
    p = np.repeat(np.arange(inst.n_pupils), np.diff(inst.pref_ptr))
    q = inst.pref_placement
    ok = status == OK
    load = np.bincount(assign[assign >= 0], minlength=inst.n_placements)
    full = load[q] >= inst.capacity[q]
    if mode == "stable":
        unacceptable = np.zeros(p.size, dtype=bool)
        unacceptable[ok] = placement_keys(inst, p[ok], q[ok]) < 0
        status[ok & unacceptable] = UNACCEPTABLE
        status[ok & ~unacceptable] = FULL
        return status
    keys, counts = _school_loads(inst, assign)
    want = q * max(len(inst.school_ids), 1) + inst.pupil_school[p]
    school_load = np.zeros(p.size, dtype=np.int64)
    if keys.size:
        pos = np.minimum(np.searchsorted(keys, want), keys.size - 1)
        hit = keys[pos] == want
        school_load[hit] = counts[pos[hit]]
    cap = inst.school_cap()[q]
    at_limit = (cap >= 0) & (school_load >= cap)
    status[ok] = np.where(full[ok], FULL, np.where(at_limit[ok], SCHOOL_LIMIT, COSTLIER))
    return status


def _why(status: int, choice: int, placement: str, mode: str) -> str:
    if status == UNACCEPTABLE:
        return f"choice {choice} ({placement}) does not rank this pupil"
    if status == FULL:
        ahead = " of pupils ranked ahead" if mode == "stable" else ""
        return f"choice {choice} was full{ahead}"
    if status == SCHOOL_LIMIT:
        return f"choice {choice} had its limit of pupils from this school"
    if status == COSTLIER:
        return f"choice {choice} would have raised the total cost"
    return f"choice {choice} ({placement}) {REASONS[status]}"


def explanations(
    inst: Instance, graph: Graph, assign: np.ndarray, rank: np.ndarray, mode: str, has_unlisted: np.ndarray
) -> dict[str, str]:
    """Pupil id -> sentence. `has_unlisted` marks unassigned pupils who had an eligible
    unlisted placement (so some eligible place existed, and it was full)."""
    status = preference_status(inst, graph, assign, mode)
    fixed = np.zeros(inst.n_pupils, dtype=bool)
    fixed[inst.fixed_pupil] = True
    ids, places, ptr = inst.pupil_ids, inst.placement_ids, inst.pref_ptr.tolist()
    out: dict[str, str] = {}
    for p in range(inst.n_pupils):
        r = int(rank[p])
        if fixed[p]:
            out[ids[p]] = "fixed by the coordinator" + (f" (choice {r})" if r > 0 else "")
            continue
        if r == 1:
            out[ids[p]] = "choice 1"
            continue
        lo = ptr[p]
        prefs = inst.pref_placement[lo : ptr[p + 1]].tolist()
        codes = status[lo : ptr[p + 1]].tolist()
        if r > 1:
            why = [_why(codes[j], j + 1, places[prefs[j]], mode) for j in range(r - 1)]
            out[ids[p]] = f"choice {r}: " + ", ".join(why)
        elif assign[p] >= 0:
            why = [_why(c, j + 1, places[q], mode) for j, (q, c) in enumerate(zip(prefs, codes, strict=True))]
            out[ids[p]] = "unlisted placement: " + (", ".join(why) if why else "no choices listed")
        else:
            out[ids[p]] = _unplaced(prefs, codes, places, bool(has_unlisted[p]))
    return out


def _unplaced(prefs: list[int], codes: list[int], places: list[str], has_unlisted: bool) -> str:
    ineligible = [f"{places[q]} {REASONS[c]}" for q, c in zip(prefs, codes, strict=True) if c < UNACCEPTABLE]
    unacceptable = [places[q] for q, c in zip(prefs, codes, strict=True) if c == UNACCEPTABLE]
    detail = ineligible + [f"{q} does not rank this pupil" for q in unacceptable]
    if any(c >= FULL for c in codes) or has_unlisted:
        return "unplaced: every eligible choice was full" + (f" ({', '.join(detail)})" if detail else "")
    if not prefs:
        return "unplaced: no choices listed"
    return f"unplaced: no eligible choice ({', '.join(detail)})"


def blocking_pairs(inst: Instance, graph: Graph, assign: np.ndarray, rank: np.ndarray) -> int:
    """Pairs (p, q) blocking in the stable mode's sense; fixed pupils can neither block
    nor be displaced, since the coordinator has pinned them."""
    n, m = inst.n_pupils, inst.n_placements
    fixed = np.zeros(n, dtype=bool)
    fixed[inst.fixed_pupil] = True
    load = np.bincount(assign[assign >= 0], minlength=m)
    holders = np.flatnonzero((assign >= 0) & ~fixed)
    held_key = placement_keys(inst, holders, assign[holders])
    held_key = np.where(held_key < 0, np.iinfo(np.int64).max, held_key)
    worst = np.full(m, -1, dtype=np.int64)
    np.maximum.at(worst, assign[holders], held_key)
    p, q, r = graph.pupil, graph.placement, graph.rank
    current = np.where(rank > 0, rank, np.iinfo(np.int64).max)
    wants = ~fixed[p] & (r < current[p])
    p, q = p[wants], q[wants]
    key = placement_keys(inst, p, q)
    blocking = (key >= 0) & ((load[q] < inst.capacity[q]) | (key < worst[q]))
    return int(blocking.sum())
