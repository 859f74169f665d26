"""Deny by default: every route states who may use it, and the guard holds to it."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import HTTPRouteHandler

from placements.accounts.guards import access, access_guard
from placements.accounts.models import Role, User

# The only paths anyone may use without signing in.
PUBLIC_PATHS = re.compile(
    r"^/(sign-in(/code|/sso/\{name:str\}(/callback)?)?|password-reset(/\{token:str\})?|invitation/\{token:str\}|health|static/.*|schema.*"
    r"|employers/sign-up|api/employers/sign-up|privacy|accessibility"
    # A parent has no account: the link's secret and the child's date of birth stand in for one.
    r"|parents(/\{secret:str\}(/consent|/withdraw|/review|/letter|/letter\.pdf|/certificate\.pdf)?)?"
    # A pupil signs in with the school's code and their date of birth, not an account.
    r"|pupil(/sign-in|/sign-out|/placements(/\{placement_id:uuid\})?|/choices|/review|/reflection|/calendar\.ics"
    r"|/letter|/letter\.pdf|/certificate\.pdf)?)$"
)


def _handlers(app: Litestar) -> list[tuple[str, HTTPRouteHandler]]:
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            # Litestar answers OPTIONS itself for every path; those carry no data.
            if isinstance(handler, HTTPRouteHandler) and handler.http_methods != {"OPTIONS"}:
                found.append((route.path, handler))
    return found


def test_every_route_has_an_access_rule(app):
    missing = [f"{path} {sorted(h.http_methods)}" for path, h in _handlers(app) if not _rule(h)]
    assert missing == []


def test_only_the_allowlisted_routes_are_public(app):
    public = sorted({path for path, h in _handlers(app) if h.opt.get("public")})
    assert public, "sign-in must be public"
    assert [path for path in public if not PUBLIC_PATHS.match(path)] == []


def _rule(handler: HTTPRouteHandler) -> bool:
    return bool(handler.opt.get("public") or handler.opt.get("roles"))


class _Connection:
    def __init__(self, user: object | None) -> None:
        self.scope = {"user": user}


class _Handler:
    def __init__(self, opt: dict) -> None:
        self.opt = opt


def test_guard_refuses_a_route_without_a_rule():
    with pytest.raises(PermissionDeniedException):
        access_guard(_Connection(User(role=Role.COORDINATOR)), _Handler({}))  # type: ignore[arg-type]


def test_guard_asks_for_sign_in_when_nobody_is_signed_in():
    with pytest.raises(NotAuthorizedException):
        access_guard(_Connection(None), _Handler(access(Role.COORDINATOR)))  # type: ignore[arg-type]


@pytest.mark.parametrize("role", list(Role))
def test_guard_lets_only_the_named_roles_in(role):
    connection = _Connection(User(role=role))
    access_guard(connection, _Handler(access()))  # type: ignore[arg-type]
    if role is Role.COORDINATOR:
        access_guard(connection, _Handler(access(Role.COORDINATOR)))  # type: ignore[arg-type]
    else:
        with pytest.raises(PermissionDeniedException):
            access_guard(connection, _Handler(access(Role.COORDINATOR)))  # type: ignore[arg-type]


def test_guard_lets_anyone_use_a_public_route():
    access_guard(_Connection(None), _Handler({"public": True}))  # type: ignore[arg-type]
