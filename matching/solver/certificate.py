"""An exact optimality check of an assignment, for solvers that return no duals.

The problem is a min-cost flow: each free pupil sends one unit to a sink, either straight
(unassigned) or through a placement, and through its (school, placement) group where the
placement caps schools. A flow is of least cost iff its residual network has no negative
cycle, iff some node potentials leave no residual arc with a negative reduced cost.
Bellman-Ford from a virtual source joined to every node finds such potentials within
|nodes| rounds, and keeps improving past that only around a negative cycle. It runs in
int64 throughout, so when it settles the assignment is proven optimal, whatever made it.
"""

from __future__ import annotations

import numpy as np

from matching.solver.rooms import Rooms

# Potentials are sums of at most |nodes| arc costs; beyond this they might not fit in int64.
MAX_PATH_COST = 2**62


def potentials(n_nodes: int, tail: np.ndarray, head: np.ndarray, cost: np.ndarray) -> np.ndarray | None:
    """Shortest distances from a virtual source joined to every node at cost 0, or None
    when a negative cycle keeps them improving."""
    order = np.argsort(head, kind="stable")
    tail, head, cost = tail[order], head[order], cost[order]
    starts = np.flatnonzero(np.r_[True, head[1:] != head[:-1]]) if head.size else np.zeros(0, np.int64)
    targets = head[starts]
    dist = np.zeros(n_nodes, dtype=np.int64)
    for _ in range(n_nodes + 1):
        if starts.size == 0:
            return dist
        best = np.minimum.reduceat(dist[tail] + cost, starts)
        better = best < dist[targets]
        if not better.any():
            return dist
        dist[targets[better]] = best[better]
    return None


def is_optimal(
    rooms: Rooms,
    free: np.ndarray,
    unassigned_cost: np.ndarray,
    p: np.ndarray,
    q: np.ndarray,
    cost: np.ndarray,
    assign: np.ndarray,
) -> bool:
    """Whether `assign` is a least-cost assignment of the free pupils over the edges
    (p, q, cost), each (p, q) at most once, given the room the fixed pupils leave."""
    n, m = free.size, rooms.placement.size
    used = assign[p] == q
    placed = assign >= 0
    if (placed & ~free).any() or not np.array_equal(np.bincount(p[used], minlength=n), placed.astype(int)):
        return False
    load = np.bincount(q[used], minlength=m)
    key = rooms.group_key(p, q)
    capped = key >= 0
    groups, group_of = np.unique(key[capped], return_inverse=True)
    group_q = groups // rooms.n_schools
    group_room = rooms.group(groups, group_q)
    group_load = np.bincount(group_of[used[capped]], minlength=groups.size)
    if (load > rooms.placement).any() or (group_load > group_room).any():
        return False
    # Nodes: pupils, groups, placements, sink. A used arc is left only backwards, at minus
    # its cost; a capacity arc forwards while it has room and backwards while it carries.
    n_groups = groups.size
    sink = n + n_groups + m
    entry = np.full(p.size, -1, dtype=np.int64)
    entry[capped] = n + group_of
    entry[~capped] = n + n_groups + q[~capped]
    pupils = np.flatnonzero(free)
    waiting = ~placed[pupils]
    group_node, place_node = n + np.arange(n_groups), n + n_groups + np.arange(m)
    group_fwd, group_back = group_load < group_room, group_load > 0
    place_fwd, place_back = load < rooms.placement, load > 0
    tail = np.concatenate(
        [
            np.where(used, entry, p),
            np.where(waiting, sink, pupils),
            group_node[group_fwd],
            n + n_groups + group_q[group_back],
            place_node[place_fwd],
            np.full(place_back.sum(), sink),
        ]
    )
    head = np.concatenate(
        [
            np.where(used, p, entry),
            np.where(waiting, pupils, sink),
            n + n_groups + group_q[group_fwd],
            group_node[group_back],
            np.full(place_fwd.sum(), sink),
            place_node[place_back],
        ]
    )
    arc_cost = np.concatenate(
        [
            np.where(used, -cost, cost),
            np.where(waiting, -unassigned_cost[pupils], unassigned_cost[pupils]),
            np.zeros(tail.size - p.size - pupils.size, dtype=np.int64),
        ]
    )
    n_nodes = sink + 1
    if int(np.abs(arc_cost).max(initial=0)) * n_nodes >= MAX_PATH_COST:
        return False
    return potentials(n_nodes, tail, head, arc_cost) is not None
