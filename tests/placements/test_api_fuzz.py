"""Schemathesis fuzzes every operation of the OpenAPI document, signed in as a coordinator.

The document is built when the test runs, not when tests are collected (`from_fixture`), so other
tests start at once; each operation is a subtest (`test_api [GET /api/users]`, ...), so operations
added later are fuzzed without touching this file. Every response must be documented and match its
schema, and nothing may answer with a server error. Runs are reproducible: a fixed seed,
derandomized, no example database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from placements.accounts.models import Role
from placements.settings import Settings
from tests.browser.harness import LiveServer
from tests.support import CSRF_FIELD, PASSWORD, make_user

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 30
SEED = 20250101
SCHEMA_PATH = "/schema/openapi.json"


def openapi_document() -> dict[str, Any]:
    """The document the app serves at /schema/openapi.json (checked by `test_served_document_is_fuzzed`)."""
    from placements.app import create_app

    return create_app(Settings()).openapi_schema.to_schema()


@pytest.fixture(scope="module")
def api_schema() -> Any:
    return schemathesis.openapi.from_dict(
        openapi_document(),
        config=schemathesis.Config.from_dict(
            {
                "seed": SEED,
                "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
                # Data the schema allows may still be refused by the service's own rules (an unknown
                # postcode, a programme year already taken): 422 naming the field, or 409.
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]
                    }
                },
            }
        ),
    )


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(autouse=True)
def node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """Schemathesis' lazy loader (4.32) reads and renames `node._nodeid`, which pytest 9.2 no longer
    has; giving it one keeps the loader working (each operation is still reported as a subtest)."""
    request.node._nodeid = request.node.nodeid


SESSION_COOKIE = "placements_session"


class SignedIn:
    """The session cookie of the coordinator signed in for the current test."""

    cookie: str | None = None


@schemathesis.auth(refresh_interval=None)
class SessionCookie:
    """Schemathesis adds the session cookie itself, so it knows the request is authenticated and can
    check that the API refuses the same request without it (or with a made-up one)."""

    def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> str | None:
        return SignedIn.cookie

    def set(self, case: schemathesis.Case, data: str, context: schemathesis.AuthContext) -> None:
        case.cookies = {**(case.cookies or {}), SESSION_COOKIE: data}


@pytest.fixture
async def coordinator(db: Any) -> Any:
    return await make_user(db, Role.COORDINATOR, name="Fuzz Coordinator")


@dataclass(frozen=True)
class Credentials:
    """What a signed-in browser would send: the CSRF cookie, echoed in the header the API checks on
    writes. The session cookie is added by Schemathesis itself (`SessionCookie`)."""

    csrf_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"x-csrftoken": self.csrf_token}

    @property
    def cookies(self) -> dict[str, str]:
        return {"csrftoken": self.csrf_token}


@pytest.fixture
def signed_in(live_server: LiveServer, coordinator: Any) -> Iterator[Credentials]:
    """Signs the coordinator in through the form. No cookie jar is kept for the fuzzing: a jar would
    pick the session cookie up again from responses and send it on requests meant to go without it."""
    with requests.Session() as browser:
        form = browser.get(f"{live_server.url}/sign-in", headers={"accept": "text/html"}, timeout=10)
        token = re.search(CSRF_FIELD, form.text)
        assert form.status_code == 200 and token, form.text
        response = browser.post(
            f"{live_server.url}/sign-in",
            data={"_csrf_token": token.group(1), "email": coordinator.email, "password": PASSWORD},
            headers={"accept": "text/html"},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 303, response.text
        SignedIn.cookie = browser.cookies[SESSION_COOKIE]
        credentials = Credentials(csrf_token=browser.cookies["csrftoken"])
    try:
        yield credentials
    finally:
        SignedIn.cookie = None


@schema.parametrize()
@hypothesis_settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api(case: schemathesis.Case, live_server: LiveServer, signed_in: Credentials) -> None:
    case.call_and_validate(
        base_url=live_server.url, headers=signed_in.headers, cookies=signed_in.cookies, timeout=10
    )


def test_served_document_is_fuzzed(live_server: LiveServer) -> None:
    served = requests.get(f"{live_server.url}{SCHEMA_PATH}", timeout=10)
    assert served.status_code == 200
    assert served.json() == openapi_document()
