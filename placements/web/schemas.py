"""Output schemas filled from models by msgspec, rather than copied field by field."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

S = TypeVar("S", bound=msgspec.Struct)


class _Overlay:
    """The model's attributes, with some given instead (those the model has not, or shows otherwise)."""

    def __init__(self, source: object, given: dict[str, Any]) -> None:
        self._source, self._given = source, given

    def __getattr__(self, name: str) -> Any:
        if name in self._given:
            return self._given[name]
        return None if self._source is None else getattr(self._source, name)


def from_model(schema: type[S], source: object, **given: Any) -> S:
    """`schema` with each field read from `source`'s attribute of the same name (msgspec's
    `from_attributes`), or from `given`; with no `source` (None) every other field is None."""
    return msgspec.convert(_Overlay(source, given), schema, from_attributes=True)
