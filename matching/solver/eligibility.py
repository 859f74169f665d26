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
# Pupils per k-d tree range query, and the most (pupil type x placement type) pairs
# worth a table; longer preference lists than PREF_MATRIX_WIDTH use sorted keys.
BATCH_PUPILS = 8192
MAX_TYPE_PAIRS = 1 << 16
PREF_MATRIX_WIDTH = 32


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


def pair_keys(p: np.ndarray, q: np.ndarray, n_placements: int) -> np.ndarray:
    return p.astype(np.int64) * max(n_placements, 1) + q


def in_sorted(keys: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
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
            pair_keys(inst.forbidden_pupil, inst.forbidden_placement, inst.n_placements)
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
        forbidden = in_sorted(pair_keys(p, q, inst.n_placements), self.forbidden_keys)
        reason[forbidden] = FORBIDDEN
        far = self.too_far(p, q)
        reason[far] = TOO_FAR
        shared, ok_year = self.week_year(p, q)
        reason[~shared] = NO_WEEK
        reason[~ok_year] = WRONG_YEAR
        return reason

    def week_year(self, p: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rules 3 (a shared week) and 2 (year group), each a bool per pair."""
        inst = self.inst
        checked = inst.pupil_has_weeks[p] & inst.placement_has_weeks[q]
        shared = ~checked
        shared[checked] = (inst.pupil_weeks[p[checked]] & inst.placement_weeks[q[checked]]).any(axis=1)
        year = inst.pupil_year[p]
        checked = inst.has_years[q] & (year != NO_YEAR)
        ok_year = ~checked
        ok_year[checked] = in_sorted(self._year_key(q[checked], year[checked]), self.year_keys)
        return shared, ok_year

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
    """Eligible unlisted placements of chosen pupils open to other placements.

    Rules 2 and 3 depend only on a pupil's (year group, weeks) and a placement's (year
    groups, weeks), which take few distinct values: they are decided once per pair of
    such types. Rule 4 uses the chord length the k-d tree already measured, and the exact
    haversine test only for pairs within a hair of the limit, so the outcome is the same
    as `Checker.too_far` pair by pair.
    """

    def __init__(self, inst: Instance, checker: Checker | None = None) -> None:
        self.inst = inst
        self.checker = checker or Checker(inst)
        lp, lq, _ = listed_pairs(inst)
        # Ineligible listed pairs must not come back as unlisted ones either.
        self.listed_keys = np.sort(pair_keys(lp, lq, inst.n_placements))
        lengths = np.diff(inst.pref_ptr)
        width = int(lengths.max(initial=0))
        self.pref_matrix: np.ndarray | None = None
        if width <= PREF_MATRIX_WIDTH:
            # Preferences padded to a small matrix: "is q listed by p" is a few gathers.
            m = np.full((inst.n_pupils, max(width, 1)), -1, dtype=np.int64)
            col = np.arange(inst.pref_placement.size) - np.repeat(inst.pref_ptr[:-1], lengths)
            m[np.repeat(np.arange(inst.n_pupils), lengths), col] = inst.pref_placement
            self.pref_matrix = m
        self.p_type, self.q_type, self.compatible = self._types()

    def _types(self) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        inst = self.inst
        p_rows = np.column_stack([inst.pupil_year, inst.pupil_has_weeks, inst.pupil_weeks.view(np.int64)])
        year_sets = {}
        set_id = np.empty(inst.n_placements, dtype=np.int64)
        ptr = inst.year_ptr.tolist()
        years = inst.year_groups.tolist()
        for i in range(inst.n_placements):
            set_id[i] = year_sets.setdefault(tuple(years[ptr[i] : ptr[i + 1]]), len(year_sets))
        q_rows = np.column_stack(
            [set_id, inst.has_years, inst.placement_has_weeks, inst.placement_weeks.view(np.int64)]
        )
        p_first, p_type = np.unique(p_rows, axis=0, return_index=True, return_inverse=True)[1:]
        q_first, q_type = np.unique(q_rows, axis=0, return_index=True, return_inverse=True)[1:]
        if p_first.size * q_first.size > MAX_TYPE_PAIRS:
            return p_type.ravel(), q_type.ravel(), None
        rp, rq = _cross(p_first, q_first)
        shared, ok_year = self.checker.week_year(rp, rq)
        return p_type.ravel(), q_type.ravel(), (shared & ok_year).reshape(p_first.size, q_first.size)

    def _week_year_ok(self, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        if self.compatible is not None:
            return self.compatible[self.p_type[p], self.q_type[q]]
        shared, ok_year = self.checker.week_year(p, q)
        return shared & ok_year

    def _listed(self, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        if self.pref_matrix is None:
            return in_sorted(pair_keys(p, q, self.inst.n_placements), self.listed_keys)
        hit = np.zeros(p.size, dtype=bool)
        for j in range(self.pref_matrix.shape[1]):
            hit |= self.pref_matrix[p, j] == q
        return hit

    def _keep(self, p: np.ndarray, q: np.ndarray, chord: np.ndarray | None) -> np.ndarray:
        """Eligible and unlisted; `chord` (unit-sphere distances) when rule 4 applies to
        every pair, None when it applies to none."""
        keep = self._week_year_ok(p, q)
        if chord is not None:
            limit = self.checker.limit[p]
            km = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(chord / 2, 1.0))
            unsure = np.abs(km - limit) <= 1e-7 * limit + 1e-6
            near = km <= limit
            near[unsure] = ~self.checker.too_far(p[unsure], q[unsure])
            keep &= near
        keep &= ~self._listed(p, q)
        if self.checker.forbidden_keys.size:
            keep &= ~in_sorted(pair_keys(p, q, self.inst.n_placements), self.checker.forbidden_keys)
        return keep

    def for_pupils(
        self, pupils: np.ndarray, places: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(pupil, placement) pairs sorted by pupil then placement; only placements among
        `places` (sorted) when given."""
        inst = self.inst
        pupils = pupils[inst.pupil_open[pupils]]
        places = np.arange(inst.n_placements) if places is None else places
        limit = self.checker.limit
        located_p = ~np.isnan(inst.pupil_lat[pupils]) & np.isfinite(limit[pupils])
        near_only, anywhere = pupils[located_p], pupils[~located_p]
        spatial = ~inst.remote[places] & ~np.isnan(inst.placement_lat[places])
        spatial_q, any_q = places[spatial], places[~spatial]
        m = max(inst.n_placements, 1)
        keys = []

        def collect(p: np.ndarray, q: np.ndarray, chord: np.ndarray | None) -> None:
            for lo in range(0, p.size, CHUNK):
                pp, qq = p[lo : lo + CHUNK], q[lo : lo + CHUNK]
                cc = None if chord is None else chord[lo : lo + CHUNK]
                ok = self._keep(pp, qq, cc)
                keys.append(pp[ok] * m + qq[ok])

        step = max(1, CHUNK // max(places.size, 1))
        for lo in range(0, anywhere.size, step):
            collect(*_cross(anywhere[lo : lo + step], places), None)
        if any_q.size:
            for lo in range(0, near_only.size, max(1, CHUNK // any_q.size)):
                collect(*_cross(near_only[lo : lo + max(1, CHUNK // any_q.size)], any_q), None)
        if near_only.size and spatial_q.size:
            tree_q = cKDTree(_unit_vectors(inst.placement_lat[spatial_q], inst.placement_lon[spatial_q]))
            bucket = np.floor(np.log(np.maximum(limit[near_only], 1e-3)) / np.log(1.25)).astype(np.int64)
            order = np.argsort(bucket, kind="stable")
            near_sorted, bucket = near_only[order], bucket[order]
            starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
            for lo, hi in zip(starts.tolist(), np.r_[starts[1:], bucket.size].tolist(), strict=True):
                group = near_sorted[lo:hi]
                radius = _chord(float(limit[group].max()))
                # Bounded batches of pupils keep the pair arrays small.
                step = max(1, BATCH_PUPILS)
                for b in range(0, group.size, step):
                    sub = group[b : b + step]
                    tree_p = cKDTree(_unit_vectors(inst.pupil_lat[sub], inst.pupil_lon[sub]))
                    pairs = tree_p.sparse_distance_matrix(tree_q, radius, output_type="ndarray")
                    collect(sub[pairs["i"]], spatial_q[pairs["j"]], pairs["v"])
        key = np.sort(np.concatenate(keys)) if keys else np.zeros(0, dtype=np.int64)
        return key // m, key % m
