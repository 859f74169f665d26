"""Placeholder: filled in by the matching round's web layer."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
