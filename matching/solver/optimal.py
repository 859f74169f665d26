"""Mode `optimal`: the minimum-cost assignment, exact in integers.

Small instances go to `assignment` (one sparse assignment problem, certified by
`certificate`); the rest take the column generation below.

The problem is a min-cost flow pupil -> (school, placement) -> placement -> sink. Its
constraint matrix (pupil rows against two nested families of placement rows) is totally
unimodular, so the LP has integral optimal vertices and integral optimal duals.

We work in *gains* (an edge's cost minus the pupil's unassigned cost; only negative gains
are worth an edge) and solve a restricted problem, then price the edges left out:

1. the restricted problem starts with the eligible listed edges only;
2. every pupil whose cheapest edge leads to an *uncontested* placement (one whose every
   neighbour fits within its capacity and school caps) takes it: moving a pupil there
   never hurts, so some optimum does it; this repeats while it frees more placements;
3. what remains is split into connected components, packed into LPs for HiGHS' simplex
   (`lp`) with only the rows that can bind (a placement row only when more pupils want
   it than it holds), each started from the basis its edges and rows last had; the LPs
   of one round are independent and run side by side, one per processor. Once pricing
   has merged the components, their LP is kept: later rounds add their columns and rows
   to it and carry on from where it stopped, instead of building it again. Before a
   primal simplex run, pupils the point leaves unplaced take columns with room
   (`_GreedyStart`) into the basis, each in place of its pupil's slack, so that the
   simplex need not pivot every one of them in;
4. an integer optimality certificate checks the whole restricted problem: integral
   primal and duals, non-negative reduced costs and complementary slackness;
5. unlisted edges are priced with those duals, by compatibility class (`pricing`): a
   pupil whose dual is at least its gain from any unlisted placement can gain nothing
   (placement duals are >= 0); each other pupil's few cheapest unlisted placements are
   read from its class's order of placements by dual, and from the k-d tree only where
   its travel limit binds; after the first round, a pupil that had nothing to gain
   last round, or all of whose gains joined, and whose dual has not fallen since, is
   priced only among the placements whose duals fell. Those of negative reduced cost
   (at most a few per unit of a placement's room, so that crowds of interchangeable
   unplaced pupils do not flood the LP) join the restricted problem, only the
   components they touch are solved again, and we repeat.
   When no reduced cost is negative, the certificate of the restricted problem holds for
   the full graph: the assignment is optimal;
6. when very few pupils gain columns in a round, `repair` re-optimises by shortest paths
   from the certified duals instead of solving their components' LP again (in big
   instances one component holds nearly everything), and the certificate checks its
   answer too.

The simplex runs from a warm basis the primal way when few columns are new, or when the
LP is so dual degenerate that the dual simplex stalls, or when a big LP's new columns are
mostly unlisted ones (see PRIMAL_FRESH_SHARE, PRIMAL_TIED_SHARE and
PRIMAL_FRESH_TIED_EDGES), and the dual way otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from matching.solver import lp
from matching.solver.assignment import solve_small
from matching.solver.eligibility import Graph
from matching.solver.instance import Instance
from matching.solver.pricing import GroupPrice, UnlistedPricing
from matching.solver.repair import repair
from matching.solver.rooms import Rooms, lookup

TOLERANCE = 1e-6
# Unlisted edges joining per pupil per round: few keep the LPs small, more save rounds.
# Every new edge is one more column the next simplex run has to price in, and the rounds
# that fewer edges add cost less than bigger re-solves (10,000 pupils, 4 against 16:
# the dense family's merged LP 0.3 s against 0.8 s, at most two more rounds in any family).
EDGES_PER_ROUND = 4
# ... and per placement, at most PER_ROOM per unit of room plus PER_PLACEMENT_EXTRA: a
# crowd of unplaced pupils who all want the same free places adds few columns per place.
PER_ROOM = 4
PER_PLACEMENT_EXTRA = 8
# Independent components are packed into LPs of about this many edges: HiGHS grows
# faster than linearly, and each call has a fixed cost.
BATCH_EDGES = 4000
# LPs solved at once: one per processor, but few, since each holds a HiGHS model in memory
# and a worker machine may run several jobs.
THREADS = min(4, os.cpu_count() or 1)
# Shortest-path repair beats re-solving the LP from the last basis only for a few pupils
# gaining columns (benchmark generator, 100,000 pupils: 48 pupils took three times longer).
REPAIR_PUPILS = 20
# A basis lacking only this share of new columns is optimal but for them: the primal
# simplex pivots them in (benchmark generator: 53 new of 370,000, 158 pivots against the
# dual's 18,600; 5,300 new of 220,000, 1.1 s against 1.5 s); with many new ones the
# dual simplex mostly does better (towns family, 10,000 pupils: 9,000 new of 33,000,
# 0.10 s against 0.30 s).
PRIMAL_FRESH_SHARE = 0.03
# ... and so does the primal simplex whatever the share, when at least this share of the
# edges cost their pupil the same as another of its edges (a pupil's unlisted placements
# all cost the same): so dual degenerate an LP takes the dual simplex many more pivots
# (handful family, 10,000 pupils, 79% tied: 11,000 pivots against 600 for 5% new
# columns, 0.37 s against 0.07 s; 43% new, 0.66 s against 0.35 s).
PRIMAL_TIED_SHARE = 0.5
# ... and so does the primal simplex, in an LP of at least this many edges, when that
# share of the columns new to it are tied: unlisted ones, which `_GreedyStart` mostly
# takes straight into the basis where they have room (national family, 100,000 pupils:
# the first unlisted round's merged LP, 59,500 new columns, 6.5 s against 16.3 s). Below
# it the dual simplex still does better (towns family, 10,000 pupils, 33,000 edges:
# 0.10 s against 0.20 s).
PRIMAL_FRESH_TIED_EDGES = 100_000


class SolverError(RuntimeError):
    """The LP answer could not be certified optimal."""


def _first_per_group(keys: np.ndarray) -> np.ndarray:
    """Indices of the first element of each run of equal keys (keys sorted)."""
    if keys.size == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])


def _positions(keys: np.ndarray, want: np.ndarray) -> np.ndarray:
    """The index in `keys` (unique, in any order) of each of `want`, -1 where absent."""
    order = np.argsort(keys, kind="stable")
    return lookup(keys[order], order, want, -1)


class _Restricted:
    """Edges of the restricted problem and their certified optimal primal and dual."""

    def __init__(self, rooms: Rooms, n_pupils: int) -> None:
        self.rooms = rooms
        self.n = n_pupils
        self.p = np.zeros(0, dtype=np.int64)
        self.q = np.zeros(0, dtype=np.int64)
        self.gain = np.zeros(0, dtype=np.int64)
        self.key = np.zeros(0, dtype=np.int64)
        self.group_room = np.zeros(0, dtype=np.int64)
        self.x = np.zeros(0, dtype=bool)
        self.zg = np.zeros(0, dtype=np.int64)
        self.y = np.zeros(n_pupils, dtype=np.int64)
        self.z = np.zeros(rooms.placement.size, dtype=np.int64)
        # The simplex basis each edge and row last had, to start the next LP from.
        self.col_status = np.zeros(0, dtype=np.int8)
        self.seen = np.zeros(0, dtype=bool)
        self.was_chosen = np.zeros(0, dtype=bool)
        self.group_status = np.zeros(0, dtype=np.int8)
        self.pupil_status = np.full(n_pupils, lp.UNKNOWN, dtype=np.int8)
        self.place_status = np.full(rooms.placement.size, lp.UNKNOWN, dtype=np.int8)
        # Once components merge, their LP is kept and grown with the columns priced in
        # (model_cols: its edges, model_rows: its rows named as in `_start_lp`).
        self.growing = False
        self.model: lp.Model | None = None
        self.model_cols = np.zeros(0, dtype=np.int64)
        self.model_rows = np.zeros(0, dtype=np.int64)

    def add(self, p: np.ndarray, q: np.ndarray, gain: np.ndarray) -> np.ndarray:
        """Adds the usable edges; returns their indices."""
        key = self.rooms.group_key(p, q)
        group_room = self.rooms.group(key, q)
        usable = (gain < 0) & (self.rooms.placement[q] > 0) & (group_room > 0)
        start = self.p.size
        self.p = np.concatenate([self.p, p[usable]])
        self.q = np.concatenate([self.q, q[usable]])
        self.gain = np.concatenate([self.gain, gain[usable]])
        self.key = np.concatenate([self.key, key[usable]])
        self.group_room = np.concatenate([self.group_room, group_room[usable]])
        self.x = np.concatenate([self.x, np.zeros(self.p.size - start, dtype=bool)])
        self.zg = np.concatenate([self.zg, np.zeros(self.p.size - start, dtype=np.int64)])
        added = self.p.size - start
        self.col_status = np.concatenate([self.col_status, np.full(added, lp.LOWER, dtype=np.int8)])
        self.group_status = np.concatenate([self.group_status, np.full(added, lp.UNKNOWN, dtype=np.int8)])
        self.seen = np.concatenate([self.seen, np.zeros(added, dtype=bool)])
        return np.arange(start, self.p.size)

    def components(self, idx: np.ndarray) -> np.ndarray:
        """Connected component label of each edge in idx (pupils and placements as nodes)."""
        n, m = self.n, self.rooms.placement.size
        graph = sp.coo_matrix((np.ones(idx.size), (self.p[idx], n + self.q[idx])), shape=(n + m, n + m))
        _, label = connected_components(graph, directed=False)
        return label[self.p[idx]]

    def solve(self, dirty: np.ndarray) -> None:
        """Re-solves the components holding the `dirty` edges; the others keep their
        certified answer, since nothing about them changed. Sets x (edge chosen), y (pupil
        duals), z (placement duals) and zg (edge group duals)."""
        self.was_chosen = self.x.copy()
        self.x[dirty] = False
        self.zg[dirty] = 0
        self.y[self.p[dirty]] = 0
        self.z[self.q[dirty]] = 0
        if self.seen.any():
            # Later LPs start from bases that already hold the pupils settled at first:
            # settling them again would only unsettle those bases.
            alive = dirty
            self.growing = True
            self.room_left, self.group_room_left = self.rooms.placement, self.group_room
        else:
            alive = self._settle_uncontested(dirty)
        idx = np.flatnonzero(alive)
        label = self.components(idx)
        order = np.argsort(label, kind="stable")
        idx, label = idx[order], label[order]
        starts = _first_per_group(label)
        bounds = np.r_[starts, idx.size]
        lo, finish = 0, []
        # Independent LPs run side by side (HiGHS lets go of the interpreter while it
        # solves); each one's answer depends on it alone, and they are taken in order.
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            for hi in bounds[1:].tolist():
                if hi - lo >= BATCH_EDGES or hi == idx.size:
                    finish.append(self._start_lp(np.sort(idx[lo:hi]), pool))
                    lo = hi
            for done in finish:
                done()
        # A group's dual is every edge's of the group, also of those whose pupil settled
        # elsewhere and so never reached the LP.
        self.zg = self.group_dual(self.key)
        self._certify()

    def _contested(
        self, idx: np.ndarray, room: np.ndarray, group_room: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Placements wanted by more pupils than they hold, and binding groups (edges)."""
        degree = np.bincount(self.q[idx], minlength=room.size)
        over = degree > room
        by_group = idx[np.argsort(self.key[idx], kind="stable")]
        keys = self.key[by_group]
        starts = _first_per_group(keys)
        sizes = np.diff(np.r_[starts, keys.size])
        binding = (keys[starts] >= 0) & (sizes > group_room[by_group[starts]])
        over[self.q[by_group[starts[binding]]]] = True
        return over, by_group, np.repeat(binding, sizes)

    def _settle_uncontested(self, alive: np.ndarray) -> np.ndarray:
        # Components partition the placements, so rooms of clean ones do not matter here.
        alive = alive.copy()
        room = self.rooms.placement.copy()
        group_room = self.group_room.copy()
        while True:
            idx = np.flatnonzero(alive)
            if idx.size == 0:
                break
            over, _, _ = self._contested(idx, room, group_room)
            # Stable sort: among equal gains the earliest edge wins, deterministically.
            by_gain = idx[np.lexsort((self.gain[idx], self.p[idx]))]
            best = by_gain[_first_per_group(self.p[by_gain])]
            settle = best[~over[self.q[best]]]
            if settle.size == 0:
                break
            self.x[settle] = True
            self.y[self.p[settle]] = -self.gain[settle]
            np.subtract.at(room, self.q[settle], 1)
            settled = np.zeros(self.n, dtype=bool)
            settled[self.p[settle]] = True
            # In a later LP a settled pupil's row is tight and its edge basic.
            self.col_status[idx[settled[self.p[idx]]]] = lp.LOWER
            self.col_status[settle] = lp.BASIC
            self.seen[idx[settled[self.p[idx]]]] = True
            self.pupil_status[self.p[settle]] = lp.UPPER
            alive &= ~settled[self.p]
            keys, used = np.unique(self.key[settle][self.key[settle] >= 0], return_counts=True)
            group_room -= lookup(keys, used, self.key, 0)
        self.room_left, self.group_room_left = room, group_room
        return alive

    def _start_lp(self, idx: np.ndarray, pool: ThreadPoolExecutor) -> Callable[[], None]:
        """Sets the LP of the edges idx solving in the pool; the function returned takes
        its answer in."""
        room, group_room = self.room_left, self.group_room_left
        pupils, p_row = np.unique(self.p[idx], return_inverse=True)
        _, by_group, binding_sorted = self._contested(idx, room, group_room)
        places = np.flatnonzero(np.bincount(self.q[idx], minlength=room.size) > room)
        q_row = lookup(places, np.arange(places.size), self.q[idx], -1)
        # Group rows only where the group cap is tighter than the placement's own room.
        g_edges = by_group[binding_sorted]
        g_edges = g_edges[group_room[g_edges] < room[self.q[g_edges]]]
        g_keys, g_row_of = np.unique(self.key[g_edges], return_inverse=True)
        local = lookup(idx, np.arange(idx.size), g_edges, -1)
        g_row = np.full(idx.size, -1, dtype=np.int64)
        g_row[local] = g_row_of
        n_p, n_q, n_g = pupils.size, places.size, g_keys.size
        e = np.arange(idx.size)
        has_q, has_g = q_row >= 0, g_row >= 0
        rows = np.concatenate([p_row, n_p + q_row[has_q], n_p + n_q + g_row[has_g]])
        cols = np.concatenate([e, e[has_q], e[has_g]])
        g_first = lookup(self.key[g_edges], g_edges, g_keys, -1) if n_g else np.zeros(0, dtype=np.int64)
        b = np.concatenate([np.ones(n_p), room[places], group_room[g_first]]).astype(np.float64)
        # Rows named across LPs: pupils, then placements, then group keys.
        n, m = self.n, room.size
        row_id = np.concatenate([pupils, n + places, n + m + g_keys])
        primal = self._primal_pays(idx)
        # Each edge's rows: its pupil's, its placement's and its group's (-1: none).
        edge_rows = np.stack(
            [p_row, np.where(has_q, n_p + q_row, -1), np.where(has_g, n_p + n_q + g_row, -1)]
        )
        start = _GreedyStart(edge_rows, b, self.gain[idx], _scramble(self.p[idx], self.q[idx]), primal)
        model = self._grown(idx, row_id, rows, cols, b, start) if self.growing else None
        if model is None:
            a = sp.csc_matrix((np.ones(rows.size), (rows, cols)), shape=(row_id.size, idx.size))
            # A group row's status is kept on the edges of the LP it was a row of, and its
            # other edges (new ones, a settled pupil's) know none: taking theirs would make
            # the slack of a row at its bound basic beside the column basic for it, and the
            # basis singular, which HiGHS mends by moving off the point it stands for.
            group_status = np.full(n_g, lp.UNKNOWN, dtype=np.int8)
            np.maximum.at(group_status, g_row_of, self.group_status[g_edges])
            row_status = np.concatenate([self.pupil_status[pupils], self.place_status[places], group_status])
            row_status[row_status == lp.UNKNOWN] = lp.BASIC
            col_status, chosen = self.col_status[idx].copy(), self.was_chosen[idx].copy()
            started = start.columns(col_status, row_status, chosen)
            col_status[started] = lp.BASIC
            row_status[p_row[started]] = lp.UPPER
            chosen[started] = True
            model = lp.Model(self.gain[idx].astype(np.float64), a, b, col_status, row_status, ~chosen)
        running = pool.submit(model.run, primal=primal)
        return lambda: self._finish_lp(idx, model, running.result(), row_id, pupils, places, g_row)

    def _primal_pays(self, idx: np.ndarray) -> bool:
        """Whether the LP of edges idx, from the basis its edges last had, is for the primal
        simplex rather than the dual (see PRIMAL_FRESH_SHARE, PRIMAL_TIED_SHARE and
        PRIMAL_FRESH_TIED_EDGES)."""
        fresh = idx[~self.seen[idx]]
        if fresh.size < PRIMAL_FRESH_SHARE * idx.size:
            return True
        if (
            idx.size >= PRIMAL_FRESH_TIED_EDGES
            and _tied_share(self.p[fresh], self.gain[fresh]) >= PRIMAL_TIED_SHARE
        ):
            return True
        return _tied_share(self.p[idx], self.gain[idx]) >= PRIMAL_TIED_SHARE

    def _finish_lp(
        self,
        idx: np.ndarray,
        model: lp.Model,
        res: lp.Solution | None,
        row_id: np.ndarray,
        pupils: np.ndarray,
        places: np.ndarray,
        g_row: np.ndarray,
    ) -> None:
        if res is None:
            raise SolverError("HiGHS did not solve the assignment LP")
        if model is self.model:
            col_at = _positions(self.model_cols, idx)
            row_at = _positions(self.model_rows, row_id)
            res = lp.Solution(
                x=res.x[col_at],
                row_dual=res.row_dual[row_at],
                col_status=res.col_status[col_at],
                row_status=res.row_status[row_at],
            )
        elif self.growing and (self.model is None or idx.size > self.model_cols.size):
            # The biggest is kept: small components cost little to build afresh.
            self.model, self.model_cols, self.model_rows = model, idx, row_id
        n_p, n_q = pupils.size, places.size
        has_g = g_row >= 0
        x = np.rint(res.x)
        duals = np.rint(-res.row_dual)
        off_x = np.abs(res.x - x).max(initial=0)
        off_dual = np.abs(-res.row_dual - duals).max(initial=0)
        if off_x > TOLERANCE or off_dual > TOLERANCE:
            raise SolverError("the assignment LP returned a fractional vertex")
        self.col_status[idx] = res.col_status
        self.seen[idx] = True
        self.pupil_status[pupils] = res.row_status[:n_p]
        self.place_status[places] = res.row_status[n_p : n_p + n_q]
        self.group_status[idx[has_g]] = res.row_status[n_p + n_q :][g_row[has_g]]
        duals = duals.astype(np.int64)
        self.x[idx[x == 1]] = True
        self.y[pupils] = duals[:n_p]
        self.z[places] = duals[n_p : n_p + n_q]
        self.zg[idx[has_g]] = duals[n_p + n_q :][g_row[has_g]]

    def _grown(
        self,
        idx: np.ndarray,
        row_id: np.ndarray,
        rows: np.ndarray,
        cols: np.ndarray,
        b: np.ndarray,
        start: _GreedyStart,
    ) -> lp.Model | None:
        """The kept LP with the columns and rows of this one it lacks, started from the
        point it stopped at with `start`'s columns taken in; or None when it holds
        anything this one does not (then it is built afresh)."""
        if self.model is None:
            return None
        col_at = _positions(self.model_cols, idx)
        row_at = _positions(self.model_rows, row_id)
        old_cols, old_rows = self.model_cols.size, self.model_rows.size
        if (col_at >= 0).sum() < old_cols or (row_at >= 0).sum() < old_rows:
            return None
        new_cols, new_rows = np.flatnonzero(col_at < 0), np.flatnonzero(row_at < 0)
        col_at[new_cols] = old_cols + np.arange(new_cols.size)
        row_at[new_rows] = old_rows + np.arange(new_rows.size)
        at_row, at_col = row_at[rows], col_at[cols]
        in_new_col = (at_col >= old_cols) & (at_row < old_rows)
        col_part = sp.csc_matrix(
            (np.ones(in_new_col.sum()), (at_row[in_new_col], at_col[in_new_col] - old_cols)),
            shape=(old_rows, new_cols.size),
        )
        in_new_row = at_row >= old_rows
        row_part = sp.csr_matrix(
            (np.ones(in_new_row.sum()), (at_row[in_new_row] - old_rows, at_col[in_new_row])),
            shape=(new_rows.size, old_cols + new_cols.size),
        )
        self.model.add(self.gain[idx[new_cols]].astype(np.float64), col_part, b[new_rows], row_part)
        self.model_cols = np.concatenate([self.model_cols, idx[new_cols]])
        self.model_rows = np.concatenate([self.model_rows, row_id[new_rows]])
        # The kept LP's own basis and point, not the edges' (a repair since may have moved
        # the primal without it).
        col_status, row_status, at_one = self.model.basis()
        started = start.columns(col_status[col_at], row_status[row_at], at_one[col_at])
        self.model.take_in(col_at[started], row_at[start.pupil_row(started)])
        return self.model

    def _certify(self) -> None:
        if not self.certified():
            raise SolverError("the assignment LP answer failed its optimality certificate")

    def certified(self) -> bool:
        """LP duality in integers: the restricted primal is optimal iff these all hold."""
        x = self.x
        reduced = self.gain + self.y[self.p] + self.z[self.q] + self.zg
        pupil_load = np.bincount(self.p[x], minlength=self.n)
        load = np.bincount(self.q[x], minlength=self.z.size)
        keys, group_load = np.unique(self.key[x & (self.key >= 0)], return_counts=True)
        edge_group_load = lookup(keys, group_load, self.key, 0)
        group_full = edge_group_load == self.group_room
        # One dual per group row: every edge of a group carries the same one.
        by_key = np.argsort(self.key, kind="stable")
        same_group = self.key[by_key][1:] == self.key[by_key][:-1]
        return bool(
            (self.zg[self.key < 0] == 0).all()
            and (self.zg[by_key][1:] == self.zg[by_key][:-1])[same_group].all()
            and (pupil_load <= 1).all()
            and (load <= self.rooms.placement).all()
            and (edge_group_load <= self.group_room).all()
            and (self.y >= 0).all()
            and (self.z >= 0).all()
            and (self.zg >= 0).all()
            and (reduced >= 0).all()
            and (reduced[x] == 0).all()
            and (pupil_load[self.y > 0] == 1).all()
            and (load[self.z > 0] == self.rooms.placement[self.z > 0]).all()
            and group_full[self.zg > 0].all()
        )

    def reset(self) -> None:
        self.x[:] = False
        self.zg[:] = 0
        self.y[:] = 0
        self.z[:] = 0

    def group_dual(self, key: np.ndarray) -> np.ndarray:
        return self.group_prices()(key)

    def group_prices(self) -> GroupPrice:
        """The group duals as they stand, as a function of group keys: pricing asks for
        them band after band, and each answer from scratch sorts every edge's key."""
        return _priced(*self.group_table())

    def group_table(self) -> tuple[np.ndarray, np.ndarray]:
        """The keys of the groups whose dual is above 0, sorted, and those duals."""
        has = self.zg > 0
        keys, first = np.unique(self.key[has], return_index=True)
        return keys, self.zg[has][first]


def _priced(keys: np.ndarray, duals: np.ndarray) -> GroupPrice:
    """Group keys' duals, from the sorted keys of the groups whose dual is above 0."""
    return lambda key: lookup(keys, duals, key, 0)


# Rounds of offers in `_GreedyStart`: each places every pupil whose best column with
# room is not outbid for it; after a few rounds each places few.
GREEDY_ROUNDS = 16


def _rank_among_equal(keys: np.ndarray) -> np.ndarray:
    """Each element's place among the elements of equal key, in the order given."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    rank = np.empty(keys.size, dtype=np.int64)
    rank[order] = np.arange(keys.size) - np.searchsorted(sorted_keys, sorted_keys)
    return rank


class _GreedyStart:
    """Columns a primal simplex run starts with in its basis: each pupil that the point
    the basis stands for leaves unplaced takes, best gain first, a column whose every row
    has room left and a basic slack.

    The primal simplex brings columns in one pivot at a time, and each pivot scans every
    column of the LP, so a round in which pricing gives thousands of unplaced pupils
    columns into free places costs pivots by the thousand, each dearer the bigger the
    round (handful family, 30,000 pupils: 20,600 pivots for the first unlisted round's
    44,000 columns, 1.6 s; 100,000 pupils: 71,000 pivots, 28 s). Such a column taken into
    the basis in place of its pupil's slack leaves a basis (its placement's and group's
    rows keep their slack basic, so the column is no combination of the others) whose
    point is the old one with the pupil placed, feasible since its rows had room; the
    simplex then starts that much nearer the optimum (8,700 and 30,700 pivots), and the
    certificate judges its answer as always. The dual simplex is left the basis it had:
    a primal start would only cost it dual feasibility."""

    def __init__(
        self, edge_rows: np.ndarray, b: np.ndarray, gain: np.ndarray, spread: np.ndarray, primal: bool
    ) -> None:
        """edge_rows: each column's pupil row, placement row and group row (-1: none); b:
        each row's bound; spread: a tie-break among equal gains."""
        self.edge_rows, self.b, self.gain, self.spread, self.primal = edge_rows, b, gain, spread, primal

    def pupil_row(self, cols: np.ndarray) -> np.ndarray:
        return self.edge_rows[0][cols]

    def columns(self, col_status: np.ndarray, row_status: np.ndarray, chosen: np.ndarray) -> np.ndarray:
        """The columns to take in (sorted), given the basis (statuses) and the point
        (chosen: the columns at 1) the LP stands at."""
        if not self.primal:
            return np.zeros(0, dtype=np.int64)
        at = self.edge_rows
        # Room left on every row at that point; the last entry stands for "no row".
        left = np.r_[self.b, np.inf]
        for row in at:
            np.subtract.at(left, row[chosen & (row >= 0)], 1)
        open_row = np.r_[row_status == lp.BASIC, True] & (left > 0.5)
        ok = (col_status == lp.LOWER) & ~chosen
        for row in at:
            ok &= open_row[row]
        cand = np.flatnonzero(ok)
        order = cand[np.lexsort((self.spread[cand], self.gain[cand]))]
        taken = []
        for _ in range(GREEDY_ROUNDS):
            # Every pupil offers its best column; a row takes the first offers it has room for.
            _, first = np.unique(at[0][order], return_index=True)
            offer = order[np.sort(first)]
            took = np.ones(offer.size, dtype=bool)
            for row in at[1:]:
                took &= _rank_among_equal(row[offer]) < left[row[offer]]
            got = offer[took]
            if got.size == 0:
                break
            taken.append(got)
            for row in at:
                np.subtract.at(left, row[got], 1)
            # Offers into rows that are now full, or of pupils now placed, are withdrawn.
            order = order[(left[at[:, order]] > 0.5).all(axis=0)]
        return np.sort(np.concatenate(taken)) if taken else np.zeros(0, dtype=np.int64)


def _tied_share(p: np.ndarray, gain: np.ndarray) -> float:
    """The share of edges that cost their pupil the same as another, earlier one of its
    edges."""
    order = np.lexsort((gain, p))
    p, gain = p[order], gain[order]
    tied = (p[1:] == p[:-1]) & (gain[1:] == gain[:-1])
    return float(tied.sum()) / max(p.size, 1)


def _scramble(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """A fixed pseudo-random tie-break per (pupil, placement) pair."""
    return (q * 2654435761 + p * 40503) % 4294967291


def _few_per_placement(p: np.ndarray, q: np.ndarray, reduced: np.ndarray, rooms: Rooms) -> np.ndarray:
    """Indices of the edges to join the restricted problem: only the most negative few per
    unit of a placement's room, so that a crowd of interchangeable pupils does not flood
    the LP with columns. Ties are broken by a fixed scramble of the pair, so that
    neighbours spread over the places."""
    spread = _scramble(p, q)
    by_place = np.lexsort((spread, reduced, q))
    first_q = np.searchsorted(q[by_place], q[by_place])
    limit = PER_ROOM * np.maximum(rooms.placement[q[by_place]], 1) + PER_PLACEMENT_EXTRA
    return np.sort(by_place[(np.arange(by_place.size) - first_q) < limit])


class _UnlistedRounds:
    """Prices the unlisted edges round after round.

    A pupil gains from an unlisted placement whose price (its dual, plus its group's where
    a school cap binds) is below the pupil's bound: what an unlisted placement saves over
    leaving the pupil unassigned, less the pupil's dual. A pupil all of whose placements
    priced below its bound last round joined the restricted problem (so are priced at it
    or above now), or that had none, and whose bound has not risen since, can only gain
    now from a placement whose price fell: it is priced among those alone. In the later
    rounds few duals move, and most pupils still wanting are those with no room near
    them, whom pricing in full would ask the k-d tree about round after round."""

    def __init__(self, unlisted: UnlistedPricing, may_want: np.ndarray, unlisted_gain: np.ndarray) -> None:
        self.unlisted = unlisted
        self.may_want = may_want
        self.unlisted_gain = unlisted_gain
        # Last round's bounds and prices, and the pupils that may have had more placements
        # priced below their bound than joined (before the first round, all are priced).
        self.below: np.ndarray | None = None
        self.z = np.zeros(0, dtype=np.int64)
        self.groups = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        self.unsure = np.zeros(may_want.size, dtype=bool)

    def violated(self, restricted: _Restricted) -> tuple[np.ndarray, np.ndarray]:
        """The unlisted edges to join the restricted problem: of negative reduced cost, the
        most negative few per pupil and per placement."""
        below = -self.unlisted_gain - restricted.y
        # Placement and group duals are >= 0: a pupil whose bound is not above 0 gains nothing.
        wanting = self.may_want & (below > 0)
        changed = wanting if self.below is None else wanting & (self.unsure | (below > self.below))
        groups = restricted.group_table()
        price = _priced(*groups)
        cheapest = self.unlisted.cheapest
        parts = [cheapest(np.flatnonzero(changed), restricted.z, EDGES_PER_ROUND, price, below)]
        if self.below is not None:
            steady = np.flatnonzero(wanting & ~changed)
            fallen = self._fallen(restricted.z, groups)
            parts.append(cheapest(steady, restricted.z, EDGES_PER_ROUND, price, below, among=fallen))
        up, uq, prices = (np.concatenate(x) for x in zip(*parts, strict=True))
        reduced = self.unlisted_gain[up] + restricted.y[up] + prices
        take = _few_per_placement(up, uq, reduced, restricted.rooms)
        left_out = np.ones(up.size, dtype=bool)
        left_out[take] = False
        self.below, self.z, self.groups = below, restricted.z.copy(), groups
        # A pupil given k placements may have had more below its bound.
        self.unsure = np.bincount(up, minlength=below.size) >= EDGES_PER_ROUND
        self.unsure[up[left_out]] = True
        return up[take], uq[take]

    def _fallen(self, z: np.ndarray, groups: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """The placements priced lower than last round, for some school or for all."""
        fallen = z < self.z
        keys, duals = self.groups
        fell = lookup(*groups, keys, 0) < duals
        fallen[keys[fell] // self.unlisted.rooms.n_schools] = True
        return fallen


class _Waiting:
    """Listed edges not yet in the restricted problem. A crowd that all list the same few
    placements (everybody ranking the same handful) would put every pupil in the first
    LP, when only the few best per placement can win a place: the others are priced with
    the duals each round, like unlisted edges, and join when they could gain."""

    def __init__(self, p: np.ndarray, q: np.ndarray, gain: np.ndarray, rooms: Rooms) -> None:
        usable = (gain < 0) & (rooms.placement[q] > 0) & (rooms.group(rooms.group_key(p, q), q) > 0)
        self.p, self.q, self.gain = p[usable], q[usable], gain[usable]
        self.rooms = rooms

    def first(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The few best edges of each placement; the rest wait."""
        return self._take(_few_per_placement(self.p, self.q, self.gain, self.rooms))

    def violated(self, restricted: _Restricted) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        p, q = self.p, self.q
        reduced = (
            self.gain + restricted.y[p] + restricted.z[q] + restricted.group_dual(self.rooms.group_key(p, q))
        )
        neg = np.flatnonzero(reduced < 0)
        return self._take(neg[_few_per_placement(p[neg], q[neg], reduced[neg], self.rooms)])

    def _take(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        taken = self.p[idx], self.q[idx], self.gain[idx]
        keep = np.ones(self.p.size, dtype=bool)
        keep[idx] = False
        self.p, self.q, self.gain = self.p[keep], self.q[keep], self.gain[keep]
        return taken


def solve_optimal(inst: Instance, graph: Graph) -> tuple[np.ndarray, np.ndarray]:
    """A minimum-cost assignment: placement index per pupil (-1 for unassigned), and which
    unassigned pupils had an eligible unlisted placement (for the explanations)."""
    rooms = Rooms(inst)
    small = solve_small(inst, graph, rooms)
    if small is not None:
        return small
    free = np.ones(inst.n_pupils, dtype=bool)
    free[inst.fixed_pupil] = False
    unassigned_cost = inst.weights * inst.policy.unassigned_cost
    unlisted_gain = inst.weights * inst.policy.unlisted_cost - unassigned_cost
    restricted = _Restricted(rooms, inst.n_pupils)
    listed = free[graph.pupil]
    waiting = _Waiting(
        graph.pupil[listed],
        graph.placement[listed],
        graph.cost[listed] - unassigned_cost[graph.pupil[listed]],
        rooms,
    )
    dirty = restricted.add(*waiting.first())
    may_want_unlisted = free & inst.pupil_open & (unlisted_gain < 0)
    unlisted = UnlistedPricing(inst, rooms) if may_want_unlisted.any() else None
    rounds = None if unlisted is None else _UnlistedRounds(unlisted, may_want_unlisted, unlisted_gain)
    while True:
        if dirty.size:
            mask = np.zeros(restricted.p.size, dtype=bool)
            mask[dirty] = True
            restricted.solve(mask)
        lp_, lq, lgain = waiting.violated(restricted)
        up, uq = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        if rounds is not None:
            up, uq = rounds.violated(restricted)
        up, uq, gain = (
            np.concatenate([lp_, up]),
            np.concatenate([lq, uq]),
            np.concatenate([lgain, unlisted_gain[up]]),
        )
        if up.size == 0:
            break
        new = restricted.add(up, uq, gain)
        label = restricted.components(np.arange(restricted.p.size))
        dirty = np.flatnonzero(np.isin(label, label[new]))
        joined = np.unique(up)
        if joined.size <= REPAIR_PUPILS and repair(restricted, free, joined):
            dirty = dirty[:0]
            if not restricted.certified():
                # Repair paths may cross components through the sink: all are solved again.
                restricted.reset()
                dirty = np.arange(restricted.p.size)
    assign = np.full(inst.n_pupils, -1, dtype=np.int64)
    assign[inst.fixed_pupil] = inst.fixed_placement
    chosen = restricted.x
    assign[restricted.p[chosen]] = restricted.q[chosen]
    has_unlisted = np.zeros(inst.n_pupils, dtype=bool)
    if unlisted is not None:
        unplaced = np.flatnonzero(may_want_unlisted & (assign < 0))
        priced, _, _ = unlisted.cheapest(unplaced, np.zeros_like(restricted.z), 1)
        has_unlisted[unplaced] = np.isin(unplaced, priced)
    return assign, has_unlisted
