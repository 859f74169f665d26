"""Who may use every employers and placements route: another organisation's ids are 404,
a role that may not use a route gets 403, and nobody signed in is sent to sign in (pages) or
refused with 401 (API). The routes are read from the app, so a new route is covered at once."""

from __future__ import annotations

import re

import pytest

from employers.models import EmployerStatus, PlacementStatus
from placements.accounts.models import Role
from tests.support import make_compliance, make_employer, make_placement, make_round, make_user

PREFIXES = ("/employers", "/placements", "/api/employers", "/api/placements")

DETAILS = {"name": "X Ltd", "address": "1 Road", "postcode": "PR1 2HE", "pathways": ["data"], "size": "1-9"}
BODIES = {
    "/api/employers": {**DETAILS, "user_name": "New Person", "user_email": "new.person@example.org"},
    "/api/employers/sign-up": {
        **DETAILS,
        "user_name": "N",
        "user_email": "n@example.org",
        "password": "x" * 12,
    },
    "/api/employers/{employer_id:uuid}": DETAILS,
    "/api/employers/{employer_id:uuid}/reject": {"reason": "No"},
    "/api/employers/{employer_id:uuid}/suspend": {"reason": "No"},
    "/api/employers/{employer_id:uuid}/compliance": {"insurer": "I"},
    "/api/employers/{employer_id:uuid}/users": {"name": "Col", "email": "col@example.org"},
    "/api/placements": {
        "title": "T",
        "description": "D",
        "pathway": "data",
        "work_mode": "remote",
        "weeks": ["2027-W25"],
        "capacity": 1,
        "year_groups": [10],
        "supervisor_name": "S",
    },
}
BODIES["/api/placements/{placement_id:uuid}"] = BODIES["/api/placements"]


def _routes(app):
    found = []
    for route in app.routes:
        if not route.path.startswith(PREFIXES):
            continue
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                found.append((method, route.path, handler.opt))
    return found


async def _call(client, method, template, ids):
    path = re.sub(r"\{(\w+):uuid\}", lambda m: str(ids[m.group(1)]), template)
    if template.startswith("/api/"):
        body = BODIES.get(template) if method in ("POST", "PUT") else None
        return await client.api(method, path, json=body)
    if method == "GET":
        return await client.page(path)
    return await client.submit(path, {})


@pytest.fixture
async def world(db):
    current = await make_round(db, programme_year=2027)
    mine = await make_employer(db, name="Mine Ltd")
    theirs = await make_employer(db, name="Theirs Ltd", status=EmployerStatus.PENDING)
    await make_compliance(db, theirs.id)
    their_placement = await make_placement(db, theirs.id, current.id, status=PlacementStatus.DRAFT)
    return {
        "employer_user": await make_user(db, Role.EMPLOYER_USER, employer_id=mine.id),
        "school_staff": await make_user(db, Role.SCHOOL_STAFF),
        "coordinator": await make_user(db, Role.COORDINATOR),
        "their_ids": {"employer_id": theirs.id, "placement_id": their_placement.id},
    }


async def test_another_organisations_ids_are_not_found_for_an_employer_user(app, client, world):
    await client.sign_in(world["employer_user"])
    checked = 0
    for method, template, opt in _routes(app):
        if "{" not in template:
            continue
        response = await _call(client, method, template, world["their_ids"])
        expected = 404 if Role.EMPLOYER_USER in opt.get("roles", ()) else 403
        assert response.status_code == expected, (method, template, response.status_code, response.text[:200])
        assert "Theirs Ltd" not in response.text
        checked += 1
    assert checked >= 25


async def test_school_staff_use_only_the_browsing_routes(app, client, world):
    await client.sign_in(world["school_staff"])
    for method, template, opt in _routes(app):
        if opt.get("public"):
            continue
        response = await _call(client, method, template, world["their_ids"])
        if Role.SCHOOL_STAFF in opt["roles"]:
            # Browsing: the draft placement of a pending employer is not found.
            assert response.status_code in (200, 404), (method, template)
            assert method == "GET" and "placements" in template
        else:
            assert response.status_code == 403, (method, template, response.status_code)


async def test_unknown_ids_are_not_found_for_coordinators(app, client, world):
    import uuid

    await client.sign_in(world["coordinator"])
    unknown = {"employer_id": uuid.uuid4(), "placement_id": uuid.uuid4()}
    for method, template, opt in _routes(app):
        if "{" not in template:
            continue
        response = await _call(client, method, template, unknown)
        expected = 404 if Role.COORDINATOR in opt.get("roles", ()) else 403
        assert response.status_code == expected, (method, template, response.status_code)


async def test_nobody_signed_in_is_sent_to_sign_in(app, client, world):
    for method, template, opt in _routes(app):
        if opt.get("public"):
            continue
        response = await _call(client, method, template, world["their_ids"])
        if template.startswith("/api/"):
            assert response.status_code == 401, (method, template)
        else:
            assert response.status_code == 303 and response.headers["location"].startswith("/sign-in"), (
                method,
                template,
            )
