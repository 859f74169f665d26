"""Signing people in: server-side sessions kept in the database, looked up on every request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.security.session_auth import SessionAuth
from sqlalchemy.ext.asyncio import AsyncSession

from placements.accounts.models import User
from placements.settings import Settings

SESSION_STORE = "sessions"
ROTATE = "placements.rotate_session"


class RotatingSessionBackend(ServerSideSessionBackend):
    """Gives a session a new id when someone signs in, so an id planted before sign-in is useless."""

    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        state = connection.scope.setdefault("state", {})
        if state.get(ROTATE):
            return state.setdefault("placements.new_session_id", self.generate_session_id())
        return super().get_session_id(connection)

    async def store_in_message(self, scope_session: Any, message: Any, connection: Any) -> None:
        state = connection.scope.get("state", {})
        old_id = connection.cookies.get(self.config.key)
        if not old_id and not scope_session:
            return  # nothing to remember about a visitor who has no session: no row, no cookie
        if state.get(ROTATE) and old_id:
            await self.delete(old_id, store=self.config.get_store_from_app(connection.scope["app"]))
        await super().store_in_message(scope_session, message, connection)


@dataclass
class RotatingSessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend  # type: ignore[assignment]


def start_session(connection: ASGIConnection[Any, Any, Any, Any], user: User) -> None:
    connection.scope.setdefault("state", {})[ROTATE] = True
    connection.set_session({"user_id": str(user.id)})


async def _retrieve_user(
    session: dict[str, Any], connection: ASGIConnection[Any, Any, Any, Any]
) -> User | None:
    user_id = session.get("user_id")
    if not user_id:
        return None
    alchemy = connection.app.state["placements.alchemy"]
    db: AsyncSession = alchemy.provide_session(connection.app.state, connection.scope)
    try:
        user = await db.get(User, UUID(user_id))
    except ValueError:
        return None
    return user if user is not None and user.is_active else None


def session_auth(settings: Settings) -> SessionAuth[User, RotatingSessionBackend]:
    return SessionAuth[User, RotatingSessionBackend](
        retrieve_user_handler=_retrieve_user,
        session_backend_config=RotatingSessionConfig(
            store=SESSION_STORE,
            key="placements_session",
            max_age=settings.session_max_age,
            secure=settings.secure_cookies,
            httponly=True,
            samesite="lax",
            renew_on_access=True,
            exclude=["^/static/", "^/health$"],
        ),
        exclude_opt_key="public",
    )
