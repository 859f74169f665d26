"""Jinja2 set-up: our templates first, then GOV.UK Frontend's macros."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    PrefixLoader,
    pass_context,
    select_autoescape,
)
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from placements.accounts.models import Role
from placements.settings import ROOT

# (label, href, roles) of the service navigation; a role sees the items it may use.
NAVIGATION: list[tuple[str, str, frozenset[Role]]] = [
    ("Home", "/", frozenset(Role)),
    ("Placements", "/placements", frozenset(Role)),
    ("Employers", "/employers", frozenset({Role.COORDINATOR})),
    ("Your organisation", "/employers/mine", frozenset({Role.EMPLOYER_USER})),
    ("Schools", "/schools", frozenset({Role.COORDINATOR})),
    ("Our school", "/school", frozenset({Role.SCHOOL_STAFF})),
    ("Pupils", "/pupils", frozenset({Role.COORDINATOR, Role.SCHOOL_STAFF})),
    ("Rounds", "/rounds", frozenset({Role.COORDINATOR})),
    ("Choices", "/choices", frozenset({Role.SCHOOL_STAFF})),
    ("Outcomes", "/outcomes", frozenset({Role.COORDINATOR, Role.SCHOOL_STAFF})),
    ("Reviews", "/reviews", frozenset({Role.COORDINATOR})),
    ("Matches", "/matches", frozenset({Role.EMPLOYER_USER})),
    ("Users", "/users", frozenset({Role.COORDINATOR})),
    ("Reports", "/reports", frozenset(Role)),
    ("Audit log", "/audit", frozenset({Role.COORDINATOR})),
    ("Undelivered messages", "/undelivered-messages", frozenset({Role.COORDINATOR})),
]


@dataclass(frozen=True)
class SignedIn:
    name: str
    role: Role


def signed_in(request: Any) -> SignedIn | None:
    """Who the page names as signed in, from what is already loaded. A request whose transaction was
    rolled back (a refused post, a failed write) has its user expired, and loading it again would need
    the database in the middle of drawing the error page: that page is drawn as for nobody instead."""
    user = request.scope.get("user")
    loaded = getattr(user, "__dict__", {})
    name, role = loaded.get("name"), loaded.get("role")
    return SignedIn(name, role) if name and role else None


def navigation_for(user: Any, current_path: str) -> list[dict[str, Any]]:
    role = getattr(user, "role", None)
    items = []
    for label, href, roles in NAVIGATION:
        if role in roles:
            active = current_path == href or (href != "/" and current_path.startswith(href + "/"))
            items.append({"text": label, "href": href, "active": active or current_path == href})
    return items


def error_link(item: tuple[str, str]) -> dict[str, str]:
    field, message = item
    return {"text": message, "href": f"#{field}"}


def option_item(row: tuple[Any, str], selected: str | None) -> dict[str, Any]:
    value, text = str(row[0]), row[1]
    return {"value": value, "text": text, "selected": value == selected}


def action_item(action: str | dict[str, str], selected: str | None) -> dict[str, Any]:
    if isinstance(action, dict):
        return action
    return {"value": action, "text": action.replace("_", " "), "selected": action == selected}


def role_item(role: Role, selected: str | None) -> dict[str, Any]:
    return {"value": role.value, "text": role.label, "checked": role.value == selected}


@pass_context
def flashes(context: Any) -> list[dict[str, str]]:
    """Messages saved by `litestar.plugins.flash.flash`; none where no session exists (an unknown path)."""
    request = context.get("request")
    if request is None or "session" not in request.scope or not isinstance(request.scope["session"], dict):
        return []
    return request.scope["session"].pop("_messages", [])


def percent(rate: float | None) -> str:
    """A rate as a whole percentage; "No data" where there is nothing to divide by yet."""
    return "No data" if rate is None else f"{rate:.0%}"


@lru_cache(maxsize=4096)  # a list of placements asks for the same few weeks on every row
def week_commencing(iso_week: str) -> str:
    """An ISO week (2027-W25) as people say it, by its Monday: "w/c 21 June 2027"; text that is not
    a week of its year is shown as it is."""
    year, marker, week = iso_week[:4], iso_week[4:6], iso_week[6:]
    if marker != "-W" or not (year + week).isdigit():
        return iso_week
    try:
        monday = date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        return iso_week
    return f"w/c {monday.day} {monday:%B %Y}"


def weeks_commencing(iso_weeks: list[str] | None) -> str:
    """ISO weeks as people say them, one after another: "w/c 21 June 2027, w/c 28 June 2027"."""
    return ", ".join(map(week_commencing, iso_weeks or ()))


def build_environment() -> Environment:
    environment = Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(ROOT / "templates"),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja", "templates")}),
            ]
        ),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.do"],
        # Templates are read once: checking each file for changes costs a stat on every template and
        # every import inside a macro call. `placements serve --reload` restarts on a changed template.
        auto_reload=False,
    )
    environment.globals.update(navigation_for=navigation_for, flashes=flashes, signed_in=signed_in)
    environment.filters.update(
        action_item=action_item,
        error_link=error_link,
        option_item=option_item,
        percent=percent,
        role_item=role_item,
        week_commencing=week_commencing,
        weeks_commencing=weeks_commencing,
    )
    environment.globals["service_name"] = "Placements"
    return environment


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(build_environment()))
