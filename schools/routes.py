"""The schools package's pages and API, as the app registers them."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
