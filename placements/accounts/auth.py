"""Signing people in: server-side sessions kept in the database, looked up on every request.

A session names its user, when they signed in, the user's session epoch at that moment and the
CSRF token issued with it. It ends after `session_max_age` without a request, `session_lifetime`
after sign-in whatever happens, and at once when the user's epoch moves on (deactivation,
password reset), in every process, because the user row is read on every request.

Reading a page does not write the session: it is written when it changes, and otherwise renewed at
most once a minute (`RENEW_AFTER`), so a session ends between `session_max_age` and one minute
less after its last request, and pages cost no write to the database.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from secrets import compare_digest
from typing import Any
from uuid import UUID

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.authentication import AuthenticationResult
from litestar.middleware.csrf import generate_csrf_token
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.security.session_auth import SessionAuth, SessionAuthMiddleware
from litestar.utils.scope.state import ScopeState
from sqlalchemy import bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from placements.accounts import api_tokens
from placements.accounts.guards import SAFE_METHODS
from placements.accounts.models import User
from placements.clock import now
from placements.settings import Settings
from placements.store import StoreEntry

SESSION_STORE = "sessions"
ROTATE = "placements.rotate_session"
NEW_CSRF_TOKEN = "placements.new_csrf_token"  # noqa: S105 - a key in the scope, not a secret
LOADED = "placements.loaded_session"
OWNER = "placements.session_owner"
RENEWED_AT = "renewed_at"
RENEW_AFTER = 60  # seconds
OWNER_MARK = "."


class RotatingSessionBackend(ServerSideSessionBackend):
    """Gives a session a new id, and a new CSRF token, when someone signs in: an id or a token
    planted before sign-in is useless."""

    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        state = connection.scope.setdefault("state", {})
        if state.get(ROTATE):
            return state.setdefault("placements.new_session_id", self._new_id(connection))
        return super().get_session_id(connection)

    def _new_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        """A random id, followed by the id of the user signing in: the user row can then be read with
        the stored session, in one query. The stored session still says whose it is."""
        session = connection.scope.get("session")
        user_id = session.get("user_id") if isinstance(session, dict) else None
        return self.generate_session_id() + (f"{OWNER_MARK}{UUID(user_id).hex}" if user_id else "")

    async def load_from_connection(self, connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any]:
        """The stored session, read in the request's own transaction with the user row its id names,
        then the page, so a request costs one transaction, not one more for its session."""
        session: dict[str, Any] = {}
        if session_id := connection.cookies.get(self.config.key):
            db = _request_db(connection)
            store = self.config.get_store_from_app(connection.scope["app"])
            owner = _owner(session_id)
            namespace = store.namespace  # type: ignore[attr-defined]
            values = {"key": session_id, "namespace": namespace, "now": datetime.now(UTC), "owner": owner}
            row = (await db.execute(_SESSION_AND_OWNER if owner else _SESSION, values)).first()
            if row is not None:
                session = self.deserialize_data(row[0])
                # The user row, if read, is held here for `_retrieve_user`: its lookup by id finds
                # it in the identity map, which keeps an object only while something else does.
                connection.scope.setdefault("state", {})[OWNER] = row[1:]
            if not session.get("user_id"):
                # Nobody to read next: end the read now, or a request refused before its transaction
                # middleware would still hold it while its session is written (SQLite's lock).
                await db.rollback()
        connection.scope.setdefault("state", {})[LOADED] = self.serialize_data(session, connection.scope)
        return session

    def _unchanged_and_fresh(self, scope_session: Any, connection: Any) -> bool:
        state = connection.scope.get("state", {})
        if not isinstance(scope_session, dict) or state.get(ROTATE) or state.get(NEW_CSRF_TOKEN):
            return False
        fresh = time.time() - scope_session.get(RENEWED_AT, 0) < RENEW_AFTER
        return fresh and self.serialize_data(scope_session, connection.scope) == state.get(LOADED)

    async def store_in_message(self, scope_session: Any, message: Any, connection: Any) -> None:
        state = connection.scope.get("state", {})
        old_id = connection.cookies.get(self.config.key)
        if not old_id and not scope_session:
            return  # nothing to remember about a visitor who has no session: no row, no cookie
        if self._unchanged_and_fresh(scope_session, connection):
            return  # the stored session and the browser's cookie stand as they are
        if isinstance(scope_session, dict) and scope_session:
            scope_session[RENEWED_AT] = time.time()
        if state.get(ROTATE) and old_id:
            await self.delete(old_id, store=self.config.get_store_from_app(connection.scope["app"]))
        if state.get(NEW_CSRF_TOKEN):
            csrf = connection.app.csrf_config
            MutableScopeHeaders.from_message(message).add(
                "Set-Cookie",
                Cookie(
                    key=csrf.cookie_name,
                    value=state[NEW_CSRF_TOKEN],
                    path=csrf.cookie_path,
                    secure=csrf.cookie_secure,
                    httponly=csrf.cookie_httponly,
                    samesite=csrf.cookie_samesite,
                    domain=csrf.cookie_domain,
                ).to_header(header=""),
            )
        await super().store_in_message(scope_session, message, connection)


# Built once: a statement built afresh costs more CPU than PostgreSQL spends answering it.
_SESSION = select(StoreEntry.value).where(
    StoreEntry.key == bindparam("key"),
    StoreEntry.namespace == bindparam("namespace"),
    or_(StoreEntry.expires_at.is_(None), StoreEntry.expires_at > bindparam("now")),
)
_SESSION_AND_OWNER = _SESSION.add_columns(User).outerjoin(User, User.id == bindparam("owner"))


def _owner(session_id: str) -> UUID | None:
    """The user id a session id ends with, if it is one."""
    _, mark, owner = session_id.rpartition(OWNER_MARK)
    try:
        return UUID(hex=owner) if mark else None
    except ValueError:
        return None


@dataclass
class RotatingSessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend  # type: ignore[assignment]


def start_session(connection: ASGIConnection[Any, Any, Any, Any], user: User) -> None:
    token = generate_csrf_token(secret=connection.app.csrf_config.secret)
    state = connection.scope.setdefault("state", {})
    state[ROTATE] = True
    state[NEW_CSRF_TOKEN] = token
    connection.set_session(
        {
            "user_id": str(user.id),
            "epoch": user.session_epoch,
            "signed_in_at": now().isoformat(),
            "csrf": token,
        }
    )


def _request_db(connection: ASGIConnection[Any, Any, Any, Any]) -> AsyncSession:
    alchemy = connection.app.state["placements.alchemy"]
    return alchemy.provide_session(connection.app.state, connection.scope)  # type: ignore[no-any-return]


def session_is_current(session: dict[str, Any], user: User, *, lifetime: int) -> bool:
    """Whether a session of `user` may still be used: started less than `lifetime` seconds ago, and
    since the user's sessions were last ended."""
    try:
        signed_in_at = datetime.fromisoformat(session["signed_in_at"])
    except (KeyError, TypeError, ValueError):
        return False  # from before sessions had a start: counts as over
    return session.get("epoch") == user.session_epoch and now() < signed_in_at + timedelta(seconds=lifetime)


async def _retrieve_user(
    session: dict[str, Any], connection: ASGIConnection[Any, Any, Any, Any]
) -> User | None:
    user_id = session.get("user_id")
    if not user_id:
        return None
    db = _request_db(connection)
    try:
        user = await db.get(User, UUID(user_id))
    except ValueError:
        user = None
    lifetime = connection.app.state["placements.settings"].session_lifetime
    if user is None or not user.is_active or not session_is_current(session, user, lifetime=lifetime):
        # The request ends here (401), before the transaction middleware: end the read, or deleting
        # the stored session below would wait on SQLite's lock held by this very request.
        await db.rollback()
        connection.clear_session()
        return None
    return user


def csrf_bound_to_session(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    """A guard on every route: a write from a signed-in session must carry that session's own CSRF
    token. Litestar's middleware has already checked that the token matches the cookie; this stops a
    token (and cookie) obtained in one session from working in another."""
    if connection.scope["method"] in SAFE_METHODS:
        return
    session = connection.scope.get("session")
    expected = session.get("csrf") if isinstance(session, dict) else None
    if expected is None:
        return
    sent = ScopeState.from_scope(connection.scope).csrf_token
    if not isinstance(sent, str) or not compare_digest(sent, expected):
        raise PermissionDeniedException("CSRF token verification failed")


class SessionOrTokenAuth(SessionAuthMiddleware):
    """A person's session, or, on the JSON API, a personal access token (placements.accounts.api_tokens)."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        token = api_tokens.bearer_token(connection.scope)
        if token is None:
            return await super().authenticate_request(connection)
        user = await api_tokens.authenticate(_request_db(connection), connection, token)
        return AuthenticationResult(user=user, auth=token)


def session_auth(settings: Settings) -> SessionAuth[User, RotatingSessionBackend]:
    return SessionAuth[User, RotatingSessionBackend](
        authentication_middleware_class=SessionOrTokenAuth,
        retrieve_user_handler=_retrieve_user,
        session_backend_config=RotatingSessionConfig(
            store=SESSION_STORE,
            key="placements_session",
            max_age=settings.session_max_age,
            secure=settings.secure_cookies,
            httponly=True,
            samesite="lax",
            renew_on_access=False,  # renewed by writing, at most once a minute: see store_in_message
            exclude=["^/static/", "^/health$"],
        ),
        exclude_opt_key="public",
    )
