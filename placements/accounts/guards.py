"""Access rules. Every route states who may use it; a route that states nothing is refused.

Routes declare `opt=access(...)`. The app-wide `access_guard` enforces it, so forgetting the
rule denies access instead of granting it.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from placements.accounts.models import Role, User

PUBLIC: dict[str, Any] = {"public": True}
# In a route's `opt`: someone whose role must use two-step sign-in may use the route before setting
# it up (placements.accounts.two_step_pages.two_step_in_place).
BEFORE_SET_UP = "before_two_step_set_up"
# The methods that only read: a read-only API token may use them, and they need no CSRF token.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def access(*roles: Role) -> dict[str, Any]:
    """The `opt` of a route that the given roles (all signed-in roles when none) may use."""
    return {"roles": frozenset(roles or Role)}


# The rules most handlers name.
COORDINATOR = access(Role.COORDINATOR)
STAFF = access(Role.SCHOOL_STAFF)
EMPLOYER = access(Role.EMPLOYER_USER)
STAFF_OR_COORDINATOR = access(Role.COORDINATOR, Role.SCHOOL_STAFF)


def access_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    if handler.opt.get("public"):
        return
    roles = handler.opt.get("roles")
    if not roles:
        raise PermissionDeniedException("This page has no access rule")
    user = connection.scope.get("user")
    if not isinstance(user, User):
        raise NotAuthorizedException("Sign in to continue")
    if user.role not in roles:
        raise PermissionDeniedException("Your account cannot use this page")


async def development_only(
    connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler
) -> None:
    from placements.settings import get_settings

    if get_settings().production:
        raise PermissionDeniedException("Not available in production")
