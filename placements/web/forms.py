"""Small helpers for HTML forms: read the posted fields, collect messages per field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from litestar import Request
from litestar.response import Template

from placements.notifications.headers import NOT_IN_ADDRESS

# An address the outbox will send to (placements.notifications.headers), with a dot in its domain.
EMAIL = re.compile(rf"^[^{NOT_IN_ADDRESS}]+@[^{NOT_IN_ADDRESS}]+\.[^{NOT_IN_ADDRESS}]+$")
WHOLE = re.compile(r"^[0-9]{1,12}$")


class FormErrors(dict[str, str]):
    """Messages keyed by field name, first problem per field wins."""

    def add(self, field: str, message: str) -> None:
        self.setdefault(field, message)

    def require(self, values: dict[str, str], field: str, message: str) -> str:
        value = values.get(field, "")
        if not value:
            self.add(field, message)
        return value

    def at_most(self, values: dict[str, str], field: str, longest: int, what: str) -> None:
        """`what` ("The name") must fit its column: PostgreSQL refuses a longer value outright."""
        if len(values.get(field, "")) > longest:
            self.add(field, f"{what} must be {longest:,} characters or fewer")

    def whole(
        self, values: dict[str, str], field: str, label: str, low: int, high: int, *, required: bool
    ) -> int | None:
        """The field's whole number from `low` to `high`; `label` ("the yearly target") names it."""
        text = values.get(field, "")
        if not text:
            if required:
                self.add(field, f"Enter {label}")
            return None
        if not WHOLE.match(text) or not low <= int(text) <= high:
            self.add(field, f"{label[0].upper()}{label[1:]} must be a whole number from {low} to {high}")
            return None
        return int(text)

    def date(self, values: Mapping[str, Any], field: str, *, missing: str | None = None) -> date | None:
        """A GOV.UK date input as a date. Blank boxes are None, or refused with `missing` when given."""
        entered, day = date_input(values, field)
        if not entered and missing:
            self.add(field, missing)
        elif entered and day is None:
            self.add(field, "Enter a real date, like 27 3 2027")
        return day

    def email(self, values: dict[str, str], field: str = "email") -> str:
        value = self.require(values, field, "Enter an email address")
        if value and (len(value) > 320 or not EMAIL.match(value)):
            self.add(field, "Enter an email address in the correct format, like name@example.com")
        return value


async def form_values(request: Request[Any, Any, Any]) -> dict[str, str]:
    form = await request.form()
    return {key: str(value).strip() for key, value in form.items() if isinstance(value, str)}


def render_form(template: str, *, values: dict[str, str], errors: FormErrors, **context: Any) -> Template:
    """Show the form again with what the person typed and what is wrong; nothing was saved."""
    return Template(
        template_name=template,
        context={"values": values, "errors": errors, **context},
        status_code=400 if errors else 200,
    )


def date_input(values: Mapping[str, Any], name: str) -> tuple[bool, date | None]:
    """A GOV.UK date input's three boxes (`name-day`, `-month`, `-year`): whether anything was entered,
    and the date, or None when they do not make a real date in 2000 or later."""
    parts = [values.get(f"{name}-{part}", "") for part in ("day", "month", "year")]
    if not any(parts):
        return False, None
    try:
        day = date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        return True, None
    return True, day if day.year >= 2000 else None


def date_input_values(name: str, day: date | None) -> dict[str, str]:
    """A date as a GOV.UK date input's three boxes, to show in a form; nothing for no date."""
    if day is None:
        return {}
    return {f"{name}-day": str(day.day), f"{name}-month": str(day.month), f"{name}-year": str(day.year)}
