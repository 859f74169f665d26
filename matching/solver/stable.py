"""Mode `stable`: pupil-proposing deferred acceptance, in rounds over numpy arrays.

Every round, each free pupil proposes to its next eligible, acceptable choice; each
placement keeps the best `room` of the pupils it holds plus its new proposers. The order
of proposals within a round does not change the outcome, so the pupil-optimal stable
matching comes out whatever the vector order.
"""

from __future__ import annotations

import numpy as np

from matching.solver.eligibility import Graph
from matching.solver.instance import Instance, InstanceError


class StableRefused(InstanceError):
    """The instance uses a feature the stable mode does not support."""


def pupil_order(inst: Instance) -> np.ndarray:
    """Position of each pupil in the default ranking: priority first, then the lottery."""
    lottery = np.random.default_rng(inst.policy.seed).permutation(inst.n_pupils)
    order = np.lexsort((lottery, -inst.pupil_priority))
    position = np.empty(inst.n_pupils, dtype=np.int64)
    position[order] = np.arange(inst.n_pupils)
    return position


def placement_keys(inst: Instance, p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """How placement q ranks pupil p (lower is better); -1 when p is unacceptable to q."""
    key = pupil_order(inst)[p]
    ranked = inst.ranked[q]
    if ranked.any():
        rq = np.repeat(np.arange(inst.n_placements), np.diff(inst.ranking_ptr))
        rpos = np.arange(inst.ranking_pupil.size) - inst.ranking_ptr[rq]
        n = max(inst.n_pupils, 1)
        listed = rq * n + inst.ranking_pupil
        sort = np.argsort(listed)
        listed, rpos = listed[sort], rpos[sort]
        want = q[ranked] * n + p[ranked]
        pos = np.minimum(np.searchsorted(listed, want), max(listed.size - 1, 0))
        hit = listed[pos] == want if listed.size else np.zeros(want.size, dtype=bool)
        key[ranked] = np.where(hit, rpos[pos] if listed.size else 0, -1)
    return key


def stable_edges(inst: Instance, graph: Graph) -> tuple[np.ndarray, np.ndarray]:
    """Graph edge indices in proposal order (by pupil, then rank), and the placements' keys."""
    order = np.lexsort((graph.rank, graph.pupil))
    return order, placement_keys(inst, graph.pupil[order], graph.placement[order])


def solve_stable(inst: Instance, graph: Graph) -> np.ndarray:
    """Placement index per pupil (-1 for unassigned) of the pupil-optimal stable matching."""
    if inst.uses_school_caps():
        raise StableRefused("mode stable does not support max_per_school; remove it or use mode optimal")
    n, m = inst.n_pupils, inst.n_placements
    assign = np.full(n, -1, dtype=np.int64)
    assign[inst.fixed_pupil] = inst.fixed_placement
    room = inst.capacity - np.bincount(inst.fixed_placement, minlength=m)
    edges, keys = stable_edges(inst, graph)
    proposes = np.ones(n, dtype=bool)
    proposes[inst.fixed_pupil] = False
    usable = (keys >= 0) & proposes[graph.pupil[edges]] & (room[graph.placement[edges]] > 0)
    e_pupil = graph.pupil[edges][usable]
    e_place = graph.placement[edges][usable]
    e_key = keys[usable]
    start = np.searchsorted(e_pupil, np.arange(n + 1))
    nxt = start[:-1].copy()
    end = start[1:]
    held = np.full(n, -1, dtype=np.int64)
    free = np.flatnonzero(nxt < end)
    while free.size:
        proposals = nxt[free]
        nxt[free] += 1
        targets = np.unique(e_place[proposals])
        holders = np.flatnonzero(held >= 0)
        holders = held[holders[np.isin(e_place[held[holders]], targets)]]
        cand = np.concatenate([holders, proposals])
        cand = cand[np.lexsort((e_key[cand], e_place[cand]))]
        q = e_place[cand]
        first = np.searchsorted(q, q)
        keep = (np.arange(cand.size) - first) < room[q]
        held[e_pupil[cand[keep]]] = cand[keep]
        rejected = e_pupil[cand[~keep]]
        held[rejected] = -1
        free = rejected[nxt[rejected] < end[rejected]]
    matched = held >= 0
    assign[matched] = e_place[held[matched]]
    return assign
