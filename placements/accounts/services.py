"""Accounts: signing in, inviting, and setting passwords by emailed single-use links."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import func, select

from placements.accounts.models import AccountToken, Role, TokenPurpose, User
from placements.accounts.passwords import hash_password, verify_password
from placements.audit.models import AuditEntry
from placements.audit.services import record
from placements.clock import now
from placements.notifications.services import queue_email
from placements.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


class AccountError(ValueError):
    """A request about an account that cannot be carried out, with a message for the person."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class TooManyAttempts(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("too many failed sign-in attempts")
        self.retry_after = retry_after


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def find_user_by_email(db: AsyncSession, email: str) -> User | None:
    return await db.scalar(select(User).where(User.email == normalise_email(email)))


async def _recent_failures(db: AsyncSession, email: str) -> list[datetime]:
    """Failed sign-ins for `email` within the window and since its last successful one.

    Counted from the audit log, so every worker sees the same count without a shared cache.
    """
    cutoff = now() - timedelta(seconds=get_settings().sign_in_window)
    last_success = await db.scalar(
        select(func.max(AuditEntry.at)).where(
            AuditEntry.action == "signed_in", AuditEntry.actor_label == email
        )
    )
    if last_success is not None and last_success > cutoff:
        cutoff = last_success
    return list(
        await db.scalars(
            select(AuditEntry.at)
            .where(
                AuditEntry.action == "sign_in_failed", AuditEntry.actor_label == email, AuditEntry.at > cutoff
            )
            .order_by(AuditEntry.at)
        )
    )


async def authenticate(db: AsyncSession, *, email: str, password: str, ip_address: str | None) -> User | None:
    """Check a sign-in. Repeated failures for one address lock it for a window, whoever tries."""
    settings = get_settings()
    email = normalise_email(email)
    failures = await _recent_failures(db, email)
    if len(failures) >= settings.sign_in_attempts:
        unlocks_at = failures[-settings.sign_in_attempts] + timedelta(seconds=settings.sign_in_window)
        await record(db, actor=None, action="sign_in_throttled", ip_address=ip_address, actor_label=email)
        raise TooManyAttempts(max(1, int((unlocks_at - now()).total_seconds()) + 1))

    user = await find_user_by_email(db, email)
    if user is None or not user.can_sign_in or not verify_password(user.password_hash, password):
        await record(db, actor=None, action="sign_in_failed", ip_address=ip_address, actor_label=email)
        return None

    user.last_signed_in_at = now()
    await record(
        db, actor=user, action="signed_in", record_type="user", record_id=user.id, ip_address=ip_address
    )
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_token(db: AsyncSession, *, user: User, purpose: TokenPurpose) -> str:
    settings = get_settings()
    max_age = settings.invitation_max_age if purpose is TokenPurpose.INVITATION else settings.token_max_age
    token = secrets.token_urlsafe(32)
    db.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=_token_hash(token),
            created_at=now(),
            expires_at=now() + timedelta(seconds=max_age),
        )
    )
    await db.flush()
    return token


async def find_valid_token(db: AsyncSession, token: str, purpose: TokenPurpose) -> AccountToken | None:
    found = await db.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == _token_hash(token), AccountToken.purpose == purpose
        )
    )
    if found is None or found.used_at is not None or found.expires_at <= now():
        return None
    return found


async def set_password_with_token(
    db: AsyncSession, *, token: str, purpose: TokenPurpose, password: str, ip_address: str | None
) -> User:
    found = await find_valid_token(db, token, purpose)
    if found is None:
        raise AccountError("This link has expired or has already been used. Ask for a new one.")
    user = await db.get_one(User, found.user_id)
    found.used_at = now()
    user.password_hash = hash_password(password)
    # Any other outstanding link for this account stops working too.
    for other in await db.scalars(
        select(AccountToken).where(AccountToken.user_id == user.id, AccountToken.used_at.is_(None))
    ):
        other.used_at = found.used_at
    await record(
        db,
        actor=user,
        action=f"password_set_by_{purpose.value}",
        record_type="user",
        record_id=user.id,
        ip_address=ip_address,
    )
    return user


async def request_password_reset(db: AsyncSession, *, email: str, ip_address: str | None) -> None:
    """Email a reset link if the address has an account; say nothing either way."""
    user = await find_user_by_email(db, email)
    if user is None or not user.is_active:
        return
    token = await issue_token(db, user=user, purpose=TokenPurpose.PASSWORD_RESET)
    link = f"{get_settings().base_url}/password-reset/{token}"
    await queue_email(
        db,
        to=user.email,
        subject="Reset your Placements password",
        body=(
            f"Hello {user.name},\n\nSomeone asked to reset the password of your Placements account.\n"
            f"To choose a new password, open this link within an hour:\n\n{link}\n\n"
            "The link works once. If it was not you, ignore this email: your password stays as it is.\n"
        ),
    )
    await record(
        db,
        actor=None,
        action="password_reset_requested",
        record_type="user",
        record_id=user.id,
        ip_address=ip_address,
        actor_label=user.email,
    )


@dataclass(frozen=True)
class Invitation:
    email: str
    name: str
    role: Role
    school_id: UUID | None = None
    employer_id: UUID | None = None


async def invite_user(
    db: AsyncSession, *, invitation: Invitation, actor: User, ip_address: str | None
) -> User:
    email = normalise_email(invitation.email)
    if await find_user_by_email(db, email) is not None:
        raise AccountError("There is already an account with this email address", field="email")
    user = User(
        email=email,
        name=invitation.name.strip(),
        role=invitation.role,
        school_id=invitation.school_id if invitation.role is Role.SCHOOL_STAFF else None,
        employer_id=invitation.employer_id if invitation.role is Role.EMPLOYER_USER else None,
    )
    db.add(user)
    await db.flush()
    token = await issue_token(db, user=user, purpose=TokenPurpose.INVITATION)
    link = f"{get_settings().base_url}/invitation/{token}"
    await queue_email(
        db,
        to=email,
        subject="You are invited to Placements",
        body=(
            f"Hello {user.name},\n\n{actor.name} has invited you to Placements, the council's "
            f"work-placement service, as {invitation.role.label.lower()}.\n\n"
            f"Choose your password here (the link works once, for 7 days):\n\n{link}\n"
        ),
    )
    await record(
        db,
        actor=actor,
        action="user_invited",
        record_type="user",
        record_id=user.id,
        ip_address=ip_address,
        role=invitation.role.value,
    )
    return user


async def create_coordinator(db: AsyncSession, *, email: str, name: str, password: str) -> User:
    email = normalise_email(email)
    if await find_user_by_email(db, email) is not None:
        raise AccountError("There is already an account with this email address", field="email")
    user = User(email=email, name=name, role=Role.COORDINATOR, password_hash=hash_password(password))
    db.add(user)
    await db.flush()
    await record(
        db,
        actor=None,
        action="coordinator_created",
        record_type="user",
        record_id=user.id,
        actor_label="command line",
    )
    return user


async def count_users(db: AsyncSession) -> int:
    return await db.scalar(select(func.count()).select_from(User)) or 0
