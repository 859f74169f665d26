"""Small helpers for HTML forms: read the posted fields, collect messages per field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from litestar import Request
from litestar.response import Template

# The same pattern is in the OpenAPI document, so it must mean the same to JSON Schema as to
# Python: spell out the whitespace and control characters instead of using \s.
_NOT_IN_EMAIL = r"@ \t\n\r\f\v\x00-\x1f\x7f-\x9f"
EMAIL = re.compile(rf"^[^{_NOT_IN_EMAIL}]+@[^{_NOT_IN_EMAIL}]+\.[^{_NOT_IN_EMAIL}]+$")


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
