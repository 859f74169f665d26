"""Single sign-on with a school's or the council's identity provider (OpenID Connect, authorization
code flow with PKCE, through authlib).

A sign-in proves an email address; it never makes an account. The address must be verified by the
provider, at one of the domains that provider is trusted for, and belong to an active account
someone was invited to. The provider's ID token is checked here in full (signature against its
published keys, issuer, audience, expiry, nonce) although it came straight from its token endpoint.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio
import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from requests import RequestException

from placements.accounts.models import User
from placements.accounts.services import find_user_by_email
from placements.audit.services import record

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from placements.settings import SsoProvider

SCOPE = "openid email profile"
TIMEOUT = 10  # seconds for each request to the provider
KEYS_KEPT = 3600  # seconds before a provider's configuration and keys are read again
LEEWAY = 120  # seconds of clock difference allowed with the provider
SIGNING_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]


class SsoRefused(Exception):
    """The sign-in cannot go on: the message is for the person, `reason` for the audit log."""

    def __init__(self, message: str, reason: str, label: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.label = label


class ProviderUnreachable(SsoRefused):
    def __init__(self, provider: SsoProvider) -> None:
        super().__init__(
            f"{provider.label} cannot be reached just now. "
            "Try again in a few minutes, or sign in with your password.",
            "provider_unreachable",
        )


@dataclass(frozen=True)
class Started:
    """Where to send the person, and what their session keeps until they come back."""

    url: str
    state: str
    nonce: str
    verifier: str


@dataclass(frozen=True)
class Discovered:
    configuration: dict[str, Any]
    keys: KeySet
    at: float


_discovered: dict[str, Discovered] = {}


def _session(provider: SsoProvider, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(
        provider.client_id,
        provider.client_secret,
        scope=SCOPE,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )


def _fetch_discovery(provider: SsoProvider) -> Discovered:
    with requests.Session() as http:
        configuration = http.get(f"{provider.issuer}/.well-known/openid-configuration", timeout=TIMEOUT)
        configuration.raise_for_status()
        found = configuration.json()
        keys = http.get(found["jwks_uri"], timeout=TIMEOUT)
        keys.raise_for_status()
        return Discovered(found, KeySet.import_key_set(keys.json()), time.monotonic())


async def _discover(provider: SsoProvider, *, fresh: bool = False) -> Discovered:
    """The provider's endpoints and signing keys, read again hourly (keys are rotated) or when a
    token names a key not seen yet."""
    known = _discovered.get(provider.issuer)
    if fresh or known is None or time.monotonic() - known.at > KEYS_KEPT:
        try:
            known = await anyio.to_thread.run_sync(_fetch_discovery, provider)
        except (RequestException, ValueError, KeyError, JoseError) as exc:  # JoseError: keys it cannot read
            raise ProviderUnreachable(provider) from exc
        _discovered[provider.issuer] = known
    return known


async def start(provider: SsoProvider, redirect_uri: str) -> Started:
    discovered = await _discover(provider)
    state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
    with _session(provider, redirect_uri) as session:
        url, _ = session.create_authorization_url(
            discovered.configuration["authorization_endpoint"],
            state=state,
            nonce=nonce,
            code_verifier=verifier,
        )
    return Started(url=url, state=state, nonce=nonce, verifier=verifier)


def verified_claims(provider: SsoProvider, id_token: str, *, keys: KeySet, nonce: str) -> dict[str, Any]:
    """The claims of an ID token meant for this service by `provider`, or SsoRefused."""
    refused = SsoRefused(f"{provider.label} did not confirm who you are. Try again.", "id_token_invalid")
    try:
        token = jwt.decode(id_token, keys, algorithms=SIGNING_ALGORITHMS)
        claims = CodeIDToken(
            token.claims,
            token.header,
            options={
                "iss": {"essential": True, "value": provider.issuer},
                "aud": {"essential": True, "value": provider.client_id},
            },
            params={"nonce": nonce, "client_id": provider.client_id},
        )
        claims.validate(leeway=LEEWAY)
    except (JoseError, ValueError) as exc:
        raise refused from exc
    return dict(claims)


async def _claims(
    provider: SsoProvider, redirect_uri: str, code: str, nonce: str, verifier: str
) -> dict[str, Any]:
    discovered = await _discover(provider)

    def exchange() -> dict[str, Any]:
        with _session(provider, redirect_uri) as session:
            return dict(
                session.fetch_token(
                    discovered.configuration["token_endpoint"],
                    code=code,
                    code_verifier=verifier,
                    timeout=TIMEOUT,
                )
            )

    try:
        token = await anyio.to_thread.run_sync(exchange)
    except RequestException as exc:
        raise ProviderUnreachable(provider) from exc
    except (AuthlibBaseError, ValueError) as exc:  # a refused code, or an answer that is not a token
        raise SsoRefused(f"{provider.label} did not confirm who you are. Try again.", "code_refused") from exc
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise SsoRefused(f"{provider.label} did not confirm who you are. Try again.", "no_id_token")
    try:
        return verified_claims(provider, id_token, keys=discovered.keys, nonce=nonce)
    except SsoRefused:
        # A key rotated since the keys were read: read them once more before refusing.
        fresh = await _discover(provider, fresh=True)
        return verified_claims(provider, id_token, keys=fresh.keys, nonce=nonce)


def strong_sign_in(provider: SsoProvider, claims: dict[str, Any]) -> bool:
    """Whether the provider used multi-factor authentication: it says so for every sign-in, or
    this ID token does (`amr` holding "mfa", as Entra ID's do)."""
    amr = claims.get("amr")
    return provider.enforces_mfa or (isinstance(amr, list) and "mfa" in amr)


async def finish(
    db: AsyncSession,
    provider: SsoProvider,
    *,
    redirect_uri: str,
    code: str,
    nonce: str,
    verifier: str,
    ip_address: str | None,
) -> tuple[User, dict[str, Any]]:
    """The person a provider signed in, and the ID token's claims; SsoRefused (audited) otherwise."""
    try:
        claims = await _claims(provider, redirect_uri, code, nonce, verifier)
        user = await _account_for(db, provider, claims)
    except SsoRefused as exc:
        await record(
            db,
            actor=None,
            action="sso_refused",
            ip_address=ip_address,
            actor_label=(exc.label or provider.name)[:320],
            provider=provider.name,
            reason=exc.reason,
        )
        raise
    return user, claims


async def _account_for(db: AsyncSession, provider: SsoProvider, claims: dict[str, Any]) -> User:
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise SsoRefused(
            f"{provider.label} did not tell us your email address, so it cannot sign you in here. "
            "Sign in with your password.",
            "no_email",
        )
    email = email.strip().lower()
    if claims.get("email_verified") is not True:
        raise SsoRefused(
            f"{provider.label} has not confirmed {email} belongs to you, so it cannot sign you in here. "
            "Sign in with your password.",
            "email_unverified",
            email,
        )
    domain = email.rpartition("@")[2]
    if domain not in provider.domains:
        raise SsoRefused(
            f"Signing in with {provider.label} is not set up for {domain} addresses. "
            "Sign in with your password.",
            "domain_not_allowed",
            email,
        )
    user = await find_user_by_email(db, email)
    if user is None or not user.is_active:
        raise SsoRefused(
            f"There is no Placements account for {email}. Ask your programme coordinator, or your school's "
            "or business's admin, to invite you.",
            "no_account",
            email,
        )
    return user
