"""The matching policy a coordinator chooses for a run, and how it becomes the instance's `policy`."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from matching.solver.instance import MODES

# What each preset optimises for, and the rank costs that make the solver do it.
PRESETS: dict[str, tuple[str, list[int]]] = {
    "fewest_poor": (
        "Fewest poor outcomes: costs grow with the square of the rank, so many good choices beat "
        "a few firsts",
        [1, 4, 9, 16, 25, 36, 49, 64, 81, 100],
    ),
    "most_first": (
        "Most first choices: any first choice is worth far more than a second or later one",
        [1, 60, 70, 80, 90, 100, 110, 120, 130, 140],
    ),
    "linear": (
        "Even steps: each place down a pupil's list costs the same",
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    ),
}
DEFAULT_PRESET = "fewest_poor"
UNLISTED_COST = 200
UNASSIGNED_COST = 10000


@dataclass(frozen=True)
class RunPolicy:
    mode: str = "optimal"
    preset: str = DEFAULT_PRESET
    priority_weight: int = 1
    max_per_school: int | None = None
    max_travel_km: float | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        if self.preset not in PRESETS:
            raise ValueError(f"preset must be one of {', '.join(PRESETS)}")
        if self.mode == "stable" and self.max_per_school is not None:
            raise ValueError("The stable mode cannot limit pupils of one school per placement")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunPolicy:
        return cls(**{key: data[key] for key in cls.__dataclass_fields__ if key in data})

    def instance_policy(self) -> dict[str, Any]:
        """The `policy` object of the instance file (see the matching format)."""
        return {
            "mode": self.mode,
            "rank_costs": PRESETS[self.preset][1],
            "unlisted_cost": UNLISTED_COST,
            "unassigned_cost": UNASSIGNED_COST,
            "priority_weight": self.priority_weight,
            "max_travel_km": self.max_travel_km,
            "max_per_school": self.max_per_school,
            "seed": self.seed,
        }

    @property
    def name(self) -> str:
        """What the policy favours, in a few words, to tell runs apart in lists."""
        if self.mode == "stable":
            return "stable"
        return PRESETS[self.preset][0].split(":")[0].lower()

    @property
    def description(self) -> str:
        parts = [
            "Optimal" if self.mode == "optimal" else "Stable (deferred acceptance)",
            PRESETS[self.preset][0].split(":")[0] if self.mode == "optimal" else None,
            f"priority weight {self.priority_weight}" if self.priority_weight else "no priority weight",
            f"at most {self.max_per_school} per school per placement" if self.max_per_school else None,
            f"travel up to {self.max_travel_km:g} km" if self.max_travel_km else None,
            f"seed {self.seed}",
        ]
        return ", ".join(part for part in parts if part)
