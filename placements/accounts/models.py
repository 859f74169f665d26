"""Users, their one role, and the single-use tokens that let them set a password."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from advanced_alchemy.base import UUIDAuditBase, UUIDBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import CheckConstraint, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from placements.types import enum_column

if TYPE_CHECKING:
    from employers.models import Employer
    from schools.models import School


class Role(enum.StrEnum):
    COORDINATOR = "coordinator"
    SCHOOL_STAFF = "school_staff"
    EMPLOYER_USER = "employer_user"

    @property
    def label(self) -> str:
        return {
            "coordinator": "Programme coordinator",
            "school_staff": "School staff",
            "employer_user": "Employer",
        }[self.value]


class User(UUIDAuditBase):
    __tablename__ = "user_account"
    __table_args__ = (
        # Exactly one role, and the tenant that role belongs to: nothing else.
        CheckConstraint(
            "(role = 'coordinator' AND school_id IS NULL AND employer_id IS NULL)"
            " OR (role = 'school_staff' AND school_id IS NOT NULL AND employer_id IS NULL)"
            " OR (role = 'employer_user' AND employer_id IS NOT NULL AND school_id IS NULL)",
            name="role_tenant",
        ),
    )

    email: Mapped[str] = mapped_column(String(320), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    password_hash: Mapped[str | None] = mapped_column(String(200), default=None)
    is_active: Mapped[bool] = mapped_column(default=True)
    school_id: Mapped[UUID | None] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    employer_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("employer.id", ondelete="CASCADE"), index=True
    )
    # School staff only: the programme wants a named digital advisor, with a phone, in every school.
    is_digital_advisor: Mapped[bool] = mapped_column(default=False)
    phone: Mapped[str | None] = mapped_column(String(30), default=None)
    last_signed_in_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # School staff and employer users: manages colleagues' accounts (deactivate, reactivate).
    is_admin: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Sessions remember the epoch they started in; moving it on ends them all at once.
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    # Two-step sign-in (placements.accounts.two_step): the authenticator app's shared secret, when
    # it was set up, and the last time step whose code was used, so no code is accepted twice.
    two_step_secret: Mapped[str | None] = mapped_column(String(32), default=None)
    two_step_since: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    two_step_last_step: Mapped[int] = mapped_column(default=0, server_default="0")

    school: Mapped[School | None] = relationship(lazy="raise")
    employer: Mapped[Employer | None] = relationship(lazy="raise")

    @property
    def can_sign_in(self) -> bool:
        return self.is_active and self.password_hash is not None

    @property
    def uses_two_step(self) -> bool:
        return self.two_step_secret is not None

    @property
    def organisation_id(self) -> UUID | None:
        return self.school_id or self.employer_id

    def end_sessions(self) -> None:
        self.session_epoch += 1


def organisation_model(role: Role) -> Any:
    """The class of the organisation a role's users belong to (a school, an employer), found
    through the user's mapping, so the core names the domains' tables without importing them."""
    relation = {Role.SCHOOL_STAFF: User.school, Role.EMPLOYER_USER: User.employer}[role]
    return relation.property.mapper.class_


class TokenPurpose(enum.StrEnum):
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a purpose, not a secret
    INVITATION = "invitation"


class AccountToken(UUIDBase):
    """A single-use secret sent by email; only its hash is kept."""

    __tablename__ = "account_token"

    user_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(enum_column(TokenPurpose))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))

    user: Mapped[User] = relationship(lazy="raise")


class TokenScope(enum.StrEnum):
    READ = "read"
    FULL = "full"

    @property
    def label(self) -> str:
        return {"read": "Read only", "full": "Your own rights"}[self.value]


class ApiToken(UUIDBase):
    """A personal access token for the JSON API, sent as `Authorization: Bearer …`: only its hash
    is kept, it expires, and its owner (or a coordinator, by deactivating them) can stop it."""

    __tablename__ = "api_token"

    user_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    scope: Mapped[TokenScope] = mapped_column(enum_column(TokenScope))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)

    user: Mapped[User] = relationship(lazy="raise")


class RecoveryCode(UUIDBase):
    """A single-use code that signs a person in when their authenticator app is lost: only its
    hash is kept, and a new set replaces the old."""

    __tablename__ = "recovery_code"

    user_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
