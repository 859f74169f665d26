"""Deactivating and reactivating accounts, and who manages whose.

Coordinators manage every account; a school's or an employer's admins manage their colleagues'.
Nobody deactivates their own account, so an organisation (or the programme) can't lock itself out
by a slip. A deactivated account can't sign in, its sessions end at once and its emailed links
stop working; reactivating it lets it sign in again with its password.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from litestar.exceptions import NotFoundException, PermissionDeniedException

from placements.accounts.models import Role, User
from placements.accounts.services import AccountError, void_tokens
from placements.audit.services import record

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


def same_organisation(actor: User, user: User) -> bool:
    return (
        actor.role is user.role
        and actor.organisation_id is not None
        and (actor.organisation_id == user.organisation_id)
    )


def may_manage(actor: User, user: User) -> bool:
    """Whether `actor` may deactivate, reactivate or make an admin of `user` (never themselves)."""
    if actor.id == user.id:
        return False
    if actor.role is Role.COORDINATOR:
        return True
    return actor.is_admin and same_organisation(actor, user)


async def account_for(db: AsyncSession, *, actor: User, user_id: UUID) -> User:
    """The account as `actor` may see it for managing: any for coordinators, colleagues for the rest
    (another organisation's account is "not found", never "forbidden")."""
    user = await db.get(User, user_id)
    if user is None or (actor.role is not Role.COORDINATOR and not same_organisation(actor, user)):
        raise NotFoundException("No account has this id")
    return user


def _check_may_manage(actor: User, user: User) -> None:
    if actor.id == user.id:
        raise AccountError("You cannot change your own account here")
    if not may_manage(actor, user):
        raise PermissionDeniedException("Only your organisation's admins can manage colleagues' accounts")


async def deactivate_user(db: AsyncSession, *, user: User, actor: User, ip_address: str | None) -> User:
    _check_may_manage(actor, user)
    if not user.is_active:
        raise AccountError("This account is already deactivated")
    user.is_active = False
    user.end_sessions()
    await void_tokens(db, user=user)
    await record(
        db,
        actor=actor,
        action="user_deactivated",
        record_type="user",
        record_id=user.id,
        ip_address=ip_address,
    )
    return user


async def reactivate_user(db: AsyncSession, *, user: User, actor: User, ip_address: str | None) -> User:
    _check_may_manage(actor, user)
    if user.is_active:
        raise AccountError("This account is already active")
    user.is_active = True
    await record(
        db,
        actor=actor,
        action="user_reactivated",
        record_type="user",
        record_id=user.id,
        ip_address=ip_address,
    )
    return user


async def set_admin(
    db: AsyncSession, *, user: User, is_admin: bool, actor: User, ip_address: str | None
) -> User:
    _check_may_manage(actor, user)
    if user.role is Role.COORDINATOR:
        raise AccountError("Coordinators manage every account already")
    user.is_admin = is_admin
    await record(
        db,
        actor=actor,
        action="user_admin_granted" if is_admin else "user_admin_withdrawn",
        record_type="user",
        record_id=user.id,
        ip_address=ip_address,
    )
    return user
