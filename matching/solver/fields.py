"""JSON input of the matching format and checks of its plain fields, each failing with an
`InstanceError` whose one-line message names the record and the field."""

from __future__ import annotations

import json
import math
import re
import sys
from typing import Any

MAX_BYTES = 512 * 1024 * 1024
# Bounds keep every cost product exact in int64 and float64 (< 2**53).
MAX_COUNT = 10**9


class InstanceError(ValueError):
    """The instance breaks the matching format; the message is one line naming the record."""


# --- JSON parsing -----------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise InstanceError(f"invalid JSON: {name} is not a number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise InstanceError(f"invalid JSON: duplicate key {key!r}")
            seen.add(key)
    return obj


def parse_json(data: bytes) -> Any:
    if len(data) > MAX_BYTES:
        raise InstanceError(f"instance is larger than {MAX_BYTES // (1024 * 1024)} MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InstanceError(f"invalid JSON: not UTF-8 (byte {exc.start})") from None
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InstanceError(f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise InstanceError("invalid JSON: nested too deeply") from None
    except InstanceError:
        raise
    except ValueError:
        # Python refuses to read integers longer than its digit limit (4,300 by default).
        raise InstanceError(_long_number(text)) from None


def _long_number(text: str) -> str:
    limit = sys.get_int_max_str_digits()
    found = re.search(rf"\d{{{limit + 1},}}", text)
    if found is None:
        return f"invalid JSON: a number has more than {limit} digits"
    line = text.count("\n", 0, found.start()) + 1
    column = found.start() - text.rfind("\n", 0, found.start())
    return f"invalid JSON: a number has more than {limit} digits at line {line} column {column}"


# --- field checks -------------------------------------------------------------------------


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return (is_int(value) or isinstance(value, float)) and math.isfinite(value)


def whole_number(where: str, name: str, value: Any, *, low: int | None = 0, high: int = MAX_COUNT) -> int:
    if is_int(value) and (low is None or value >= low) and abs(value) > high:
        raise InstanceError(f"{where}: {name} must be at most {high}")
    if not is_int(value) or (low is not None and value < low):
        bound = f">= {low}" if low is not None else f"between {-high} and {high}"
        if low is not None and high < MAX_COUNT:
            bound = f"between {low} and {high}"
        raise InstanceError(f"{where}: {name} must be a whole number {bound}")
    return value


def optional_number(where: str, name: str, value: Any) -> float | None:
    if value is None:
        return None
    if not is_number(value) or value < 0:
        raise InstanceError(f"{where}: {name} must be a number >= 0 or null")
    return float(value)


def record_id(where: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise InstanceError(f"{where}: id must be a non-empty string")
    return value


def record(where: str, value: Any, allowed: set[str], required: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InstanceError(f"{where}: must be an object")
    for key in sorted(value.keys() - allowed):
        raise InstanceError(f"{where}: unknown key {key!r}")
    for key in required:
        if key not in value:
            raise InstanceError(f"{where}: {key} is missing")
    return value


def coordinates(where: str, rec: dict[str, Any]) -> tuple[float, float]:
    lat, lon = rec.get("lat"), rec.get("lon")
    if lat is None and lon is None:
        return math.nan, math.nan
    if lat is None or lon is None:
        raise InstanceError(f"{where}: lat and lon must be given together")
    if not is_number(lat) or not -90 <= lat <= 90:
        raise InstanceError(f"{where}: lat must be a number between -90 and 90")
    if not is_number(lon) or not -180 <= lon <= 180:
        raise InstanceError(f"{where}: lon must be a number between -180 and 180")
    return float(lat), float(lon)


def flag(where: str, name: str, value: Any) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise InstanceError(f"{where}: {name} must be true or false")
    return value


def string_list(where: str, name: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise InstanceError(f"{where}: {name} must be a list of non-empty strings")
    return value
