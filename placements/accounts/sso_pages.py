"""/sign-in/sso/<provider>: sending a person to their identity provider and taking them back.

What the round trip needs (state, nonce, PKCE verifier, where to go next) waits in the person's
session for ten minutes; the state that comes back must be the one sent, so a sign-in started in
someone else's browser cannot be finished in this one.
"""

from __future__ import annotations

import time
from secrets import compare_digest
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template

from placements.accounts import single_sign_on
from placements.accounts.guards import PUBLIC
from placements.accounts.signing_in import (
    SETTINGS,
    await_second_step,
    finish_sign_in,
    safe_next,
    sign_in_page,
)
from placements.accounts.single_sign_on import SsoRefused
from placements.db import DbSession
from placements.notifications.services import public_url
from placements.settings import SsoProvider
from placements.web.acting import Acting
from placements.web.forms import FormErrors

ROUND_TRIP = "sso_pending"
ROUND_TRIP_SECONDS = 600


def _provider(request: Request[Any, Any, Any], name: str) -> SsoProvider:
    for provider in request.app.state[SETTINGS].sso_providers:
        if provider.name == name:
            return provider
    raise NotFoundException("No identity provider has this name")


def _callback(provider: SsoProvider) -> str:
    return public_url(f"/sign-in/sso/{provider.name}/callback")


def _refused(request: Request[Any, Any, Any], message: str, status_code: int = 400) -> Template:
    errors = FormErrors()
    errors.add("sso", message)
    return sign_in_page(request, {}, errors, status_code=status_code)


class SsoController(Controller):
    path = "/sign-in/sso/{name:str}"
    include_in_schema = False
    opt = PUBLIC

    @get("/")
    async def begin(
        self, request: Request[Any, Any, Any], name: FromPath[str], next: FromQuery[str | None] = None
    ) -> Template | Redirect:
        provider = _provider(request, name)
        try:
            started = await single_sign_on.start(provider, _callback(provider))
        except SsoRefused as exc:
            return _refused(request, str(exc), status_code=503)
        request.set_session(
            {
                ROUND_TRIP: {
                    "provider": provider.name,
                    "state": started.state,
                    "nonce": started.nonce,
                    "verifier": started.verifier,
                    "next": safe_next(next),
                    "until": time.time() + ROUND_TRIP_SECONDS,
                }
            }
        )
        return Redirect(path=started.url, status_code=303)

    @get("/callback")
    async def come_back(
        self,
        acting: Acting,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        name: FromPath[str],
        code: FromQuery[str | None] = None,
        returned_state: Annotated[str | None, QueryParameter(name="state")] = None,
        error: FromQuery[str | None] = None,
    ) -> Template | Redirect:
        provider = _provider(request, name)
        trip = request.session.get(ROUND_TRIP) if isinstance(request.session, dict) else None
        request.set_session({})  # the round trip is used once, whatever happens next
        if error == "access_denied":
            return _refused(request, f"You did not sign in with {provider.label}. Sign in here instead.")
        if (
            not isinstance(trip, dict)
            or trip.get("provider") != provider.name
            or trip.get("until", 0) < time.time()
            or not code
            or not returned_state
            or not compare_digest(returned_state, str(trip.get("state")))
        ):
            return _refused(
                request, f"Signing in with {provider.label} took too long or was not started here. Try again."
            )
        try:
            user, claims = await single_sign_on.finish(
                db_session,
                provider,
                redirect_uri=_callback(provider),
                code=code,
                nonce=str(trip["nonce"]),
                verifier=str(trip["verifier"]),
                ip_address=acting.ip_address,
            )
        except SsoRefused as exc:
            await db_session.commit()  # the refusal stays in the audit log
            status = 503 if isinstance(exc, single_sign_on.ProviderUnreachable) else 400
            return _refused(request, str(exc), status_code=status)
        next_path = str(trip.get("next") or "/")
        strong = single_sign_on.strong_sign_in(provider, claims)
        if user.uses_two_step and not strong:
            return await_second_step(request, user, next_path)
        return await finish_sign_in(
            request,
            db_session,
            user,
            acting.ip_address,
            next_path,
            mfa_by_provider=provider.name if strong else None,
            provider=provider.name,
        )
