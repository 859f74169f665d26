"""The matching instance: parsing and validating `placements-instance/1` into plain arrays.

Pupils and placements are re-ordered by id so that every index, and so every tie-break
and the lottery, depends only on the content of the instance and never on its layout.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from matching.solver.fields import (
    MAX_COUNT,
    InstanceError,
    coordinates,
    flag,
    is_int,
    optional_number,
    parse_json,
    record,
    record_id,
    string_list,
    whole_number,
)

FORMAT = "placements-instance/1"
# Bounds keep every cost product exact in int64 and float64 (< 2**53).
MAX_COST = 10**9
MAX_WEIGHT = 10**5
MAX_SEED = 2**63 - 1
EARTH_RADIUS_KM = 6371.0088
NO_YEAR = -(2**62)

MODES = ("optimal", "stable")
POLICY_DEFAULTS: dict[str, Any] = {
    "mode": "optimal",
    "rank_costs": [1, 4, 9, 16, 25, 36, 49, 64, 81, 100],
    "unlisted_cost": 200,
    "unassigned_cost": 10000,
    "priority_weight": 1,
    "max_travel_km": None,
    "max_per_school": None,
    "seed": 0,
}
PLACEMENT_KEYS = {
    "id",
    "capacity",
    "employer",
    "lat",
    "lon",
    "remote",
    "year_groups",
    "weeks",
    "max_per_school",
}
PUPIL_KEYS = {
    "id",
    "school",
    "year_group",
    "lat",
    "lon",
    "max_travel_km",
    "priority",
    "weeks",
    "preferences",
    "open_to_other",
}
TOP_KEYS = {"format", "policy", "placements", "pupils", "placement_rankings", "fixed", "forbidden"}


@dataclass(frozen=True)
class Policy:
    mode: str
    rank_costs: tuple[int, ...]
    unlisted_cost: int
    unassigned_cost: int
    priority_weight: int
    max_travel_km: float | None
    max_per_school: int | None
    seed: int


@dataclass(frozen=True)
class Instance:
    """Arrays indexed by pupil (sorted by id) and by placement (sorted by id).

    Missing values: NaN for coordinates, inf for travel limits, NO_YEAR for year groups,
    -1 for per-placement school caps. Weeks and year groups have "given" flags: a rule
    applies only when both sides give theirs, and an empty list that is given matches
    nothing. Preferences, placement year groups and rankings are CSR (pointer + flat index
    arrays). Weeks are bit masks, one uint64 word per 64 weeks.
    """

    policy: Policy
    pupil_ids: list[str]
    school_ids: list[str]
    pupil_school: np.ndarray
    pupil_year: np.ndarray
    pupil_lat: np.ndarray
    pupil_lon: np.ndarray
    pupil_max_km: np.ndarray
    pupil_priority: np.ndarray
    pupil_weeks: np.ndarray
    pupil_has_weeks: np.ndarray
    pupil_open: np.ndarray
    pref_ptr: np.ndarray
    pref_placement: np.ndarray
    placement_ids: list[str]
    capacity: np.ndarray
    placement_lat: np.ndarray
    placement_lon: np.ndarray
    remote: np.ndarray
    has_years: np.ndarray
    year_ptr: np.ndarray
    year_groups: np.ndarray
    placement_weeks: np.ndarray
    placement_has_weeks: np.ndarray
    placement_cap: np.ndarray
    ranked: np.ndarray
    ranking_ptr: np.ndarray
    ranking_pupil: np.ndarray
    fixed_pupil: np.ndarray
    fixed_placement: np.ndarray
    forbidden_pupil: np.ndarray
    forbidden_placement: np.ndarray
    weights: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        w = 1 + self.policy.priority_weight * self.pupil_priority
        object.__setattr__(self, "weights", w.astype(np.int64))

    @property
    def n_pupils(self) -> int:
        return len(self.pupil_ids)

    @property
    def n_placements(self) -> int:
        return len(self.placement_ids)

    def school_cap(self) -> np.ndarray:
        """Per placement: the cap on pupils from one school, or -1 for none."""
        default = -1 if self.policy.max_per_school is None else self.policy.max_per_school
        return np.where(self.placement_cap >= 0, self.placement_cap, default)

    def uses_school_caps(self) -> bool:
        return self.policy.max_per_school is not None or bool((self.placement_cap >= 0).any())


def _parse_policy(raw: Any) -> Policy:
    if raw is None:
        raw = {}
    raw = record("policy", raw, set(POLICY_DEFAULTS), ())
    p = {**POLICY_DEFAULTS, **raw}
    if p["mode"] not in MODES:
        raise InstanceError('policy: mode must be "optimal" or "stable"')
    costs = p["rank_costs"]
    if not isinstance(costs, list) or not costs or not all(is_int(c) and 0 <= c <= MAX_COST for c in costs):
        raise InstanceError(
            f"policy: rank_costs must be a non-empty list of whole numbers between 0 and {MAX_COST}"
        )
    cap = p["max_per_school"]
    return Policy(
        mode=p["mode"],
        rank_costs=tuple(costs),
        unlisted_cost=whole_number("policy", "unlisted_cost", p["unlisted_cost"], low=None, high=MAX_COST),
        unassigned_cost=whole_number(
            "policy", "unassigned_cost", p["unassigned_cost"], low=None, high=MAX_COST
        ),
        priority_weight=whole_number(
            "policy", "priority_weight", p["priority_weight"], low=None, high=MAX_WEIGHT
        ),
        max_travel_km=optional_number("policy", "max_travel_km", p["max_travel_km"]),
        max_per_school=None if cap is None else whole_number("policy", "max_per_school", cap),
        seed=whole_number("policy", "seed", p["seed"], high=MAX_SEED),
    )


def _csr(lists: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    ptr = np.zeros(len(lists) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(x) for x in lists])
    flat = np.fromiter((v for x in lists for v in x), dtype=np.int64, count=int(ptr[-1]))
    return ptr, flat


def _week_masks(rows: list[list[str]], index: dict[str, int], words: int) -> np.ndarray:
    # Few distinct week lists: build each one's mask once, then gather.
    distinct: dict[tuple[str, ...], int] = {}
    which = np.fromiter(
        (distinct.setdefault(tuple(weeks), len(distinct)) for weeks in rows), dtype=np.int64, count=len(rows)
    )
    ptr, flat = _csr([[index[w] for w in weeks] for weeks in distinct])
    row = np.repeat(np.arange(len(distinct)), np.diff(ptr))
    masks = np.zeros((len(distinct), words), dtype=np.uint64)
    np.bitwise_or.at(masks, (row, flat // 64), np.left_shift(np.uint64(1), (flat % 64).astype(np.uint64)))
    return masks[which] if len(rows) else np.zeros((0, words), dtype=np.uint64)


def _parse_placements(raw: Any, policy: Policy) -> tuple[list[dict[str, Any]], dict[str, int]]:
    if not isinstance(raw, list):
        raise InstanceError("placements: must be a list")
    seen: set[str] = set()
    records = []
    for n, rec in enumerate(raw, start=1):
        where = f"placement #{n}"
        if isinstance(rec, dict) and isinstance(rec.get("id"), str) and rec["id"]:
            where = f"placement {rec['id']}"
        rec = record(where, rec, PLACEMENT_KEYS, ("id", "capacity"))
        pid = record_id(where, rec["id"])
        if pid in seen:
            raise InstanceError(f"{where}: id is used twice")
        seen.add(pid)
        capacity = whole_number(where, "capacity", rec["capacity"])
        if "employer" in rec and rec["employer"] is not None and not isinstance(rec["employer"], str):
            raise InstanceError(f"{where}: employer must be a string")
        lat, lon = coordinates(where, rec)
        years = rec.get("year_groups")
        if years is not None and (
            not isinstance(years, list) or not all(is_int(y) and abs(y) <= MAX_COUNT for y in years)
        ):
            raise InstanceError(f"{where}: year_groups must be a list of whole numbers")
        weeks = rec.get("weeks")
        if weeks is not None:
            string_list(where, "weeks", weeks)
        cap = rec.get("max_per_school")
        records.append(
            {
                "id": pid,
                "capacity": capacity,
                "lat": lat,
                "lon": lon,
                "remote": flag(where, "remote", rec.get("remote")),
                "year_groups": years,
                "weeks": weeks,
                "max_per_school": -1 if cap is None else whole_number(where, "max_per_school", cap),
            }
        )
    records.sort(key=lambda r: r["id"])
    return records, {r["id"]: i for i, r in enumerate(records)}


def _numbers_ok(values: list[Any], low: float, high: float) -> bool:
    """Every value an int (not bool) or float, finite, within [low, high]."""
    if not all(type(v) is int or type(v) is float for v in values):
        return False
    if not values:
        return True
    try:
        arr = np.array(values, dtype=np.float64)
    except OverflowError:  # an integer beyond float range
        return False
    return bool(np.isfinite(arr).all() and (arr >= low).all() and (arr <= high).all())


def _str_lists_ok(values: list[Any]) -> bool:
    """Every value null or a list of non-empty strings."""
    return all(v is None or (type(v) is list and all(type(x) is str and x for x in v)) for v in values)


def _fast_pupils(raw: list[Any], placement_index: dict[str, int]) -> list[dict[str, Any]] | None:
    """The pupils' records when every one is plainly valid, checked column by column;
    None when anything looks wrong, and the record-by-record path then names the problem
    (or accepts what this conservative check did not)."""
    if not all(type(r) is dict for r in raw):
        return None
    if not all(r.keys() <= PUPIL_KEYS and "id" in r and "school" in r and "preferences" in r for r in raw):
        return None
    ids = [r["id"] for r in raw]
    schools = [r["school"] for r in raw]
    if not all(type(v) is str and v for v in ids) or len(set(ids)) != len(ids):
        return None
    if not all(type(v) is str and v for v in schools):
        return None
    years = [r.get("year_group") for r in raw]
    given_years = [y for y in years if y is not None]
    if not all(type(y) is int for y in given_years) or not _numbers_ok(given_years, -MAX_COUNT, MAX_COUNT):
        return None
    lats = [r.get("lat") for r in raw]
    lons = [r.get("lon") for r in raw]
    located = [(a, b) for a, b in zip(lats, lons, strict=True) if a is not None or b is not None]
    if not _numbers_ok([a for a, _ in located], -90, 90) or not _numbers_ok(
        [b for _, b in located], -180, 180
    ):
        return None
    max_km = [r.get("max_travel_km") for r in raw]
    if not _numbers_ok([v for v in max_km if v is not None], 0, math.inf):
        return None
    priority = [r.get("priority") for r in raw]
    given = [v for v in priority if v is not None]
    if not all(type(v) is int for v in given) or not _numbers_ok(given, 0, MAX_WEIGHT):
        return None
    weeks = [r.get("weeks") for r in raw]
    if not _str_lists_ok(weeks):
        return None
    open_to = [r.get("open_to_other") for r in raw]
    if not all(v is None or type(v) is bool for v in open_to):
        return None
    prefs = [r["preferences"] for r in raw]
    if not all(type(v) is list for v in prefs):
        return None
    index = placement_index.get
    pref_idx = [[index(q, -1) if type(q) is str else -1 for q in v] for v in prefs]
    flat = np.fromiter((q for v in pref_idx for q in v), dtype=np.int64)
    if (flat < 0).any():
        return None
    lengths = np.fromiter((len(v) for v in pref_idx), dtype=np.int64, count=len(pref_idx))
    owner = np.repeat(np.arange(len(pref_idx), dtype=np.int64), lengths)
    if np.unique(owner * max(len(placement_index), 1) + flat).size != flat.size:
        return None
    return [
        {
            "id": pid,
            "school": school,
            "year_group": year,
            "lat": math.nan if lat is None else float(lat),
            "lon": math.nan if lon is None else float(lon),
            "max_travel_km": None if km is None else float(km),
            "priority": 0 if prio is None else prio,
            "weeks": wk,
            "preferences": pi,
            "open_to_other": bool(op),
        }
        for pid, school, year, lat, lon, km, prio, wk, pi, op in zip(
            ids, schools, years, lats, lons, max_km, priority, weeks, pref_idx, open_to, strict=True
        )
    ]


def _parse_pupils(raw: Any, placement_index: dict[str, int]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    if not isinstance(raw, list):
        raise InstanceError("pupils: must be a list")
    fast = _fast_pupils(raw, placement_index)
    if fast is not None:
        fast.sort(key=lambda r: r["id"])
        return fast, {r["id"]: i for i, r in enumerate(fast)}
    seen: set[str] = set()
    records = []
    for n, rec in enumerate(raw, start=1):
        where = f"pupil #{n}"
        if isinstance(rec, dict) and isinstance(rec.get("id"), str) and rec["id"]:
            where = f"pupil {rec['id']}"
        rec = record(where, rec, PUPIL_KEYS, ("id", "school", "preferences"))
        pid = record_id(where, rec["id"])
        if pid in seen:
            raise InstanceError(f"{where}: id is used twice")
        seen.add(pid)
        school = rec["school"]
        if not isinstance(school, str) or not school:
            raise InstanceError(f"{where}: school must be a non-empty string")
        year = rec.get("year_group")
        if year is not None and (not is_int(year) or abs(year) > MAX_COUNT):
            raise InstanceError(f"{where}: year_group must be a whole number")
        lat, lon = coordinates(where, rec)
        max_km = optional_number(where, "max_travel_km", rec.get("max_travel_km"))
        priority = whole_number(
            where,
            "priority",
            rec.get("priority", 0) if rec.get("priority") is not None else 0,
            high=MAX_WEIGHT,
        )
        weeks = rec.get("weeks")
        if weeks is not None:
            string_list(where, "weeks", weeks)
        prefs = rec["preferences"]
        if not isinstance(prefs, list):
            raise InstanceError(f"{where}: preferences must be a list of placement ids")
        pref_idx = []
        listed: set[str] = set()
        for q in prefs:
            if not isinstance(q, str) or not q:
                raise InstanceError(f"{where}: preferences must be a list of placement ids")
            if q not in placement_index:
                raise InstanceError(f"{where}: preference {q} is not a known placement")
            if q in listed:
                raise InstanceError(f"{where}: preference {q} is listed twice")
            listed.add(q)
            pref_idx.append(placement_index[q])
        records.append(
            {
                "id": pid,
                "school": school,
                "year_group": year,
                "lat": lat,
                "lon": lon,
                "max_travel_km": max_km,
                "priority": priority,
                "weeks": weeks,
                "preferences": pref_idx,
                "open_to_other": flag(where, "open_to_other", rec.get("open_to_other")),
            }
        )
    records.sort(key=lambda r: r["id"])
    return records, {r["id"]: i for i, r in enumerate(records)}


def _parse_pairs(
    name: str, raw: Any, pupils: dict[str, int], placements: dict[str, int]
) -> tuple[np.ndarray, np.ndarray]:
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise InstanceError(f'{name}: must be a list of {{"pupil", "placement"}} pairs')
    ps, qs = [], []
    for n, rec in enumerate(raw, start=1):
        where = f"{name} #{n}"
        rec = record(where, rec, {"pupil", "placement"}, ("pupil", "placement"))
        p, q = rec["pupil"], rec["placement"]
        if not isinstance(p, str) or p not in pupils:
            raise InstanceError(f"{name}: pupil {p} is not a known pupil")
        if not isinstance(q, str) or q not in placements:
            raise InstanceError(f"{name}: placement {q} is not a known placement")
        ps.append(pupils[p])
        qs.append(placements[q])
    return np.array(ps, dtype=np.int64), np.array(qs, dtype=np.int64)


def _parse_rankings(
    raw: Any, pupils: dict[str, int], placements: dict[str, int], n_placements: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InstanceError("placement_rankings: must be an object of placement id to pupil ids")
    lists: list[list[int]] = [[] for _ in range(n_placements)]
    ranked = np.zeros(n_placements, dtype=bool)
    for q, ranking in raw.items():
        if q not in placements:
            raise InstanceError(f"placement_rankings: {q} is not a known placement")
        where = f"placement_rankings: placement {q}"
        if not isinstance(ranking, list):
            raise InstanceError(f"{where}: must be a list of pupil ids")
        seen: set[str] = set()
        for p in ranking:
            if not isinstance(p, str) or p not in pupils:
                raise InstanceError(f"{where}: pupil {p} is not a known pupil")
            if p in seen:
                raise InstanceError(f"{where}: pupil {p} is ranked twice")
            seen.add(p)
        qi = placements[q]
        ranked[qi] = True
        lists[qi] = [pupils[p] for p in ranking]
    ptr, flat = _csr(lists)
    return ranked, ptr, flat


def _check_fixed(
    fixed_p: np.ndarray,
    fixed_q: np.ndarray,
    pupils: list[dict[str, Any]],
    placements: list[dict[str, Any]],
    policy: Policy,
) -> None:
    seen: set[int] = set()
    load: dict[int, int] = {}
    school_load: dict[tuple[str, int], int] = {}
    for p, q in zip(fixed_p.tolist(), fixed_q.tolist(), strict=True):
        if p in seen:
            raise InstanceError(f"fixed: pupil {pupils[p]['id']} is fixed twice")
        seen.add(p)
        load[q] = load.get(q, 0) + 1
        if load[q] > placements[q]["capacity"]:
            raise InstanceError(f"fixed: placement {placements[q]['id']} is over capacity")
        cap = placements[q]["max_per_school"]
        if cap < 0 and policy.max_per_school is not None:
            cap = policy.max_per_school
        key = (pupils[p]["school"], q)
        school_load[key] = school_load.get(key, 0) + 1
        if 0 <= cap < school_load[key]:
            raise InstanceError(
                f"fixed: placement {placements[q]['id']} is over its limit of {cap} "
                f"pupil(s) from school {key[0]}"
            )


def load_instance(data: bytes) -> Instance:
    """Parse and validate instance bytes; raise InstanceError with a one-line message."""
    raw = parse_json(data)
    if not isinstance(raw, dict):
        raise InstanceError("instance: must be a JSON object")
    for key in sorted(raw.keys() - TOP_KEYS):
        raise InstanceError(f"instance: unknown key {key!r}")
    if raw.get("format") != FORMAT:
        raise InstanceError(f'instance: format must be "{FORMAT}"')
    for key in ("placements", "pupils"):
        if key not in raw:
            raise InstanceError(f"instance: {key} is missing")
    policy = _parse_policy(raw.get("policy"))
    placements, placement_index = _parse_placements(raw["placements"], policy)
    pupils, pupil_index = _parse_pupils(raw["pupils"], placement_index)
    fixed_p, fixed_q = _parse_pairs("fixed", raw.get("fixed"), pupil_index, placement_index)
    _check_fixed(fixed_p, fixed_q, pupils, placements, policy)
    forb_p, forb_q = _parse_pairs("forbidden", raw.get("forbidden"), pupil_index, placement_index)
    ranked, rank_ptr, rank_pupil = _parse_rankings(
        raw.get("placement_rankings"), pupil_index, placement_index, len(placements)
    )

    week_names = sorted({w for r in pupils + placements for w in (r["weeks"] or [])})
    week_index = {w: i for i, w in enumerate(week_names)}
    words = max(1, (len(week_names) + 63) // 64)
    schools = sorted({r["school"] for r in pupils})
    school_index = {s: i for i, s in enumerate(schools)}
    pref_ptr, pref_q = _csr([r["preferences"] for r in pupils])
    year_ptr, years = _csr([sorted(set(r["year_groups"] or [])) for r in placements])
    has_years = np.array([r["year_groups"] is not None for r in placements], dtype=bool)

    def weeks(rows: list[dict[str, Any]]) -> np.ndarray:
        return _week_masks([r["weeks"] or [] for r in rows], week_index, words)

    def has_weeks(rows: list[dict[str, Any]]) -> np.ndarray:
        return np.array([r["weeks"] is not None for r in rows], dtype=bool)

    return Instance(
        policy=policy,
        pupil_ids=[r["id"] for r in pupils],
        school_ids=schools,
        pupil_school=np.array([school_index[r["school"]] for r in pupils], dtype=np.int64),
        pupil_year=np.array(
            [NO_YEAR if r["year_group"] is None else r["year_group"] for r in pupils], dtype=np.int64
        ),
        pupil_lat=np.array([r["lat"] for r in pupils], dtype=np.float64),
        pupil_lon=np.array([r["lon"] for r in pupils], dtype=np.float64),
        pupil_max_km=np.array(
            [math.inf if r["max_travel_km"] is None else r["max_travel_km"] for r in pupils], dtype=np.float64
        ),
        pupil_priority=np.array([r["priority"] for r in pupils], dtype=np.int64),
        pupil_weeks=weeks(pupils),
        pupil_has_weeks=has_weeks(pupils),
        pupil_open=np.array([r["open_to_other"] for r in pupils], dtype=bool),
        pref_ptr=pref_ptr,
        pref_placement=pref_q,
        placement_ids=[r["id"] for r in placements],
        capacity=np.array([r["capacity"] for r in placements], dtype=np.int64),
        placement_lat=np.array([r["lat"] for r in placements], dtype=np.float64),
        placement_lon=np.array([r["lon"] for r in placements], dtype=np.float64),
        remote=np.array([r["remote"] for r in placements], dtype=bool),
        has_years=has_years,
        year_ptr=year_ptr,
        year_groups=years,
        placement_weeks=weeks(placements),
        placement_has_weeks=has_weeks(placements),
        placement_cap=np.array([r["max_per_school"] for r in placements], dtype=np.int64),
        ranked=ranked,
        ranking_ptr=rank_ptr,
        ranking_pupil=rank_pupil,
        fixed_pupil=fixed_p,
        fixed_placement=fixed_q,
        forbidden_pupil=forb_p,
        forbidden_placement=forb_q,
    )
