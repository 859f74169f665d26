"""The matching package's pages and API, as the app registers them."""

from __future__ import annotations

from typing import Any

from matching import (
    api,
    audit_names,  # noqa: F401  (the audit log names the round's records from here on)
    choice_pages,
    offer_pages,
    report_api,
    report_pages,
    round_pages,
)

ROUTES: list[Any] = [
    *round_pages.ROUTES,
    *choice_pages.ROUTES,
    *offer_pages.ROUTES,
    *report_pages.ROUTES,
    *api.ROUTES,
    *report_api.ROUTES,
]
