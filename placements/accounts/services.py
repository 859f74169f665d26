"""Accounts: signing in, inviting, and setting passwords by emailed single-use links.

Nothing said to a person who is not signed in, nor to a school or an employer, tells whether an
email address has an account elsewhere: those paths answer the same either way, and email the
address itself instead.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import func, select

from placements.accounts.limits import Limit, TooMany, enforce, reached
from placements.accounts.models import AccountToken, Role, TokenPurpose, User
from placements.accounts.passwords import hash_password, password_problem, verify_password
from placements.accounts.throttling import check_sign_in_allowed
from placements.audit.models import AuditEntry
from placements.audit.services import record
from placements.clock import now
from placements.notifications.services import public_url, queue_email
from placements.refusals import Refusal
from placements.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

# Every email sent to one address because someone asked (a reset, an invitation, a sign-up).
EMAILS_TO_ONE_ADDRESS = Limit(
    (
        "password_reset_requested",
        "user_invited",
        "invitation_to_existing_account",
        "sign_up_for_existing_account",
    ),
    most=3,
    window=timedelta(hours=1),
)
RESETS_PER_CLIENT = Limit(
    ("password_reset_requested", "password_reset_unsent"),
    most=10,
    window=timedelta(hours=1),
    message="Too many password reset requests from your network. Try again later.",
)
INVITATIONS_PER_CLIENT = Limit(
    ("user_invited", "invitation_to_existing_account"),
    most=30,
    window=timedelta(hours=1),
    message="Too many invitations sent from your network in the last hour. Try again later.",
)
INVITATIONS_PER_ORGANISATION = Limit(
    ("user_invited", "invitation_to_existing_account"),
    most=10,
    window=timedelta(days=1),
    message="Your organisation has sent 10 invitations today, the most allowed. Try again tomorrow, "
    "or ask the programme team.",
)


class AccountError(Refusal):
    """A request about an account that cannot be carried out, with a message for the person."""


class LinkExpired(AccountError):
    def __init__(self) -> None:
        super().__init__("This link has expired or has already been used. Ask for a new one.")


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def find_user_by_email(db: AsyncSession, email: str) -> User | None:
    return await db.scalar(select(User).where(User.email == normalise_email(email)))


async def authenticate(db: AsyncSession, *, email: str, password: str, ip_address: str | None) -> User | None:
    """Check a sign-in's password (TooMany when it must wait, see `throttling`): the person, whose
    sign-in the caller finishes (placements.accounts.signing_in), after the second step if they use
    two-step sign-in. Unknown addresses take the same path and the same password-hashing work as
    known ones."""
    email = normalise_email(email)
    try:
        await check_sign_in_allowed(db, email=email, ip_address=ip_address)
    except TooMany:
        await record(db, actor=None, action="sign_in_throttled", ip_address=ip_address, actor_label=email)
        raise
    user = await find_user_by_email(db, email)
    matches = verify_password(user.password_hash if user else None, password)
    if user is None or not user.can_sign_in or not matches:
        await record(db, actor=None, action="sign_in_failed", ip_address=ip_address, actor_label=email)
        return None
    if user.uses_two_step:
        # Signed in only once the second step is done too (placements.accounts.two_step_pages).
        await record(
            db,
            actor=None,
            action="password_accepted",
            record_type="user",
            record_id=user.id,
            ip_address=ip_address,
            actor_label=email,
        )
    return user


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_token(db: AsyncSession, *, user: User, purpose: TokenPurpose) -> str:
    settings = get_settings()
    max_age = settings.invitation_max_age if purpose is TokenPurpose.INVITATION else settings.token_max_age
    token = secrets.token_urlsafe(32)
    db.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=token_hash(token),
            created_at=now(),
            expires_at=now() + timedelta(seconds=max_age),
        )
    )
    await db.flush()
    return token


async def find_valid_token(db: AsyncSession, token: str, purpose: TokenPurpose) -> AccountToken | None:
    found = await db.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == token_hash(token), AccountToken.purpose == purpose
        )
    )
    if found is None or found.used_at is not None or found.expires_at <= now():
        return None
    return found


async def void_tokens(db: AsyncSession, *, user: User) -> None:
    """Every link emailed to this account that is still unused stops working."""
    for token in await db.scalars(
        select(AccountToken).where(AccountToken.user_id == user.id, AccountToken.used_at.is_(None))
    ):
        token.used_at = now()


async def set_password_with_token(
    db: AsyncSession,
    *,
    token: str,
    purpose: TokenPurpose,
    password: str,
    confirmation: str,
    ip_address: str | None,
) -> User:
    """Set the password a reset or invitation link was sent for (LinkExpired, or AccountError on the
    password field) and end every session of the account, wherever it was signed in."""
    found = await find_valid_token(db, token, purpose)
    if found is None:
        raise LinkExpired
    user = await db.get_one(User, found.user_id)
    problem = password_problem(password, email=user.email, name=user.name, confirmation=confirmation)
    if problem:
        raise AccountError(problem, field="password")
    user.password_hash = hash_password(password)
    user.end_sessions()
    await void_tokens(db, user=user)
    await record(
        db,
        actor=user,
        action=f"password_set_by_{purpose.value}",
        record_type="user",
        record_id=user.id,
        ip_address=ip_address,
    )
    return user


async def _may_email(db: AsyncSession, user: User) -> bool:
    return not await reached(
        db, EMAILS_TO_ONE_ADDRESS, AuditEntry.record_type == "user", AuditEntry.record_id == str(user.id)
    )


async def request_password_reset(db: AsyncSession, *, email: str, ip_address: str | None) -> None:
    """Email a reset link if the address has an account; say nothing either way."""
    await enforce(db, RESETS_PER_CLIENT, AuditEntry.ip_address == ip_address)
    user = await find_user_by_email(db, email)
    if user is None or not user.is_active or not await _may_email(db, user):
        await record(
            db,
            actor=None,
            action="password_reset_unsent",
            ip_address=ip_address,
            actor_label=normalise_email(email)[:320],
        )
        return
    token = await issue_token(db, user=user, purpose=TokenPurpose.PASSWORD_RESET)
    await queue_email(
        db,
        to=user.email,
        subject="Reset your Placements password",
        body=(
            "Hello,\n\nSomeone asked to reset the password of your Placements account.\n"
            "To choose a new password, open this link within an hour:\n\n"
            f"{public_url(f'/password-reset/{token}')}\n\n"
            "The link works once, and choosing a new password signs your account out everywhere.\n"
            "If it was not you, ignore this email: your password stays as it is.\n"
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


async def tell_existing_account(
    db: AsyncSession, *, user: User, action: str, what: str, actor: User | None, ip_address: str | None
) -> None:
    """Someone asked for a new account (`what`, fixed wording) for an address that already has one:
    tell the address, change nothing, and record it as `action`."""
    if await _may_email(db, user):
        await queue_email(
            db,
            to=user.email,
            subject="Your Placements account",
            body=(
                f"Hello,\n\nSomeone {what} on Placements, the council's work-placement service, "
                "with this email address. It already has an account, and nothing about it has changed.\n\n"
                f"To sign in: {public_url('/sign-in')}\n"
                f"If you have forgotten your password: {public_url('/password-reset')}\n\n"
                "If you were not expecting this, you can ignore this email.\n"
            ),
        )
    await record(
        db,
        actor=actor,
        action=action,
        record_type="user",
        record_id=user.id,
        ip_address=ip_address,
        actor_label=None if actor else user.email,
    )


@dataclass(frozen=True)
class Invitation:
    email: str
    name: str
    role: Role
    school_id: UUID | None = None
    employer_id: UUID | None = None

    @property
    def organisation_id(self) -> UUID | None:
        return self.school_id if self.role is Role.SCHOOL_STAFF else self.employer_id


def _colleagues_of(organisation_id: UUID | None) -> Any:
    return select(User.id).where((User.school_id == organisation_id) | (User.employer_id == organisation_id))


async def _has_admin(db: AsyncSession, organisation_id: UUID | None) -> bool:
    return bool(
        await db.scalar(
            select(func.count())
            .select_from(User)
            .where(User.id.in_(_colleagues_of(organisation_id)), User.is_admin, User.is_active)
        )
    )


async def invite_user(
    db: AsyncSession, *, invitation: Invitation, actor: User, ip_address: str | None
) -> User | None:
    """Create the account and email its invitation (fixed wording: nothing the inviter typed).

    Returns the new account, or None when the address already has one in another organisation or
    is a coordinator's: that address is told, its account stays where it is, and the inviter gets
    the same answer as for any invitation. Coordinators, who see every account, are told instead.
    """
    await enforce(db, INVITATIONS_PER_CLIENT, AuditEntry.ip_address == ip_address)
    if actor.role is not Role.COORDINATOR:
        await enforce(
            db, INVITATIONS_PER_ORGANISATION, AuditEntry.actor_id.in_(_colleagues_of(actor.organisation_id))
        )
    email = normalise_email(invitation.email)
    existing = await find_user_by_email(db, email)
    if existing is not None:
        if actor.role is Role.COORDINATOR:
            raise AccountError("There is already an account with this email address", field="email")
        if existing.organisation_id == invitation.organisation_id:
            raise AccountError("This person already has an account in your organisation", field="email")
        await tell_existing_account(
            db,
            user=existing,
            action="invitation_to_existing_account",
            what="invited this email address to an organisation",
            actor=actor,
            ip_address=ip_address,
        )
        return None
    user = User(
        email=email,
        name=invitation.name.strip(),
        role=invitation.role,
        school_id=invitation.school_id if invitation.role is Role.SCHOOL_STAFF else None,
        employer_id=invitation.employer_id if invitation.role is Role.EMPLOYER_USER else None,
    )
    # An organisation with no one to manage its accounts gets the next person invited to it.
    user.is_admin = invitation.role is not Role.COORDINATOR and not await _has_admin(
        db, invitation.organisation_id
    )
    db.add(user)
    await db.flush()
    await send_invitation(db, user=user)
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


async def send_invitation(db: AsyncSession, *, user: User, finishing_sign_up: bool = False) -> None:
    token = await issue_token(db, user=user, purpose=TokenPurpose.INVITATION)
    opening = (
        "Your organisation is registered on Placements, the council's work-placement service."
        if finishing_sign_up
        else "You are invited to Placements, the council's work-placement service, "
        f"as {user.role.label.lower()}."
    )
    await queue_email(
        db,
        to=user.email,
        subject="Finish signing up to Placements" if finishing_sign_up else "You are invited to Placements",
        body=(
            f"Hello,\n\n{opening}\n\n"
            "Choose your password here (the link works once, for 7 days):\n\n"
            f"{public_url(f'/invitation/{token}')}\n\n"
            "If you were not expecting this email, ignore it: nothing happens unless the link is used.\n"
        ),
    )


async def create_coordinator(db: AsyncSession, *, email: str, name: str, password: str) -> User:
    email = normalise_email(email)
    if await find_user_by_email(db, email) is not None:
        raise AccountError("There is already an account with this email address", field="email")
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise AccountError(problem, field="password")
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
