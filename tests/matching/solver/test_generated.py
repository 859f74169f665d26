"""A 500-pupil instance from the benchmark generator, solved and checked in full."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from benchmarks.generate import generate, to_bytes
from matching.solver import result_to_json, solve_bytes

from .reference import check_result, cost, gale_shapley, options, school_cap


def solve(inst: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return json.loads(result_to_json(solve_bytes(to_bytes(inst), **kwargs)))


def milp_optimum(inst: dict[str, Any]) -> int:
    """The optimum by a plain MILP over every eligible pair, built from the reference rules."""
    places = {q["id"]: i for i, q in enumerate(inst["placements"])}
    edges = []
    for i, p in enumerate(inst["pupils"]):
        edges.append((i, None, cost(inst, p, None)))
        edges.extend((i, q, cost(inst, p, q)) for q in options(inst, p, "optimal"))
    n_p, n_q = len(inst["pupils"]), len(places)
    rows, cols, lower, upper = [], [], [], []
    groups: dict[tuple[str, str], int] = {}
    for e, (i, q, _) in enumerate(edges):
        rows.append(i)
        cols.append(e)
        if q is not None:
            rows.append(n_p + places[q])
            cols.append(e)
            cap = school_cap(inst, inst["placements"][places[q]])
            if cap is not None:
                g = groups.setdefault((inst["pupils"][i]["school"], q), len(groups))
                rows.append(n_p + n_q + g)
                cols.append(e)
    lower = [1] * n_p + [0] * (n_q + len(groups))
    upper = [1] * n_p + [q["capacity"] for q in inst["placements"]]
    for _, q in groups:
        upper.append(school_cap(inst, inst["placements"][places[q]]))
    a = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(lower), len(edges)))
    c = np.array([x[2] for x in edges], dtype=float)
    res = milp(
        c, constraints=LinearConstraint(a, lower, upper), integrality=np.ones(len(edges)), bounds=Bounds(0, 1)
    )
    assert res.status == 0
    return round(res.fun)


@pytest.fixture(scope="module")
def instance() -> dict[str, Any]:
    return generate(500, 200, seed=11)


def test_optimal_500(instance: dict[str, Any]) -> None:
    result = solve(instance)
    check_result(instance, result)
    assert result["objective"] == milp_optimum(instance)
    assert result["metrics"]["assigned"] > 400


def test_stable_500() -> None:
    inst = generate(500, 200, seed=12, mode="stable", max_per_school=None, rankings=True)
    result = solve(inst)
    check_result(inst, result)
    assert result["metrics"]["blocking_pairs"] == 0
    got = {a["pupil"]: a["placement"] for a in result["assignments"]}
    assert got == {p: q for p, q in gale_shapley(inst).items() if q is not None}
