"""The pieces that keep a national round fast: unlisted edges asked for only into some
placements (class pricing has its own tests), and LPs started from an earlier basis,
each against the plain answer."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from benchmarks.families import family
from benchmarks.generate import to_bytes
from matching.solver import assign_pupils, assignment, load_instance, lp, optimal, pricing
from matching.solver.eligibility import UnlistedEdges

from .strategies import instances

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def pairs(p: np.ndarray, q: np.ndarray) -> set[tuple[int, int]]:
    return set(zip(p.tolist(), q.tolist(), strict=True))


@SETTINGS
@given(instances(max_pupils=6, max_placements=5), st.randoms(use_true_random=False))
def test_unlisted_edges_into_some_placements(inst: dict[str, Any], rnd: Any) -> None:
    data = load_instance(json.dumps(inst).encode())
    source = UnlistedEdges(data)
    pupils = np.arange(data.n_pupils)
    places = np.array(sorted(rnd.sample(range(data.n_placements), rnd.randint(0, data.n_placements))))
    everywhere = pairs(*source.for_pupils(pupils))
    p, q = source.for_pupils(pupils, places.astype(np.int64))
    assert pairs(p, q) == {(a, b) for a, b in everywhere if b in set(places.tolist())}
    assert list(zip(p.tolist(), q.tolist(), strict=True)) == sorted(pairs(p, q))


def _assignment_lp(
    rng: np.random.Generator, n_pupils: int, n_places: int, *, n_edges: int, dearest: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, sp.csc_matrix, np.ndarray]:
    """A random pupil-to-placement assignment LP: each edge's pupil and placement, the costs
    (gains as negative costs, from -dearest to -1), the matrix (pupil rows, then placement
    rows) and the bounds (1 a pupil, 1 or 2 places a placement)."""
    p = rng.integers(0, n_pupils, n_edges)
    q = rng.integers(0, n_places, n_edges)
    keep = np.unique(p * n_places + q, return_index=True)[1]
    p, q = p[keep], q[keep]
    cost = -rng.integers(1, dearest, p.size).astype(np.float64)
    e = np.arange(p.size)
    a = sp.csc_matrix(
        (np.ones(2 * p.size), (np.r_[p, n_pupils + q], np.r_[e, e])), shape=(n_pupils + n_places, p.size)
    )
    b = np.r_[np.ones(n_pupils), rng.integers(1, 3, n_places)].astype(np.float64)
    return p, q, cost, a, b


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_lp_from_any_basis_finds_the_optimum(seed: int) -> None:
    """A pupil-to-placement assignment LP, started cold, from its own optimal basis, and
    from random statuses (wrong counts and singular ones included)."""
    rng = np.random.default_rng(seed)
    n_pupils, n_places = 8, 4
    p, _, cost, a, b = _assignment_lp(rng, n_pupils, n_places, n_edges=20, dearest=20)
    best = linprog(cost, A_ub=a, b_ub=b, bounds=(0, None), method="highs").fun
    n_rows = n_pupils + n_places
    cold = lp.solve(
        cost,
        a,
        b,
        np.full(p.size, lp.LOWER, dtype=np.int8),
        np.full(n_rows, lp.BASIC, dtype=np.int8),
        np.ones(p.size, dtype=bool),
        primal=False,
    )
    assert cold is not None and np.isclose(cost @ cold.x, best)
    assert int((cold.col_status == lp.BASIC).sum() + (cold.row_status == lp.BASIC).sum()) == n_rows
    starts = [(cold.col_status, cold.row_status)] + [
        (
            rng.choice([lp.LOWER, lp.BASIC], p.size).astype(np.int8),
            rng.choice([lp.BASIC, lp.UPPER], n_rows).astype(np.int8),
        )
        for _ in range(3)
    ]
    for col_status, row_status in starts:
        for primal in (False, True):
            warm = lp.solve(cost, a, b, col_status, row_status, cold.x < 0.5, primal=primal)
            assert warm is not None and np.isclose(cost @ warm.x, best)
            assert np.isclose(b @ warm.row_dual, best)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.booleans())
def test_lp_grown_by_columns_and_rows_finds_the_optimum(seed: int, primal: bool) -> None:
    """An assignment LP solved with some edges and placement rows, then given the rest in
    place, ends where the whole LP solved at once does."""
    rng = np.random.default_rng(seed)
    n_pupils, n_places, n_edges = 8, 4, 24
    p = rng.integers(0, n_pupils, n_edges)
    q = rng.integers(0, n_places, n_edges)
    keep = np.unique(p * n_places + q, return_index=True)[1]
    p, q = p[keep], q[keep]
    cost = -rng.integers(1, 20, p.size).astype(np.float64)
    room = rng.integers(1, 3, n_places).astype(np.float64)
    rows = np.r_[p, n_pupils + q]
    cols = np.r_[np.arange(p.size), np.arange(p.size)]
    whole = sp.csc_matrix((np.ones(rows.size), (rows, cols)), shape=(n_pupils + n_places, p.size))
    best = linprog(
        cost, A_ub=whole, b_ub=np.r_[np.ones(n_pupils), room], bounds=(0, None), method="highs"
    ).fun
    # First every pupil row and the first placements' rows, over the first edges.
    first_cols, first_rows = max(1, p.size // 2), n_pupils + n_places // 2
    a = whole[:first_rows, :first_cols].tocsc()
    model = lp.Model(
        cost[:first_cols],
        a,
        np.r_[np.ones(n_pupils), room[: n_places // 2]],
        np.full(first_cols, lp.LOWER, dtype=np.int8),
        np.full(first_rows, lp.BASIC, dtype=np.int8),
        np.ones(first_cols, dtype=bool),
    )
    assert model.run(primal=False) is not None
    model.add(
        cost[first_cols:],
        whole[:first_rows, first_cols:].tocsc(),
        room[n_places // 2 :],
        whole[first_rows:, :].tocsr(),
    )
    grown = model.run(primal=primal)
    assert grown is not None and np.isclose(cost @ grown.x, best)
    assert np.isclose(np.r_[np.ones(n_pupils), room] @ grown.row_dual, best)
    assert int((grown.col_status == lp.BASIC).sum() + (grown.row_status == lp.BASIC).sum()) == whole.shape[0]


def test_merged_lp_starts_from_the_bases_of_its_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """When pricing merges components, their LP starts from the bases the parts ended
    with: one basic variable per row already, group rows included, so that none has to be
    guessed away (a wrong guess leaves the basis singular, and HiGHS's mend moves the
    start off the point the parts ended at)."""
    counts: list[tuple[int, int]] = []
    build = lp.Model.__init__

    def spy(self: lp.Model, *args: Any) -> None:
        _, _, _, col_status, row_status, _ = args
        if (col_status == lp.BASIC).any():
            basic = int((col_status == lp.BASIC).sum() + (row_status == lp.BASIC).sum())
            counts.append((basic, row_status.size))
        build(self, *args)

    monkeypatch.setattr(assignment, "MAX_PUPILS", -1)
    monkeypatch.setattr(lp.Model, "__init__", spy)
    assign_pupils(load_instance(to_bytes(family("dense", 2000, 400, seed=1))))
    assert counts
    assert all(basic == rows for basic, rows in counts)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_greedy_start_keeps_a_basis_at_a_feasible_point(seed: int) -> None:
    """Columns taken into a grown LP's basis before it runs again: one per pupil the point
    leaves unplaced, only into rows with room; the statuses stay a nonsingular basis whose
    point is the old one with those pupils placed, and the run ends at the optimum."""
    rng = np.random.default_rng(seed)
    n_pupils, n_places = 10, 4
    p, q, cost, whole, b = _assignment_lp(rng, n_pupils, n_places, n_edges=30, dearest=4)
    best = linprog(cost, A_ub=whole, b_ub=b, bounds=(0, None), method="highs").fun
    first = max(1, p.size // 3)
    model = lp.Model(
        cost[:first],
        whole[:, :first].tocsc(),
        b,
        np.full(first, lp.LOWER, dtype=np.int8),
        np.full(b.size, lp.BASIC, dtype=np.int8),
        np.ones(first, dtype=bool),
    )
    assert model.run(primal=True) is not None
    model.add(cost[first:], whole[:, first:].tocsc(), np.zeros(0), sp.csr_matrix((0, p.size)))
    col_status, row_status, at_one = (x.copy() for x in model.basis())
    edge_rows = np.stack([p, n_pupils + q, np.full(p.size, -1)])
    start = optimal._GreedyStart(edge_rows, b, cost.astype(np.int64), optimal._scramble(p, q), primal=True)
    taken = start.columns(col_status, row_status, at_one)
    assert not at_one[taken].any() and (col_status[taken] == lp.LOWER).all()
    assert (row_status[p[taken]] == lp.BASIC).all() and (row_status[n_pupils + q[taken]] == lp.BASIC).all()
    point = at_one.copy()
    point[taken] = True
    assert (whole @ point <= b + 1e-9).all()
    model.take_in(taken, start.pupil_row(taken))
    cols, rows, _ = model.basis()
    basis = np.c_[whole.toarray()[:, cols == lp.BASIC], np.eye(b.size)[:, rows == lp.BASIC]]
    assert basis.shape == (b.size, b.size) and np.linalg.matrix_rank(basis) == b.size
    # Columns and slacks out of the basis are 0, so the basic ones solve basis @ x = b.
    assert np.allclose(np.linalg.solve(basis, b)[: (cols == lp.BASIC).sum()], point[cols == lp.BASIC])
    grown = model.run(primal=True)
    assert grown is not None and np.isclose(cost @ grown.x, best)


def test_band_starts_share_out_the_cheapest_block(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pupils of different groups take their first band from different parts of a block of
    equal prices wider than a band; every order stays sorted by price."""
    monkeypatch.setattr(pricing, "BAND_FIRST", 4)
    z = np.r_[np.zeros(13), 5, 5, 9].astype(np.int64)
    by_price = np.r_[np.arange(13)[::-1], 13, 14, 15]
    pupils = np.arange(40)
    starts = pricing._band_starts(by_price, z, pupils)
    assert len(starts) == 3
    assert np.array_equal(np.sort(np.concatenate([asking for _, asking in starts])), pupils)
    firsts = []
    for order, asking in starts:
        assert np.array_equal(np.sort(order), np.sort(by_price))
        assert (np.diff(z[order]) >= 0).all()
        assert asking.size and (np.diff(asking) > 0).all()
        firsts.append(set(order[: pricing.BAND_FIRST].tolist()))
    assert not (firsts[0] & firsts[1] or firsts[0] & firsts[2] or firsts[1] & firsts[2])
    # A block no wider than a band is read by everybody from its front.
    assert len(pricing._band_starts(by_price[8:], z, pupils)) == 1
