"""Re-optimising after a few pupils gain columns, by shortest paths instead of an LP.

When pricing finds only a few pupils with an edge of negative reduced cost, solving
their component's LP again (in big instances, nearly the whole problem) redoes from
scratch what the certified duals already know. Here those duals are node potentials of
the flow network pupil -> (school, placement) group -> placement -> sink: pupil y, group
-z - zg, placement -z, sink 0. Under them no residual arc has a negative reduced cost
but the new edges. Raising each such pupil's potential by its most negative reduced cost
mends its new edges but breaks the arc it uses, so that unit of flow is taken back: the
pupil has a unit to send and the arc's head one too few. Successive shortest paths then
send each unit to a node short of one, along a Dijkstra path on reduced costs that
searches only as far as it must, and move the potentials so that no arc turns negative.
The flow and potentials go back as primal and duals, for the caller's exact certificate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

if TYPE_CHECKING:
    from matching.solver.optimal import _Restricted

# Reduced cost that stands for "no residual capacity": far beyond any search limit.
CLOSED = 2.0**60
# Dijkstra's floats are exact for integers below 2**53; the searches stop well before.
LARGEST_LIMIT = 2.0**50


def _ranges(start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """The concatenated index ranges start[i]:stop[i]."""
    length = stop - start
    offset = np.cumsum(length) - length
    return np.repeat(start - offset, length) + np.arange(length.sum())


class _Network:
    """Residual network of the restricted problem; arc 2k is a forward arc, 2k + 1 its reverse."""

    def __init__(self, r: _Restricted, free: np.ndarray) -> None:
        n, m = r.n, r.rooms.placement.size
        capped = r.key >= 0
        groups, group_of = np.unique(r.key[capped], return_inverse=True)
        group_q = groups // r.rooms.n_schools
        group_room = np.zeros(groups.size, dtype=np.int64)
        group_room[group_of] = r.group_room[capped]
        n_groups = groups.size
        self.n, self.sink = n, n + n_groups + m
        entry = n + n_groups + r.q
        entry[capped] = n + group_of
        pupils = np.flatnonzero(free)
        placed = np.bincount(r.p[r.x], minlength=n) > 0
        group_load = np.bincount(group_of[r.x[capped]], minlength=n_groups)
        load = np.bincount(r.q[r.x], minlength=m)
        tail = np.concatenate([r.p, pupils, n + np.arange(n_groups), n + n_groups + np.arange(m)])
        head = np.concatenate(
            [entry, np.full(pupils.size, self.sink), n + n_groups + group_q, np.full(m, self.sink)]
        )
        cap = np.concatenate([np.ones(r.p.size + pupils.size, dtype=np.int64), group_room, r.rooms.placement])
        flow = np.concatenate([r.x, ~placed[pupils], group_load, load]).astype(np.int64)
        cost = np.concatenate([r.gain, np.zeros(tail.size - r.p.size, dtype=np.int64)])
        self.tail = np.column_stack([tail, head]).ravel()
        self.head = np.column_stack([head, tail]).ravel()
        self.cost = np.column_stack([cost, -cost]).ravel()
        self.residual = np.column_stack([cap - flow, flow]).ravel()
        self.n_edges, self.free = r.p.size, free
        self.group_q, self.group_of = group_q, group_of
        z_group = r.z[group_q] + r.group_dual(groups)
        self.potential = np.concatenate([r.y, -z_group, -r.z, [0]])
        # Arcs sorted by tail are the CSR matrix Dijkstra reads; `slot` finds an arc in it.
        self.order = np.argsort(self.tail, kind="stable")
        self.slot = np.empty_like(self.order)
        self.slot[self.order] = np.arange(self.order.size)
        self.indptr = np.r_[0, np.cumsum(np.bincount(self.tail, minlength=self.sink + 1))]
        self.by_head = np.argsort(self.head, kind="stable")
        self.head_ptr = np.r_[0, np.cumsum(np.bincount(self.head, minlength=self.sink + 1))]
        self.matrix = sp.csr_matrix(
            (self.weights(self.order), self.head[self.order], self.indptr), shape=(self.sink + 1,) * 2
        )

    def reduced(self, arcs: np.ndarray) -> np.ndarray:
        return self.cost[arcs] + self.potential[self.tail[arcs]] - self.potential[self.head[arcs]]

    def weights(self, arcs: np.ndarray) -> np.ndarray:
        return np.where(self.residual[arcs] > 0, self.reduced(arcs), CLOSED).astype(np.float64)

    def refresh(self, arcs: np.ndarray) -> None:
        self.matrix.data[self.slot[arcs]] = self.weights(arcs)

    def touching(self, nodes: np.ndarray) -> np.ndarray:
        """Every arc into or out of the nodes."""
        return np.concatenate(
            [
                self.order[_ranges(self.indptr[nodes], self.indptr[nodes + 1])],
                self.by_head[_ranges(self.head_ptr[nodes], self.head_ptr[nodes + 1])],
            ]
        )

    def arc(self, u: int, v: int) -> int:
        row = self.order[self.indptr[u] : self.indptr[u + 1]]
        return int(row[np.flatnonzero(self.head[row] == v)[0]])


def repair(r: _Restricted, free: np.ndarray, pupils: np.ndarray) -> bool:
    """Re-optimises `r` after edges of `pupils` (sorted) joined it. False when it gave up,
    leaving `r` for the LP to solve again."""
    net = _Network(r, free)
    open_arcs = net.residual > 0
    reduced = net.reduced(np.arange(net.tail.size))
    if (reduced[open_arcs & ~np.isin(net.tail, pupils)] < 0).any():
        return False
    short = np.zeros(net.sink + 1, dtype=np.int64)
    senders = []
    for p in pupils.tolist():
        out = net.order[net.indptr[p] : net.indptr[p + 1]]
        worst = int(reduced[out[open_arcs[out]]].min(initial=0))
        if worst >= 0:
            continue
        used = out[(net.residual[out ^ 1] > 0) & (out % 2 == 0)]
        if used.size != 1:
            return False
        net.potential[p] -= worst
        net.residual[used] += 1
        net.residual[used ^ 1] -= 1
        short[net.head[used]] += 1
        senders.append((p, -worst))
    net.refresh(np.arange(net.tail.size))
    if (net.reduced(np.arange(net.tail.size))[net.residual > 0] < 0).any():
        return False
    for p, bound in senders:
        if not _send(net, p, bound, short):
            return False
    _write_back(r, net)
    return True


def _send(net: _Network, source: int, bound: int, short: np.ndarray) -> bool:
    """One unit from `source` to the nearest node short of one, potentials following.
    `bound` is the reduced cost of the arc the unit was taken off: for the first unit
    that arc's head is short, so the search needs reach no further; later ones search
    further if they must."""
    limit = float(max(bound, 1))
    while True:
        dist, pred = dijkstra(net.matrix, indices=source, limit=limit + 0.5, return_predecessors=True)
        targets = np.flatnonzero((short > 0) & np.isfinite(dist))
        if targets.size:
            break
        if limit >= LARGEST_LIMIT:
            return False
        limit *= 4
    target = int(targets[np.argmin(dist[targets])])
    far = dist[target]
    moved = np.flatnonzero(dist < far)
    net.potential[moved] += np.rint(dist[moved] - far).astype(np.int64)
    path = []
    v = target
    while v != source:
        u = int(pred[v])
        path.append(net.arc(u, v))
        v = u
    arcs = np.array(path, dtype=np.int64)
    net.residual[arcs] -= 1
    net.residual[arcs ^ 1] += 1
    short[target] -= 1
    net.refresh(np.concatenate([net.touching(moved), arcs, arcs ^ 1]))
    return True


def _write_back(r: _Restricted, net: _Network) -> None:
    """Flow and potentials as LP primal and duals, sink potential 0. Where a node's
    potential would give a dual of the wrong sign, its row is slack and the dual 0."""
    phi = net.potential - net.potential[net.sink]
    n, n_groups = net.n, net.group_q.size
    r.x = net.residual[1 : 2 * net.n_edges : 2] > 0
    r.y = np.where(net.free, np.maximum(phi[:n], 0), 0)
    placement_phi = phi[n + n_groups : net.sink]
    r.z = np.maximum(-placement_phi, 0)
    group_dual = np.maximum(placement_phi[net.group_q] - phi[n : n + n_groups], 0)
    r.zg = np.zeros(net.n_edges, dtype=np.int64)
    r.zg[r.key >= 0] = group_dual[net.group_of]
