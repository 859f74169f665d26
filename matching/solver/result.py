"""The `placements-result/1` document and its canonical bytes."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any

FORMAT = "placements-result/1"


@dataclass(frozen=True)
class Result:
    mode: str
    objective: int
    assignments: list[dict[str, Any]]
    unassigned: list[str]
    dropped_preferences: list[dict[str, str]]
    metrics: dict[str, Any]
    explanations: dict[str, str]
    seed: int
    input_sha256: str
    solver: str

    def to_dict(self) -> dict[str, Any]:
        """The document, sharing this result's lists and dicts (asdict would copy every
        one of them, pupil by pupil: most of the time it takes to write a big result)."""
        return {"format": FORMAT, **{f.name: getattr(self, f.name) for f in fields(self)}}


def result_to_json(result: Result) -> bytes:
    """Canonical bytes: sorted keys, fixed separators, ASCII, one trailing newline."""
    text = json.dumps(
        result.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )
    return text.encode("ascii") + b"\n"
