"""The accounts API: who am I; the users and invitations (coordinators); deactivating and
reactivating accounts (coordinators, and organisations' admins for their colleagues); resetting
someone's two-step sign-in (coordinators)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException, TooManyRequestsException, ValidationException
from litestar.params import FromPath, JSONBody
from msgspec import Meta, Struct

from placements.accounts import queries, two_step
from placements.accounts.guards import COORDINATOR, access
from placements.accounts.management import account_for, deactivate_user, reactivate_user
from placements.accounts.models import Role, User, organisation_model
from placements.accounts.services import Invitation, invite_user
from placements.db import DbSession
from placements.web.acting import Acting
from placements.web.errors import API_ERRORS, API_LOOKUP_ERRORS, ConflictException
from placements.web.forms import EMAIL
from placements.web.paging import Limit, Offset
from placements.web.schemas import from_model


class UserOut(Struct):
    id: UUID
    email: str
    name: str
    role: Role
    school_id: UUID | None
    employer_id: UUID | None
    is_active: bool
    is_admin: bool
    invited: bool
    two_step: bool

    @classmethod
    def of(cls, user: User) -> UserOut:
        return from_model(cls, user, invited=user.password_hash is None, two_step=user.uses_two_step)


class InvitationSentOut(Struct):
    """What a school or an employer is told about an invitation: the same whether or not the address
    already has an account elsewhere (that address is told instead)."""

    email: str
    message: str

    @classmethod
    def to(cls, email: str) -> InvitationSentOut:
        return cls(email=email, message="Invitation sent")


# At least one letter or digit, in a range Python and JSON Schema read alike (no Unicode spaces).
_HAS_A_LETTER = r"[0-9A-Za-z\u00c0-\u1fff\u3040-\ufefe]"


class _InvitationIn(Struct, kw_only=True, tag_field="role"):
    email: Annotated[str, Meta(min_length=3, max_length=320, pattern=EMAIL.pattern)]
    name: Annotated[str, Meta(min_length=1, max_length=200, pattern=_HAS_A_LETTER)]


class CoordinatorInvitationIn(_InvitationIn, tag=Role.COORDINATOR.value):
    pass


class SchoolStaffInvitationIn(_InvitationIn, tag=Role.SCHOOL_STAFF.value):
    school_id: UUID


class EmployerUserInvitationIn(_InvitationIn, tag=Role.EMPLOYER_USER.value):
    employer_id: UUID


InvitationIn = CoordinatorInvitationIn | SchoolStaffInvitationIn | EmployerUserInvitationIn


class AccountsApi(Controller):
    path = "/api"
    tags = ["Accounts"]

    @get("/me", opt=access(), operation_id="getMe", summary="The signed-in user", raises=API_ERRORS)
    async def me(self, request: Request[User, Any, Any]) -> UserOut:
        return UserOut.of(request.user)

    @get(
        "/users",
        opt=COORDINATOR,
        operation_id="listUsers",
        summary="Every account",
        raises=API_ERRORS,
    )
    async def list_users(
        self,
        db_session: DbSession,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> OffsetPagination[UserOut]:
        users, total = await queries.list_users(db_session, order=(User.email,), limit=limit, offset=offset)
        return OffsetPagination(items=[UserOut.of(u) for u in users], limit=limit, offset=offset, total=total)

    @post(
        "/users",
        opt=COORDINATOR,
        operation_id="inviteUser",
        summary="Invite someone by email",
        raises=[*API_LOOKUP_ERRORS, ValidationException, ConflictException, TooManyRequestsException],
    )
    async def invite(self, acting: Acting, data: JSONBody[InvitationIn], db_session: DbSession) -> UserOut:
        school_id = getattr(data, "school_id", None)
        employer_id = getattr(data, "employer_id", None)
        if school_id and await db_session.get(organisation_model(Role.SCHOOL_STAFF), school_id) is None:
            raise NotFoundException("No school has this school_id")
        if employer_id and await db_session.get(organisation_model(Role.EMPLOYER_USER), employer_id) is None:
            raise NotFoundException("No employer has this employer_id")
        invitation = Invitation(
            email=data.email,
            name=data.name,
            role=Role(data.__struct_config__.tag),
            school_id=school_id,
            employer_id=employer_id,
        )
        user = await invite_user(
            db_session,
            invitation=invitation,
            actor=acting.user,
            ip_address=acting.ip_address,
        )
        assert user is not None  # a coordinator is told when the address has an account
        return UserOut.of(user)

    @post(
        "/users/{user_id:uuid}/deactivate",
        opt=access(),
        operation_id="deactivateUser",
        summary="Deactivate an account: it can't sign in and its sessions end at once",
        description="Coordinators: any account but their own. A school's or an employer's admins: "
        "their colleagues' accounts. Another organisation's account is 404.",
        raises=[*API_LOOKUP_ERRORS, ConflictException],
        status_code=200,
    )
    async def deactivate(self, acting: Acting, user_id: FromPath[UUID], db_session: DbSession) -> UserOut:
        user = await account_for(db_session, actor=acting.user, user_id=user_id)
        await deactivate_user(db_session, user=user, actor=acting.user, ip_address=acting.ip_address)
        return UserOut.of(user)

    @post(
        "/users/{user_id:uuid}/reactivate",
        opt=access(),
        operation_id="reactivateUser",
        summary="Reactivate a deactivated account: it signs in again with its password",
        description="Who may: as for deactivating.",
        raises=[*API_LOOKUP_ERRORS, ConflictException],
        status_code=200,
    )
    async def reactivate(self, acting: Acting, user_id: FromPath[UUID], db_session: DbSession) -> UserOut:
        user = await account_for(db_session, actor=acting.user, user_id=user_id)
        await reactivate_user(db_session, user=user, actor=acting.user, ip_address=acting.ip_address)
        return UserOut.of(user)

    @post(
        "/users/{user_id:uuid}/two-step/reset",
        opt=COORDINATOR,
        operation_id="resetTwoStep",
        summary="Turn off someone's two-step sign-in (they lost their app and recovery codes)",
        description="They are signed out everywhere and emailed; audited. Not your own: 409.",
        raises=[*API_LOOKUP_ERRORS, ConflictException],
        status_code=200,
    )
    async def reset_two_step(self, acting: Acting, user_id: FromPath[UUID], db_session: DbSession) -> UserOut:
        user = await account_for(db_session, actor=acting.user, user_id=user_id)
        await two_step.reset(db_session, user=user, actor=acting.user, ip_address=acting.ip_address)
        return UserOut.of(user)
