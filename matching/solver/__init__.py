"""The matching solver: a pure library implementing `spec/matching-format.md`.

Public API (plain data in, plain data out; no I/O besides parsing the given bytes):

- ``load_instance(data: bytes) -> Instance`` parses and validates an instance file's
  bytes, raising ``InstanceError`` whose message is one line naming the offending record.
- ``solve_bytes(data: bytes, *, mode: str | None = None, seed: int | None = None) -> Result``
  loads, solves and explains; ``mode`` and ``seed`` override the instance's policy.
  Raises ``InstanceError`` for an invalid instance and ``StableRefused`` (also an
  ``InstanceError``) when mode ``stable`` meets ``max_per_school``. ``SolverError`` means
  an optimum could not be certified exactly (a bug or numerical trouble, never expected).
- ``solve_instance(inst: Instance, *, input_sha256: str) -> Result`` for an already
  loaded instance (``with_overrides(inst, mode=..., seed=...)`` applies overrides); it is
  ``assign_pupils`` (the algorithm alone) followed by ``build_result`` (explanations,
  metrics), which benchmarks time separately.
- ``result_to_json(result: Result) -> bytes`` gives the canonical result bytes: the same
  instance always gives the same bytes.
"""

from __future__ import annotations

import dataclasses
import hashlib
from importlib.metadata import PackageNotFoundError, version

import numpy as np

from matching.solver.eligibility import OK, REASONS, Graph, build_graph
from matching.solver.explain import blocking_pairs, explanations
from matching.solver.instance import MAX_SEED, MODES, Instance, InstanceError, load_instance
from matching.solver.metrics import metrics
from matching.solver.optimal import SolverError, solve_optimal
from matching.solver.result import Result, result_to_json
from matching.solver.stable import StableRefused, solve_stable

__all__ = [
    "Instance",
    "InstanceError",
    "Result",
    "SolverError",
    "StableRefused",
    "assign_pupils",
    "assignment_ranks",
    "build_result",
    "load_instance",
    "objective",
    "result_to_json",
    "solve_bytes",
    "solve_instance",
    "solver_name",
    "with_overrides",
]


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"


def solver_name() -> str:
    """Our version and those of the libraries an answer can depend on (ties among equal
    optima are broken by their arithmetic)."""
    libraries = ", ".join(f"{name} {_version(name)}" for name in ("numpy", "scipy", "highspy"))
    return f"placements {_version('placements')} ({libraries})"


def with_overrides(inst: Instance, *, mode: str | None = None, seed: int | None = None) -> Instance:
    changes = {}
    if mode is not None:
        if mode not in MODES:
            raise InstanceError(f"mode must be one of {', '.join(MODES)}")
        changes["mode"] = mode
    if seed is not None:
        if not 0 <= seed <= MAX_SEED:
            raise InstanceError(f"seed must be a whole number between 0 and {MAX_SEED}")
        changes["seed"] = seed
    if not changes:
        return inst
    return dataclasses.replace(inst, policy=dataclasses.replace(inst.policy, **changes))


def assignment_ranks(inst: Instance, assign: np.ndarray) -> np.ndarray:
    """1-based rank of each pupil's placement in their list; 0 if unlisted or unassigned."""
    p = np.repeat(np.arange(inst.n_pupils), np.diff(inst.pref_ptr))
    pos = np.arange(inst.pref_placement.size) - inst.pref_ptr[p] + 1
    rank = np.zeros(inst.n_pupils, dtype=np.int64)
    hit = inst.pref_placement == assign[p]
    rank[p[hit]] = pos[hit]
    return rank


def objective(inst: Instance, assign: np.ndarray, rank: np.ndarray) -> int:
    policy = inst.policy
    costs = np.asarray(policy.rank_costs, dtype=np.int64)
    unit = np.where(
        assign < 0,
        policy.unassigned_cost,
        np.where(rank > 0, costs[np.minimum(rank, costs.size) - 1], policy.unlisted_cost),
    )
    # Python ints: the sum over a national round must not wrap.
    return sum((inst.weights * unit).tolist())


def assign_pupils(inst: Instance) -> tuple[Graph, np.ndarray, np.ndarray]:
    """The algorithm alone: the listed graph, the placement index per pupil (-1 for none),
    and which unassigned pupils had an eligible unlisted placement."""
    graph = build_graph(inst)
    if inst.policy.mode == "stable":
        return graph, solve_stable(inst, graph), np.zeros(inst.n_pupils, dtype=bool)
    assign, has_unlisted = solve_optimal(inst, graph)
    return graph, assign, has_unlisted


def solve_instance(inst: Instance, *, input_sha256: str) -> Result:
    graph, assign, has_unlisted = assign_pupils(inst)
    return build_result(inst, graph, assign, has_unlisted, input_sha256=input_sha256)


def build_result(
    inst: Instance, graph: Graph, assign: np.ndarray, has_unlisted: np.ndarray, *, input_sha256: str
) -> Result:
    mode = inst.policy.mode
    rank = assignment_ranks(inst, assign)
    stats = metrics(inst, assign, rank)
    if mode == "stable" or inst.ranked.any():
        stats["blocking_pairs"] = blocking_pairs(inst, graph, assign, rank)
    ids, places = inst.pupil_ids, inst.placement_ids
    fixed_pairs = set(zip(inst.fixed_pupil.tolist(), inst.fixed_placement.tolist(), strict=True))
    pref_p = np.repeat(np.arange(inst.n_pupils), np.diff(inst.pref_ptr))
    dropped = [
        {"pupil": ids[p], "placement": places[q], "reason": REASONS[r]}
        for p, q, r in zip(
            pref_p.tolist(), inst.pref_placement.tolist(), graph.pref_reason.tolist(), strict=True
        )
        if r != OK and (p, q) not in fixed_pairs
    ]
    stats["dropped_preferences"] = len(dropped)
    placed = np.flatnonzero(assign >= 0)
    return Result(
        mode=mode,
        objective=objective(inst, assign, rank),
        assignments=[
            {"pupil": ids[p], "placement": places[q], "rank": r or None}
            for p, q, r in zip(placed.tolist(), assign[placed].tolist(), rank[placed].tolist(), strict=True)
        ],
        unassigned=[ids[p] for p in np.flatnonzero(assign < 0).tolist()],
        dropped_preferences=dropped,
        metrics=stats,
        explanations=explanations(inst, graph, assign, rank, mode, has_unlisted),
        seed=inst.policy.seed,
        input_sha256=input_sha256,
        solver=solver_name(),
    )


def solve_bytes(data: bytes, *, mode: str | None = None, seed: int | None = None) -> Result:
    inst = with_overrides(load_instance(data), mode=mode, seed=seed)
    return solve_instance(inst, input_sha256=hashlib.sha256(data).hexdigest())
