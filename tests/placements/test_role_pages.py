"""Every page and API read without parameters, tried by every role and by nobody."""

from __future__ import annotations

import pytest
from litestar.handlers import HTTPRouteHandler

from placements.accounts.models import Role
from tests.support import make_user

SIGNED_OUT_PAGE = 303  # sent to the sign-in page
SIGNED_OUT_API = 401


def _plain_get_routes(app) -> list[tuple[str, frozenset[Role]]]:
    routes = []
    for route in app.routes:
        if "{" in route.path:
            continue
        for handler in getattr(route, "route_handlers", []):
            if (
                isinstance(handler, HTTPRouteHandler)
                and "GET" in handler.http_methods
                and handler.opt.get("roles")
            ):
                routes.append((route.path, handler.opt["roles"]))
    return routes


async def test_signed_out_people_are_sent_to_sign_in(app, client):
    routes = _plain_get_routes(app)
    assert routes
    for path, _roles in routes:
        response = await client.page(path)
        expected = SIGNED_OUT_API if path.startswith("/api/") else SIGNED_OUT_PAGE
        assert response.status_code == expected, path


@pytest.mark.parametrize("role", list(Role))
async def test_each_role_reaches_exactly_its_routes(app, client, db, role):
    await client.sign_in(await make_user(db, role))
    for path, roles in _plain_get_routes(app):
        response = await client.page(path)
        if role in roles:
            if response.is_redirect:  # e.g. /school, which sends staff to their own school's page
                response = await client.page(response.headers["location"])
            assert response.status_code == 200, (path, response.text[:300])
        else:
            assert response.status_code == 403, path
            if not path.startswith("/api/"):
                assert "You cannot use this page" in response.text
