"""A family's page that answers with another response instead: sign in first, confirm the date of
birth first, or the link can't be used. Raised from the lookup every page starts with, so each
handler reads as its own task."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response


class Detour(Exception):
    def __init__(self, response: Response[Any]) -> None:
        super().__init__()
        self.response = response


def take_detour(_: Request[Any, Any, Any], detour: Detour) -> Response[Any]:
    return detour.response


DETOURS = {Detour: take_detour}
