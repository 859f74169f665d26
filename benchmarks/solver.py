"""Solver benchmark: `placements solve` on rounds of every shape, against OR-Tools.

    python benchmarks/solver.py [--families national,dense,handful,towns] [--sizes 500,100000]
                                [--seed 1] [--memory-gb 8]

Families are those of `benchmarks.families`; a size is a number of pupils, with a fifth as
many placements (the `towns` family keeps its own ratios). For each family and size:

- ours: `placements solve INSTANCE -o RESULT` as its own process, wall time and peak memory
  (ru_maxrss) of the whole process (start-up, reading, solving, explaining, writing), and the
  solve time alone (eligibility and optimisation on a loaded instance, in a separate run);
- OR-Tools: SimpleMinCostFlow on the full eligible graph built by our eligibility code
  (building it is not timed, its memory is), its time and the peak memory of its process,
  skipped with a note when the pairs it would hold would not fit the memory allowed;
- whether the two objectives are equal, and `stable` on the same round (no school caps):
  solve time and whole process.

Nothing may pass the memory allowed: every process is watched and stopped there. The load
average is printed beside the figures, since other work on the machine slows them.
Requires the `bench` extra (ortools).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.families import FAMILIES, family
from benchmarks.generate import to_bytes
from matching.solver import (
    assign_pupils,
    assignment_ranks,
    build_result,
    load_instance,
    objective,
    result_to_json,
)
from matching.solver.eligibility import UnlistedEdges, _chord, _unit_vectors, build_graph, travel_limits

SIZES = (500, 5000, 100000)
SOLVE_ALONE_UP_TO = 5000
TOWNS_PLACEMENTS = {500: 200, 5000: 1500, 50000: 15000, 100000: 20000}
# Bytes an eligible pair costs the OR-Tools run (our pair arrays while building, and its
# arcs): measured at about 150 on the towns family, taken at 400 to be safe.
BYTES_PER_PAIR = 400


def placements_for(name: str, pupils: int) -> int:
    if name == "towns":
        return TOWNS_PLACEMENTS.get(pupils, max(1, pupils * 3 // 10))
    return max(1, pupils // 5)


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
    return {
        "solve": t1 - t0,
        "solve_mb": _peak_mb() - before,
        "peak_mb": _peak_mb(),
        "objective": int(flow.optimal_cost()) + fixed_cost,
        "edges": int(p.size),
    }


def worker_stable(path: str) -> dict[str, Any]:
    inst = load_instance(Path(path).read_bytes())
    t0 = time.perf_counter()
    _, assign, _ = assign_pupils(inst)
    t1 = time.perf_counter()
    return {"solve": t1 - t0, "assigned": int((assign >= 0).sum())}


def worker_pairs(path: str) -> dict[str, Any]:
    """Eligible pairs the OR-Tools run would hold, counted without building them: listed
    ones, unlisted ones by compatibility class, and for pupils with a binding travel
    limit the spatial placements within reach (ignoring year group and weeks: an upper
    bound)."""
    inst = load_instance(Path(path).read_bytes())
    source = UnlistedEdges(inst)
    limit = travel_limits(inst)
    limited = np.isfinite(limit) & ~np.isnan(inst.pupil_lat)
    spatial = ~inst.remote & ~np.isnan(inst.placement_lat)
    open_ = np.flatnonzero(inst.pupil_open)
    if source.compatible is None:
        per_type = np.full(source.p_type.max(initial=0) + 1, inst.n_placements)
        plain = per_type
    else:
        per_type = source.compatible[:, source.q_type].sum(axis=1)
        plain = (source.compatible[:, source.q_type] & ~spatial).sum(axis=1)
    near = open_[limited[open_]]
    reach = np.zeros(0, dtype=np.int64)
    if near.size and spatial.any():
        tree = cKDTree(_unit_vectors(inst.placement_lat[spatial], inst.placement_lon[spatial]))
        radius = np.array([_chord(float(km)) for km in limit[near]])
        reach = tree.query_ball_point(
            _unit_vectors(inst.pupil_lat[near], inst.pupil_lon[near]), radius, return_length=True
        )
    far = open_[~limited[open_]]
    unlisted = int(per_type[source.p_type[far]].sum() + plain[source.p_type[near]].sum() + np.sum(reach))
    return {"pairs": int(build_graph(inst).pupil.size) + unlisted}


WORKERS = {"ours": worker_ours, "ortools": worker_ortools, "stable": worker_stable, "pairs": worker_pairs}


def _watched(args: list[str], limit_mb: float) -> tuple[subprocess.CompletedProcess[str], float, float]:
    """Runs a process to its end, or stops it once its memory passes the limit; returns it,
    its wall time and its own peak memory in MB (ru_maxrss from wait4)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603
    output: dict[str, str] = {}
    readers = [
        threading.Thread(target=lambda k=k, f=f: output.__setitem__(k, f.read()), daemon=True)
        for k, f in (("out", proc.stdout), ("err", proc.stderr))
    ]
    for reader in readers:
        reader.start()
    killed = threading.Event()

    def watch() -> None:
        status = Path(f"/proc/{proc.pid}/status")
        while not done.is_set():
            try:
                lines = status.read_text().splitlines()
            except OSError:
                return
            rss = next((int(x.split()[1]) for x in lines if x.startswith("VmRSS")), 0)
            if rss / 1024 > limit_mb:
                killed.set()
                proc.kill()
                return
            time.sleep(0.05)

    done = threading.Event()
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    _, status, usage = os.wait4(proc.pid, 0)
    done.set()
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join()
    stderr = output.get("err", "")
    if killed.is_set():
        stderr = f"stopped: more than {limit_mb:.0f} MB\n" + stderr
    return (
        subprocess.CompletedProcess(args, proc.returncode, output.get("out", ""), stderr),
        wall,
        usage.ru_maxrss / 1024,
    )


def worker(name: str, path: Path, limit_mb: float) -> dict[str, Any]:
    proc, _, peak = _watched([sys.executable, __file__, "--worker", name, str(path)], limit_mb)
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed on {path}:\n{proc.stderr}")
    return {**json.loads(proc.stdout.splitlines()[-1]), "peak_mb": peak}


def solve_process(path: Path, out: Path, limit_mb: float) -> dict[str, Any]:
    """`placements solve` as a process of its own: wall time, peak memory, objective."""
    args = [sys.executable, "-c", "from matching.cli import solve; solve()", str(path), "-o", str(out)]
    proc, wall, peak = _watched(args, limit_mb)
    if proc.returncode != 0:
        raise SystemExit(f"placements solve failed on {path}:\n{proc.stderr}")
    result = json.loads(out.read_bytes())
    return {
        "wall": wall,
        "peak_mb": peak,
        "objective": result["objective"],
        "assigned": len(result["assignments"]),
    }


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def measure(name: str, n: int, seed: int, tmp: Path, limit_mb: float) -> str:
    m = placements_for(name, n)
    optimal_path, stable_path = tmp / f"{name}-{n}.json", tmp / f"{name}-{n}-stable.json"
    optimal_path.write_bytes(to_bytes(family(name, n, m, seed)))
    stable_path.write_bytes(to_bytes(family(name, n, m, seed, mode="stable")))
    ours = solve_process(optimal_path, tmp / "result.json", limit_mb)
    # The algorithm alone, for the small rounds whose target is in milliseconds.
    solve_only = worker("ours", optimal_path, limit_mb) if n <= SOLVE_ALONE_UP_TO else None
    stable_whole = solve_process(stable_path, tmp / "stable.json", limit_mb)
    stable = worker("stable", stable_path, limit_mb)
    pairs = worker("pairs", optimal_path, limit_mb)["pairs"]
    if pairs * BYTES_PER_PAIR > limit_mb * 2**20:
        peer = f"skipped: {pairs / 1e6:.0f}M pairs need over {limit_mb / 1024:.0f} GB"
        equal = "-"
    else:
        got = worker("ortools", optimal_path, limit_mb)
        peer = f"{got['solve']:>8.2f} {got['peak_mb']:>8.0f}"
        equal = str(got["objective"] == ours["objective"])
    alone = "-" if solve_only is None else f"{solve_only['solve']:.3f}"
    return (
        f"{name:<8} {n:>7} {m:>6} {ours['wall']:>8.2f} {ours['peak_mb']:>7.0f} {alone:>8} "
        f"{peer:>17} {equal:>5} {stable['solve']:>8.3f} {stable_whole['wall']:>8.2f} "
        f"{pairs / 1e6:>8.1f} {ours['assigned']:>7}  {load_average()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--families", default=",".join(FAMILIES), help="comma-separated, of " + ", ".join(FAMILIES)
    )
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="pupils, comma-separated")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--memory-gb", type=float, default=8.0, help="no process may use more (default 8)")
    parser.add_argument("--worker", nargs=2, metavar=("NAME", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(WORKERS[args.worker[0]](args.worker[1])))
        return
    print(
        f"{'family':<8} {'pupils':>7} {'places':>6} {'ours s':>8} {'ours MB':>7} {'solve s':>8} "
        f"{'OR-Tools s':>8} {'MB':>8} {'equal':>5} {'stable s':>8} {'stable p':>8} "
        f"{'M pairs':>8} {'placed':>7}  load average"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.families.split(","):
            for n in (int(x) for x in args.sizes.split(",")):
                print(measure(name, n, args.seed, Path(tmp), args.memory_gb * 1024), flush=True)
    print(
        "ours s, ours MB: `placements solve` as a whole process; solve s: the algorithm alone; "
        "stable s / stable p: stable solve alone / whole process"
    )


if __name__ == "__main__":
    main()
