"""Reading the employers' and placements' HTML forms: checkbox lists, GOV.UK dates, the option lists."""

from __future__ import annotations

from typing import Any

from litestar import Request

from employers import inputs
from employers.models import JOINING, WorkMode
from placements.web.forms import date_input

MULTI_FIELDS = ("pathways", "weeks", "year_groups")

DATE_FIELDS = ("insurance_expires_on", "risk_assessment_on")


async def read_form(request: Request[Any, Any, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(raw values for checking, values to show again): lists for the checkbox fields, dates combined."""
    form = await request.form()
    shown: dict[str, Any] = {}
    for key in form:
        if key in MULTI_FIELDS:
            shown[key] = [str(v) for v in form.getall(key) if isinstance(v, str)]
        else:
            value = form.get(key)
            if isinstance(value, str):
                shown[key] = value.strip()
    raw = dict(shown)
    for name in DATE_FIELDS:
        entered, day = date_input(shown, name)
        if entered:
            raw[name] = day or ""
        elif name in raw or any(f"{name}-{p}" in shown for p in ("day", "month", "year")):
            raw[name] = None
    return raw, shown


def option_lists() -> dict[str, Any]:
    return {
        "pathways": inputs.PATHWAYS,
        "sizes": inputs.SIZES,
        "year_group_options": [(group, f"Year {group}") for group in inputs.YEAR_GROUPS],
        "work_modes": [(mode.value, mode.label) for mode in WorkMode],
        "joining_fields": JOINING,
    }
