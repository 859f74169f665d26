"""Room left on placements and on capped (school, placement) groups once fixed pupils sit."""

from __future__ import annotations

import numpy as np

from matching.solver.instance import Instance

NO_CAP = np.iinfo(np.int64).max


def lookup(keys: np.ndarray, values: np.ndarray, want: np.ndarray, default: int) -> np.ndarray:
    """values[keys == want] for sorted unique keys, `default` where absent."""
    out = np.full(want.size, default, dtype=np.int64)
    if keys.size:
        pos = np.minimum(np.searchsorted(keys, want), keys.size - 1)
        hit = keys[pos] == want
        out[hit] = values[pos[hit]]
    return out


class Rooms:
    """Room left by fixed pupils on each placement and each capped (school, placement)."""

    def __init__(self, inst: Instance) -> None:
        self.n_schools = max(len(inst.school_ids), 1)
        self.school = inst.pupil_school
        self.cap = inst.school_cap()
        self.placement = inst.capacity - np.bincount(inst.fixed_placement, minlength=inst.n_placements)
        fixed_keys = inst.fixed_placement * self.n_schools + inst.pupil_school[inst.fixed_pupil]
        self.fixed_keys, self.fixed_counts = np.unique(fixed_keys, return_counts=True)

    def group_key(self, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        """Key of (school, placement), or -1 where the placement has no school cap."""
        return np.where(self.cap[q] >= 0, q * self.n_schools + self.school[p], -1)

    def group(self, key: np.ndarray, q: np.ndarray) -> np.ndarray:
        used = lookup(self.fixed_keys, self.fixed_counts, key, 0)
        return np.where(key >= 0, self.cap[q] - used, NO_CAP)
