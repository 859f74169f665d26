"""Personal access tokens for the JSON API (a council's data warehouse, a school's MIS): a person
creates one with a name, a scope (read only, or their own rights) and an expiry, sees it once,
and can revoke it. A request sends it as `Authorization: Bearer …` to /api/… only; it is then
authenticated by the token alone, and every use is audited."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import NotAuthorizedException, NotFoundException, PermissionDeniedException
from litestar.middleware.csrf import generate_csrf_token
from sqlalchemy import select

from placements.accounts.guards import SAFE_METHODS
from placements.accounts.models import ApiToken, TokenScope, User
from placements.accounts.services import token_hash
from placements.audit.services import record
from placements.clock import now
from placements.db import locked
from placements.refusals import Refusal

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.types import ASGIApp, Receive, Scope, Send
    from sqlalchemy.ext.asyncio import AsyncSession

PREFIX = "plc_"
LIFETIMES = (7, 30, 90, 365)  # days a person may choose
MAX_NAME = 100


def bearer_token(scope: Scope) -> str | None:
    """The token of an `Authorization: Bearer plc_…` header, if the request has one."""
    header = dict(scope.get("headers", ())).get(b"authorization", b"").decode("latin-1")
    kind, _, token = header.partition(" ")
    return token.strip() if kind.lower() == "bearer" and token.strip().startswith(PREFIX) else None


def token_requests(secret: str) -> Any:
    """Middleware before the session's: a request carrying a token has its cookies dropped, so it
    is authenticated by the token alone, never by a browser's session as well; and it is given a
    CSRF pair of its own. CSRF guards against ambient credentials (cookies) a browser sends to
    another site's requests; a browser cannot add an Authorization header to those."""

    def middleware(app: ASGIApp) -> ASGIApp:
        async def shaped(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and bearer_token(scope) is not None:
                pair = generate_csrf_token(secret=secret)
                headers = MutableScopeHeaders(scope)
                del headers["cookie"]
                headers["cookie"] = f"csrftoken={pair}"
                headers["x-csrftoken"] = pair
            await app(scope, receive, send)

        return shaped

    return middleware


async def authenticate(db: AsyncSession, connection: ASGIConnection[Any, Any, Any, Any], token: str) -> User:
    """The token's owner, once the token is shown live and allowed for this request; each use is
    audited. Raises 401 for an unknown, expired or revoked token, 403 beyond its scope."""
    if not connection.scope["path"].startswith("/api/"):
        raise NotAuthorizedException("An API token works for /api/… only")
    found = await db.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    user = await db.get(User, found.user_id) if found else None
    if (
        found is None
        or user is None
        or found.revoked_at is not None
        or found.expires_at <= now()
        or not user.is_active
    ):
        await db.rollback()
        raise NotAuthorizedException("This API token is unknown, expired or revoked")
    if found.scope is TokenScope.READ and connection.scope["method"] not in SAFE_METHODS:
        await db.rollback()
        raise PermissionDeniedException("This API token can only read")
    found.last_used_at = now()
    await record(
        db,
        actor=user,
        action="api_token_used",
        record_type="api_token",
        record_id=found.id,
        ip_address=connection.client.host if connection.client else None,
        method=connection.scope["method"],
        path=connection.scope["path"],
    )
    return user


async def create_token(
    db: AsyncSession, *, user: User, name: str, scope: str, days: str, ip_address: str | None
) -> tuple[ApiToken, str]:
    """A new token for `user`; the secret is returned once and never stored."""
    problems = {}
    name = name.strip()
    if not name:
        problems["name"] = "Give the token a name, so you know later what uses it"
    elif len(name) > MAX_NAME:
        problems["name"] = f"The name must be {MAX_NAME} characters or fewer"
    if scope not in {s.value for s in TokenScope}:
        problems["scope"] = "Select what the token may do"
    if not days.isdigit() or int(days) not in LIFETIMES:
        problems["days"] = "Select how long the token works"
    if problems:
        raise Refusal.of(problems)
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        scope=TokenScope(scope),
        token_hash=token_hash(secret),
        created_at=now(),
        expires_at=now() + timedelta(days=int(days)),
    )
    db.add(token)
    await db.flush()
    await record(
        db,
        actor=user,
        action="api_token_created",
        record_type="api_token",
        record_id=token.id,
        ip_address=ip_address,
        scope=scope,
        days=int(days),
    )
    return token, secret


async def own_token(db: AsyncSession, *, user: User, token_id: Any) -> ApiToken:
    """One of `user`'s own tokens; another person's is not found."""
    token = await db.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if token is None:
        raise NotFoundException("You have no API token with this id")
    return token


async def revoke_token(db: AsyncSession, *, user: User, token_id: Any, ip_address: str | None) -> ApiToken:
    """Stop one of `user`'s own tokens."""
    token = await own_token(db, user=user, token_id=token_id)
    token = await locked(db, ApiToken, token.id) or token
    if token.revoked_at is None:
        token.revoked_at = now()
        await record(
            db,
            actor=user,
            action="api_token_revoked",
            record_type="api_token",
            record_id=token.id,
            ip_address=ip_address,
        )
    return token


async def tokens_of(db: AsyncSession, user: User) -> list[ApiToken]:
    return list(
        await db.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())
        )
    )
