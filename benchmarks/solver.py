"""Solver benchmark: our `optimal` and `stable` against OR-Tools' SimpleMinCostFlow.

    python benchmarks/solver.py [--sizes 500,5000,50000,100000] [--seed 1]

Each measurement runs in its own subprocess so that peak memory (ru_maxrss) is its own.
"Solve" is the algorithm on a loaded instance: for us eligibility plus optimisation
(unlisted edges are built lazily, only where they can matter); for OR-Tools, building
the flow network and solving it, given the full eligible graph built by our eligibility
code (not timed). Objectives must be equal. Requires the `bench` extra (ortools).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import generate, to_bytes
from matching.solver import (
    assign_pupils,
    assignment_ranks,
    build_result,
    load_instance,
    objective,
    result_to_json,
)
from matching.solver.eligibility import UnlistedEdges, build_graph

SIZES = {500: 200, 5000: 1500, 50000: 15000, 100000: 20000}


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_ours(path: str) -> dict[str, Any]:
    data = Path(path).read_bytes()
    t0 = time.perf_counter()
    inst = load_instance(data)
    t1 = time.perf_counter()
    before = _rss_mb()
    graph, assign, has_unlisted = assign_pupils(inst)
    t2 = time.perf_counter()
    solve_peak = _peak_mb() - before
    result_to_json(build_result(inst, graph, assign, has_unlisted, input_sha256=""))
    t3 = time.perf_counter()
    rank = assignment_ranks(inst, assign)
    return {
        "load": t1 - t0,
        "solve": t2 - t1,
        "report": t3 - t2,
        "solve_mb": solve_peak,
        "peak_mb": _peak_mb(),
        "objective": objective(inst, assign, rank),
        "assigned": int((assign >= 0).sum()),
        "listed_edges": int(graph.pupil.size),
    }


def worker_ortools(path: str) -> dict[str, Any]:
    from ortools.graph.python import min_cost_flow

    inst = load_instance(Path(path).read_bytes())
    graph = build_graph(inst)
    up, uq = UnlistedEdges(inst).for_pupils(np.arange(inst.n_pupils))
    p = np.concatenate([graph.pupil, up])
    q = np.concatenate([graph.placement, uq])
    unit = np.concatenate([graph.cost, inst.weights[up] * inst.policy.unlisted_cost])
    free = np.ones(inst.n_pupils, dtype=bool)
    free[inst.fixed_pupil] = False
    keep = free[p]
    p, q, unit = p[keep], q[keep], unit[keep]
    before = _rss_mb()
    t0 = time.perf_counter()
    n, m = inst.n_pupils, inst.n_placements
    n_schools = max(len(inst.school_ids), 1)
    cap = inst.school_cap()
    room = inst.capacity - np.bincount(inst.fixed_placement, minlength=m)
    # Nodes: pupils, placements, sink, then one node per capped (school, placement) group.
    sink = n + m
    key = q * n_schools + inst.pupil_school[p]
    capped = cap[q] >= 0
    groups, group_of = np.unique(key[capped], return_inverse=True)
    g_q = groups // n_schools
    fixed_keys = inst.fixed_placement * n_schools + inst.pupil_school[inst.fixed_pupil]
    g_fixed = np.array([np.count_nonzero(fixed_keys == g) for g in groups]) if fixed_keys.size else 0
    head = n + q
    head[capped] = sink + 1 + group_of
    fp = np.flatnonzero(free)
    tails = np.concatenate([p, fp, n + np.arange(m), sink + 1 + np.arange(groups.size)])
    heads = np.concatenate([head, np.full(fp.size, sink), np.full(m, sink), n + g_q])
    caps = np.concatenate(
        [
            np.ones(p.size, dtype=np.int64),
            np.ones(fp.size, dtype=np.int64),
            np.maximum(room, 0),
            np.maximum(cap[g_q] - g_fixed, 0),
        ]
    )
    costs = np.concatenate(
        [unit, inst.weights[fp] * inst.policy.unassigned_cost, np.zeros(m + groups.size, dtype=np.int64)]
    )
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), caps.astype(np.int64), costs.astype(np.int64)
    )
    supplies = np.zeros(sink + 1 + groups.size, dtype=np.int64)
    supplies[fp] = 1
    supplies[sink] = -fp.size
    flow.set_nodes_supplies(np.arange(supplies.size, dtype=np.int32), supplies)
    status = flow.solve()
    t1 = time.perf_counter()
    if status != flow.OPTIMAL:
        raise SystemExit(f"OR-Tools status {status}")
    fixed_cost = 0
    for pi, qi in zip(inst.fixed_pupil.tolist(), inst.fixed_placement.tolist(), strict=True):
        prefs = inst.pref_placement[inst.pref_ptr[pi] : inst.pref_ptr[pi + 1]].tolist()
        costs_list = inst.policy.rank_costs
        unit_cost = (
            costs_list[min(prefs.index(qi) + 1, len(costs_list)) - 1]
            if qi in prefs
            else inst.policy.unlisted_cost
        )
        fixed_cost += int(inst.weights[pi]) * unit_cost
    nodes = n + m
    adjacency = sp.coo_matrix((np.ones(p.size), (p, n + q)), shape=(nodes, nodes))
    _, label = connected_components(adjacency, directed=False)
    sizes = np.bincount(label)
    return {
        "solve": t1 - t0,
        "solve_mb": _peak_mb() - before,
        "peak_mb": _peak_mb(),
        "objective": int(flow.optimal_cost()) + fixed_cost,
        "edges": int(p.size),
        "listed_edges": int(graph.pupil.size),
        "unlisted_edges": int(up.size),
        "components": int(sizes.size),
        "largest_component": int(sizes.max(initial=0)),
        "singletons": int((sizes == 1).sum()),
    }


def worker_stable(path: str) -> dict[str, Any]:
    inst = load_instance(Path(path).read_bytes())
    before = _rss_mb()
    t0 = time.perf_counter()
    _, assign, _ = assign_pupils(inst)
    t1 = time.perf_counter()
    return {"solve": t1 - t0, "solve_mb": _peak_mb() - before, "assigned": int((assign >= 0).sum())}


WORKERS = {"ours": worker_ours, "ortools": worker_ortools, "stable": worker_stable}


def run(worker: str, path: Path) -> dict[str, Any]:
    proc = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--worker", worker, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{worker} failed on {path}:\n{proc.stderr}")
    return json.loads(proc.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--worker", nargs=2, metavar=("NAME", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(WORKERS[args.worker[0]](args.worker[1])))
        return
    header = (
        f"{'pupils':>7} {'places':>6} {'ours s':>7} {'ours MB':>8} {'ortools s':>9} {'ortools MB':>10} "
        f"{'ratio':>6} {'equal':>5} {'stable s':>8} {'end-to-end s':>12} {'assigned':>8}"
    )
    print(header)
    stats = [
        f"{'pupils':>7} {'listed edges':>12} {'unlisted edges':>14} {'components':>10} "
        f"{'largest (nodes)':>16} {'singletons':>10}"
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(x) for x in args.sizes.split(",")):
            m = SIZES.get(n, max(1, n * 3 // 10))
            optimal_path = Path(tmp) / f"optimal-{n}.json"
            optimal_path.write_bytes(to_bytes(generate(n, m, args.seed)))
            stable_path = Path(tmp) / f"stable-{n}.json"
            stable_path.write_bytes(to_bytes(generate(n, m, args.seed, mode="stable", max_per_school=None)))
            ours = run("ours", optimal_path)
            peer = run("ortools", optimal_path)
            stable = run("stable", stable_path)
            total = ours["load"] + ours["solve"] + ours["report"]
            print(
                f"{n:>7} {m:>6} {ours['solve']:>7.3f} {ours['solve_mb']:>8.0f} {peer['solve']:>9.3f} "
                f"{peer['solve_mb']:>10.0f} {ours['solve'] / peer['solve']:>6.2f} "
                f"{ours['objective'] == peer['objective']!s:>5} {stable['solve']:>8.3f} {total:>12.3f} "
                f"{ours['assigned']:>8}",
                flush=True,
            )
            stats.append(
                f"{n:>7} {peer['listed_edges']:>12} {peer['unlisted_edges']:>14} {peer['components']:>10} "
                f"{peer['largest_component']:>16} {peer['singletons']:>10}"
            )
            if ours["objective"] != peer["objective"]:
                raise SystemExit(f"objectives differ: ours {ours['objective']}, OR-Tools {peer['objective']}")
    print()
    print("eligible graph (unlisted edges of every open pupil, as given to OR-Tools):")
    print("\n".join(stats))


if __name__ == "__main__":
    main()
