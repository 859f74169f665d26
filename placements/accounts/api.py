"""The accounts API: who am I, and (coordinators) the users and invitations."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, Request, get, post
from litestar.exceptions import ValidationException
from litestar.params import JSONBody
from msgspec import Meta, Struct
from sqlalchemy import func, select

from placements.accounts.guards import access
from placements.accounts.models import Role, User
from placements.accounts.services import AccountError, Invitation, invite_user
from placements.db import DbSession
from placements.web.forms import EMAIL
from placements.web.paging import Limit, Offset


class UserOut(Struct):
    id: UUID
    email: str
    name: str
    role: Role
    school_id: UUID | None
    employer_id: UUID | None
    is_active: bool
    invited: bool

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            role=user.role,
            school_id=user.school_id,
            employer_id=user.employer_id,
            is_active=user.is_active,
            invited=user.password_hash is None,
        )


class InvitationIn(Struct):
    email: Annotated[str, Meta(min_length=3, max_length=320, pattern=EMAIL.pattern)]
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    role: Role
    school_id: UUID | None = None
    employer_id: UUID | None = None


class AccountsApi(Controller):
    path = "/api"
    tags = ["Accounts"]

    @get("/me", opt=access(), operation_id="getMe", summary="The signed-in user")
    async def me(self, request: Request[User, Any, Any]) -> UserOut:
        return UserOut.of(request.user)

    @get("/users", opt=access(Role.COORDINATOR), operation_id="listUsers", summary="Every account")
    async def list_users(
        self,
        db_session: DbSession,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> OffsetPagination[UserOut]:
        total = await db_session.scalar(select(func.count()).select_from(User)) or 0
        users = await db_session.scalars(select(User).order_by(User.email).limit(limit).offset(offset))
        return OffsetPagination(items=[UserOut.of(u) for u in users], limit=limit, offset=offset, total=total)

    @post(
        "/users",
        opt=access(Role.COORDINATOR),
        operation_id="inviteUser",
        summary="Invite someone by email",
        raises=[ValidationException],
    )
    async def invite(
        self, request: Request[User, Any, Any], data: JSONBody[InvitationIn], db_session: DbSession
    ) -> UserOut:
        from employers.models import Employer
        from schools.models import School

        if data.name.strip() == "":
            raise ValidationException("name must not be blank")
        if data.role is Role.SCHOOL_STAFF and (
            data.school_id is None or await db_session.get(School, data.school_id) is None
        ):
            raise ValidationException("school_id must name an existing school for school staff")
        if data.role is Role.EMPLOYER_USER and (
            data.employer_id is None or await db_session.get(Employer, data.employer_id) is None
        ):
            raise ValidationException("employer_id must name an existing employer for employer users")
        invitation = Invitation(
            email=data.email,
            name=data.name,
            role=data.role,
            school_id=data.school_id,
            employer_id=data.employer_id,
        )
        try:
            user = await invite_user(
                db_session,
                invitation=invitation,
                actor=request.user,
                ip_address=request.client.host if request.client else None,
            )
        except AccountError as exc:
            raise ValidationException(str(exc)) from exc
        return UserOut.of(user)
