"""Eligibility rules 2-5 of the format, vectorised over arrays of (pupil, placement) pairs.

The result is a sparse graph of every eligible listed preference. Unlisted placements of
pupils open to other placements are produced on demand for the pupils who might use them
(see `optimal`); candidates come from a k-d tree range query on unit vectors, so no
pupils x placements matrix is ever built unless the instance itself makes every pair a
candidate (open pupils without a travel limit).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from matching.solver.instance import EARTH_RADIUS_KM, NO_YEAR, Instance

OK, WRONG_YEAR, NO_WEEK, TOO_FAR, FORBIDDEN = range(5)
REASONS = ("eligible", "wrong year group", "no shared week", "too far", "forbidden")
CHUNK = 1 << 20


@dataclass(frozen=True)
class Graph:
    """Eligible listed (pupil, placement) edges, sorted by pupil then rank.

    `rank` is the 1-based position in the pupil's list.
    `pref_reason` is aligned with `Instance.pref_placement`: the rule each listed
    preference breaks (OK when eligible).
    """

    pupil: np.ndarray
    placement: np.ndarray
    rank: np.ndarray
    cost: np.ndarray
    pref_reason: np.ndarray


def haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    a = (
        np.sin((phi2 - phi1) / 2) ** 2
        + np.cos(phi1) * np.cos(phi2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def travel_limits(inst: Instance) -> np.ndarray:
    """Per pupil: the travel limit in km that applies, inf when none does."""
    policy = np.inf if inst.policy.max_travel_km is None else inst.policy.max_travel_km
    return np.minimum(inst.pupil_max_km, policy)


def _pair_keys(p: np.ndarray, q: np.ndarray, n_placements: int) -> np.ndarray:
    return p.astype(np.int64) * max(n_placements, 1) + q


def _in_sorted(keys: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    if sorted_keys.size == 0:
        return np.zeros(keys.shape, dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_keys, keys), sorted_keys.size - 1)
    return sorted_keys[pos] == keys


class Checker:
    """Applies rules 2-5 to pair arrays; built once per instance."""

    def __init__(self, inst: Instance) -> None:
        self.inst = inst
        self.limit = travel_limits(inst)
        q_of_year = np.repeat(np.arange(inst.n_placements), np.diff(inst.year_ptr))
        self.year_keys = self._year_key(q_of_year, inst.year_groups)
        self.forbidden_keys = np.unique(
            _pair_keys(inst.forbidden_pupil, inst.forbidden_placement, inst.n_placements)
        )

    @staticmethod
    def _year_key(q: np.ndarray, year: np.ndarray) -> np.ndarray:
        # Year groups are bounded by 1e9 at load, so the offset year fits in 32 bits.
        return (q.astype(np.int64) << 32) | (year + 2**31)

    def reasons(self, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        """The first rule each pair breaks, in the format's order, or OK."""
        out = np.empty(p.size, dtype=np.int8)
        for lo in range(0, p.size, CHUNK):
            out[lo : lo + CHUNK] = self._reasons(p[lo : lo + CHUNK], q[lo : lo + CHUNK])
        return out

    def _reasons(self, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        inst = self.inst
        reason = np.full(p.size, OK, dtype=np.int8)
        forbidden = _in_sorted(_pair_keys(p, q, inst.n_placements), self.forbidden_keys)
        reason[forbidden] = FORBIDDEN
        far = self.too_far(p, q)
        reason[far] = TOO_FAR
        checked = inst.pupil_has_weeks[p] & inst.placement_has_weeks[q]
        shared = ~checked
        shared[checked] = (inst.pupil_weeks[p[checked]] & inst.placement_weeks[q[checked]]).any(axis=1)
        reason[~shared] = NO_WEEK
        year = inst.pupil_year[p]
        checked = inst.has_years[q] & (year != NO_YEAR)
        ok_year = ~checked
        ok_year[checked] = _in_sorted(self._year_key(q[checked], year[checked]), self.year_keys)
        reason[~ok_year] = WRONG_YEAR
        return reason

    def too_far(self, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        inst = self.inst
        limit = self.limit[p]
        applies = (
            ~inst.remote[q]
            & np.isfinite(limit)
            & ~np.isnan(inst.pupil_lat[p])
            & ~np.isnan(inst.placement_lat[q])
        )
        far = np.zeros(p.size, dtype=bool)
        pa, qa = p[applies], q[applies]
        far[applies] = (
            haversine_km(
                inst.pupil_lat[pa], inst.pupil_lon[pa], inst.placement_lat[qa], inst.placement_lon[qa]
            )
            > limit[applies]
        )
        return far


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    phi, lam = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


def _chord(km: float) -> float:
    # Slightly generous: the exact haversine test runs on every candidate afterwards.
    angle = min(km / EARTH_RADIUS_KM, np.pi)
    return 2 * np.sin(angle / 2) * (1 + 1e-9) + 1e-12


def _cross(p: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.repeat(p, q.size), np.tile(q, p.size)


def unlisted_candidates(
    inst: Instance, limit: np.ndarray, pupils: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (pupil, placement) that may be within travel distance, listed ones included."""
    located_p = ~np.isnan(inst.pupil_lat[pupils]) & np.isfinite(limit[pupils])
    near_only, anywhere = pupils[located_p], pupils[~located_p]
    q_all = np.arange(inst.n_placements)
    spatial_q = np.flatnonzero(~inst.remote & ~np.isnan(inst.placement_lat))
    any_q = np.flatnonzero(inst.remote | np.isnan(inst.placement_lat))
    parts = [_cross(anywhere, q_all), _cross(near_only, any_q)]
    if near_only.size and spatial_q.size:
        tree_q = cKDTree(_unit_vectors(inst.placement_lat[spatial_q], inst.placement_lon[spatial_q]))
        # Pupils are bucketed by travel limit (in steps of 25%) so that one distant limit
        # does not widen the search for everyone else.
        bucket = np.floor(np.log(np.maximum(limit[near_only], 1e-3)) / np.log(1.25)).astype(np.int64)
        for b in np.unique(bucket):
            group = near_only[bucket == b]
            radius = _chord(float(limit[group].max()))
            tree_p = cKDTree(_unit_vectors(inst.pupil_lat[group], inst.pupil_lon[group]))
            pairs = tree_p.sparse_distance_matrix(tree_q, radius, output_type="ndarray")
            parts.append((group[pairs["i"]], spatial_q[pairs["j"]]))
    p = np.concatenate([x[0] for x in parts]).astype(np.int64)
    q = np.concatenate([x[1] for x in parts]).astype(np.int64)
    return p, q


def edge_costs(inst: Instance, p: np.ndarray, rank: np.ndarray) -> np.ndarray:
    costs = np.asarray(inst.policy.rank_costs, dtype=np.int64)
    listed_cost = costs[np.minimum(np.maximum(rank, 1), costs.size) - 1]
    per_unit = np.where(rank > 0, listed_cost, inst.policy.unlisted_cost)
    return inst.weights[p] * per_unit


def listed_pairs(inst: Instance) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pupil, placement, 1-based rank) of every listed preference, in list order."""
    p = np.repeat(np.arange(inst.n_pupils, dtype=np.int64), np.diff(inst.pref_ptr))
    rank = (np.arange(inst.pref_placement.size) - inst.pref_ptr[p] + 1).astype(np.int64)
    return p, inst.pref_placement, rank


def build_graph(inst: Instance, checker: Checker | None = None) -> Graph:
    """The eligible listed edges; unlisted ones come from `UnlistedEdges` on demand."""
    checker = checker or Checker(inst)
    p, q, rank = listed_pairs(inst)
    pref_reason = checker.reasons(p, q)
    ok = pref_reason == OK
    p, q, rank = p[ok], q[ok], rank[ok]
    return Graph(pupil=p, placement=q, rank=rank, cost=edge_costs(inst, p, rank), pref_reason=pref_reason)


class UnlistedEdges:
    """Eligible unlisted placements of chosen pupils open to other placements."""

    def __init__(self, inst: Instance, checker: Checker | None = None) -> None:
        self.inst = inst
        self.checker = checker or Checker(inst)
        lp, lq, _ = listed_pairs(inst)
        # Ineligible listed pairs must not come back as unlisted ones either.
        self.listed_keys = np.sort(_pair_keys(lp, lq, inst.n_placements))

    def for_pupils(self, pupils: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(pupil, placement) pairs sorted by pupil then placement."""
        inst = self.inst
        pupils = pupils[inst.pupil_open[pupils]]
        up, uq = unlisted_candidates(inst, self.checker.limit, pupils)
        fresh = ~_in_sorted(_pair_keys(up, uq, inst.n_placements), self.listed_keys)
        up, uq = up[fresh], uq[fresh]
        keep = self.checker.reasons(up, uq) == OK
        up, uq = up[keep], uq[keep]
        order = np.lexsort((uq, up))
        return up[order], uq[order]
