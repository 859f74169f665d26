"""Who is acting, and from where: handed to every handler that asks for `acting` (Litestar DI).

Every change a person makes is recorded in the audit log with their account and address; handlers
take both from here, and write the entries of their own (a download, a page of pupils read) with
`audit`, instead of each reading the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from litestar import Request
from litestar.di import NamedDependency

from placements.accounts.models import User
from placements.audit.services import record

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class ActingPerson:
    # None on the pages for signing in, before anybody is.
    user: User
    ip_address: str | None

    async def audit(
        self, db: AsyncSession, action: str, *, record_type: str, record_id: object, **detail: Any
    ) -> None:
        await record(
            db,
            actor=self.user,
            action=action,
            record_type=record_type,
            record_id=record_id,
            ip_address=self.ip_address,
            **detail,
        )


# What a handler names to be given the acting person (as DbSession names the database session).
Acting = NamedDependency[ActingPerson]


def acting_of(request: Request[Any, Any, Any]) -> ActingPerson:
    return ActingPerson(user=request.scope.get("user"), ip_address=client_ip(request))  # type: ignore[arg-type]


def client_ip(request: Request[Any, Any, Any]) -> str | None:
    return request.client.host if request.client else None
