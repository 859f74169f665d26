"""Mode `optimal` on small instances: one sparse assignment problem instead of LPs.

Each HiGHS call of the column generation in `optimal` costs milliseconds even on a tiny
network, and small instances need several rounds. Below a size limit every eligible edge,
listed and unlisted, fits at once, and scipy's LAPJVsp (`min_weight_full_bipartite_matching`)
solves the whole problem in one call.

The flow network pupil -> (school, placement) -> placement is made bipartite with slots.
A capped group gets k = min(group room, placement room, its pupils) slots, each of a
pupil's edges into the group an edge to each slot; an uncapped placement is one such group
without the group room, and so are the pupils of a placement whose school cap is no
tighter than its room (the cap then follows from the room). Every pupil also has a slot of
its own for staying unassigned.
Where a placement's groups hold more slots than its room, each of those slots also gets a
gate row, matched at no cost either to its own slot (left empty) or to one of the
placement's `room` seats: a pupil in a slot sends its gate to a seat, so at most `room`
pupils get in. (Filler rows that may sit in any of the placement's slots do the same, but
they number slots minus room, each with an edge to every slot: where school caps split a
placement into many groups, 500 pupils of a round without travel limits needed 241,000
filler edges beside 34,000 of pupils, against 13,000 gate edges.)

LAPJVsp gives no duals and works in floating point, so `certificate.is_optimal` checks
the answer exactly; when it fails (never seen) the caller falls back to the LP method.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from matching.solver.certificate import is_optimal
from matching.solver.eligibility import Graph, UnlistedEdges
from matching.solver.instance import Instance
from matching.solver.rooms import Rooms

# Past about this many free pupils (or slot edges), LAPJVsp grows slower than column
# generation. At 5,000 pupils it is level with it on the benchmark generator, and ten times
# faster on the demo-shaped round (many remote placements open to many pupils).
MAX_PUPILS = 6000
MAX_SLOT_EDGES = 4_000_000
# Open pupils without a binding travel limit may take every placement of their class: past
# this many such pairs (a round without travel limits), class pricing in `optimal` is faster
# than building them all (5,000 pupils of the dense benchmark family: 1.7 M pairs, 9 s).
MAX_CLASS_PAIRS = 250_000
# LAPJVsp finds the least float sum; costs stay below 2**53, so every sum it forms is exact.
EXACT_FLOAT = 2**53


def _runs(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For runs of the given lengths: the run of each element and its offset within it."""
    run = np.repeat(np.arange(counts.size), counts)
    start = np.cumsum(counts) - counts
    return run, np.arange(run.size) - start[run]


def _class_pairs(inst: Instance, source: UnlistedEdges, free: np.ndarray) -> int:
    """Unlisted pairs of free open pupils without a binding travel limit (an upper bound
    when pupil types are too many for a table)."""
    limited = np.isfinite(source.checker.limit) & ~np.isnan(inst.pupil_lat)
    types = source.p_type[free & inst.pupil_open & ~limited]
    if source.compatible is None:
        return types.size * inst.n_placements
    return int(source.compatible[:, source.q_type].sum(axis=1)[types].sum())


def _edges(
    inst: Instance,
    graph: Graph,
    rooms: Rooms,
    free: np.ndarray,
    unassigned: np.ndarray,
    source: UnlistedEdges,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every edge worth having (cheaper than staying unassigned, with room), and which
    pupils have an unlisted one."""
    listed = free[graph.pupil] & (graph.cost < unassigned[graph.pupil])
    p, q, cost = graph.pupil[listed], graph.placement[listed], graph.cost[listed]
    n_listed = p.size
    unlisted_cost = inst.weights * inst.policy.unlisted_cost
    open_pupils = np.flatnonzero(free & inst.pupil_open & (unlisted_cost < unassigned))
    if open_pupils.size:
        up, uq = source.for_pupils(open_pupils)
        p, q = np.concatenate([p, up]), np.concatenate([q, uq])
        cost = np.concatenate([cost, unlisted_cost[up]])
    usable = (rooms.placement[q] > 0) & (rooms.group(rooms.group_key(p, q), q) > 0)
    has_unlisted = np.zeros(inst.n_pupils, dtype=bool)
    has_unlisted[p[n_listed:][usable[n_listed:]]] = True
    return p[usable], q[usable], cost[usable], has_unlisted


def solve_small(inst: Instance, graph: Graph, rooms: Rooms) -> tuple[np.ndarray, np.ndarray] | None:
    """As `optimal.solve_optimal`, or None when the instance is too big for this path or
    its answer cannot be certified."""
    n = inst.n_pupils
    free = np.ones(n, dtype=bool)
    free[inst.fixed_pupil] = False
    unassigned = inst.weights * inst.policy.unassigned_cost
    if free.sum() > MAX_PUPILS or int(unassigned.max(initial=0)) >= EXACT_FLOAT // max(n, 1):
        return None
    source = UnlistedEdges(inst)
    if _class_pairs(inst, source, free) > MAX_CLASS_PAIRS:
        return None
    p, q, cost, has_unlisted = _edges(inst, graph, rooms, free, unassigned, source)
    key = rooms.group_key(p, q)
    # A school cap no tighter than the placement's room binds nothing: such pupils join
    # the placement's own group, as on an uncapped placement, keyed below every capped
    # group. Fewer, fuller groups mean fewer slots and gates.
    key = np.where((key >= 0) & (rooms.group(key, q) < rooms.placement[q]), key, -1 - q)
    groups, group_of = np.unique(key, return_inverse=True)
    group_q = np.where(groups >= 0, groups // rooms.n_schools, -1 - groups)
    room = rooms.placement[group_q]
    slots = np.minimum(np.minimum(rooms.group(groups, group_q), room), np.bincount(group_of))
    first_slot = np.cumsum(slots) - slots
    n_slots = int(slots.sum())
    if int(slots[group_of].sum()) > MAX_SLOT_EDGES:
        return None
    edge, offset = _runs(slots[group_of])
    slot_group, _ = _runs(slots)
    slot_q = group_q[slot_group]
    seats = np.where(np.bincount(slot_q, minlength=inst.n_placements) > rooms.placement, rooms.placement, 0)
    gated = np.flatnonzero(seats[slot_q])
    gate_q = slot_q[gated]
    gate_seat, seat = _runs(seats[gate_q])
    first_seat = np.cumsum(seats) - seats
    pupils = np.flatnonzero(free)
    # Rows: the free pupils, then the gates. Columns: the slots, a pupil's own column for
    # staying unassigned, then the seats.
    row_of = np.full(n, -1, dtype=np.int64)
    row_of[pupils] = np.arange(pupils.size)
    gate_rows = pupils.size + np.arange(gated.size)
    rows = np.concatenate([row_of[p[edge]], np.arange(pupils.size), gate_rows, gate_rows[gate_seat]])
    cols = np.concatenate(
        [
            first_slot[group_of][edge] + offset,
            n_slots + pupils,
            gated,
            n_slots + n + first_seat[gate_q][gate_seat] + seat,
        ]
    )
    # Every row is matched exactly once, so adding 1 to every weight keeps the optimum, and
    # no weight is 0, which sparse graph routines may take for a missing edge.
    gates = np.zeros(gated.size + gate_seat.size, dtype=np.int64)
    weight = np.concatenate([cost[edge], unassigned[pupils], gates]) + 1
    shape = (pupils.size + gated.size, n_slots + n + int(seats.sum()))
    matrix = sp.csr_matrix((weight.astype(np.float64), (rows, cols)), shape=shape)
    assign = np.full(n, -1, dtype=np.int64)
    if shape[0]:
        matched_rows, matched_cols = min_weight_full_bipartite_matching(matrix)
        placed = (matched_rows < pupils.size) & (matched_cols < n_slots)
        assign[pupils[matched_rows[placed]]] = slot_q[matched_cols[placed]]
    if not is_optimal(rooms, free, unassigned, p, q, cost, assign):
        return None
    assign[inst.fixed_pupil] = inst.fixed_placement
    return assign, has_unlisted & (assign < 0)
