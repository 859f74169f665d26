"""Two-step sign-in: after the password, a code from an authenticator app (TOTP, RFC 6238), or one
of ten single-use recovery codes when the app is lost.

Setting it up takes two moves, so a mistyped secret locks nobody out: a secret is offered (kept in
the person's session, not on their account) and saved only when a code made from it is typed back.
A code is accepted once: the time step it belongs to is remembered, so a code read over someone's
shoulder is useless a moment later. Wrong codes are counted in the audit log like wrong passwords.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from secrets import compare_digest
from typing import TYPE_CHECKING, Any

import pyotp
import segno
from litestar.exceptions import PermissionDeniedException
from markupsafe import Markup
from sqlalchemy import delete, select

from placements.accounts.limits import Limit, enforce
from placements.accounts.models import RecoveryCode, Role, User
from placements.audit.models import AuditEntry
from placements.audit.services import record
from placements.clock import now
from placements.notifications.services import public_url, queue_email
from placements.refusals import Refusal

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from placements.settings import Settings

ISSUER = "Placements"
RECOVERY_CODES = 10
# No 0/o, 1/l/i: a code copied from paper is read back right.
RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
STEP = timedelta(seconds=30)
WRONG_CODES = Limit(
    ("two_step_failed",),
    most=5,
    window=timedelta(minutes=15),
    message="Too many wrong codes for this account. Wait a few minutes, then sign in again.",
)
WRONG_CODE = "Enter the 6-digit code your authenticator app shows now, or one of your recovery codes"


def required_for(user: User, settings: Settings) -> bool:
    """Whether the person's role must use two-step sign-in (TWO_STEP_REQUIRED_FOR)."""
    return user.role.value in settings.two_step_required_for


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


def setup_link(secret: str, user: User) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_code(link: str) -> Markup:
    """The QR code of `link` as inline SVG: no image file, nothing fetched."""
    return Markup(  # noqa: S704 - segno writes the SVG from the link's bits, no text of ours in it
        segno.make(link, error="m").svg_inline(scale=5, border=2, title="QR code for your authenticator app")
    )


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _digits(code: str) -> str:
    return "".join(code.split()).replace("-", "")


def _time_step(secret: str, code: str) -> int | None:
    """The time step `code` belongs to: now, or one step either side for a slow typist or a clock
    that is a little out."""
    code = _digits(code)
    if len(code) != 6 or not (code.isascii() and code.isdigit()):
        return None
    totp, moment = pyotp.TOTP(secret), now()
    for offset in (0, -1, 1):
        at = moment + offset * STEP
        if compare_digest(totp.at(at), code):
            return totp.timecode(at)
    return None


def _hash(code: str) -> str:
    return hashlib.sha256(_digits(code).lower().encode()).hexdigest()


def _new_code() -> str:
    letters = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
    return f"{letters[:5]}-{letters[5:]}"


async def _audit(
    db: AsyncSession, user: User, action: str, ip_address: str | None, *, actor: User | None, **detail: Any
) -> None:
    """An audit entry about `user`'s two-step sign-in."""
    await record(
        db, actor=actor, action=action, record_type="user", record_id=user.id, ip_address=ip_address, **detail
    )


async def _replace_recovery_codes(db: AsyncSession, user: User) -> list[str]:
    await db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_code() for _ in range(RECOVERY_CODES)]
    db.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(code)) for code in codes)
    await db.flush()
    return codes


async def recovery_codes_left(db: AsyncSession, user: User) -> int:
    return len(
        list(
            await db.scalars(
                select(RecoveryCode.id).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
            )
        )
    )


async def turn_on(
    db: AsyncSession, *, user: User, secret: str, code: str, ip_address: str | None
) -> list[str]:
    """Save `secret` as the person's once `code` proves their app holds it; the recovery codes,
    to show once."""
    if user.uses_two_step:
        raise Refusal("Two-step sign-in is already on for your account")
    step = _time_step(secret, code)
    if step is None:
        raise Refusal("Enter the 6-digit code your authenticator app shows for Placements", field="code")
    user.two_step_secret, user.two_step_since, user.two_step_last_step = secret, now(), step
    codes = await _replace_recovery_codes(db, user)
    await _audit(db, user, "two_step_turned_on", ip_address, actor=user)
    return codes


async def _use_code(db: AsyncSession, user: User, code: str) -> str | None:
    """Accept an app's code (once) or an unused recovery code: which kind it was, or None."""
    assert user.two_step_secret is not None
    step = _time_step(user.two_step_secret, code)
    if step is not None and step > user.two_step_last_step:
        user.two_step_last_step = step
        return "app"
    recovery = await db.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash(code),
            RecoveryCode.used_at.is_(None),
        )
    )
    if recovery is None:
        return None
    recovery.used_at = now()
    return "recovery code"


async def check_code(db: AsyncSession, *, user: User, code: str, ip_address: str | None) -> bool:
    """Whether `code` completes the person's sign-in (TooMany after too many wrong ones)."""
    account = (AuditEntry.record_type == "user", AuditEntry.record_id == str(user.id))
    await enforce(db, WRONG_CODES, *account)
    used = await _use_code(db, user, code)
    if used is None:
        # By nobody yet: whoever typed the code has not shown they are the person.
        await _audit(db, user, "two_step_failed", ip_address, actor=None, actor_label=user.email)
        return False
    if used == "recovery code":
        await _audit(
            db, user, "recovery_code_used", ip_address, actor=user, left=await recovery_codes_left(db, user)
        )
    return True


async def _confirmed(db: AsyncSession, user: User, code: str, ip_address: str | None) -> None:
    """Changing two-step sign-in asks for a current code first: a session left open is not enough."""
    if not await check_code(db, user=user, code=code, ip_address=ip_address):
        raise Refusal(WRONG_CODE, field="code")


async def new_recovery_codes(db: AsyncSession, *, user: User, code: str, ip_address: str | None) -> list[str]:
    await _confirmed(db, user, code, ip_address)
    codes = await _replace_recovery_codes(db, user)
    await _audit(db, user, "recovery_codes_replaced", ip_address, actor=user)
    return codes


def _clear(user: User) -> None:
    user.two_step_secret = None
    user.two_step_since = None
    user.two_step_last_step = 0


async def turn_off(
    db: AsyncSession, *, user: User, code: str, settings: Settings, ip_address: str | None
) -> None:
    if required_for(user, settings):
        raise Refusal(f"{user.role.label}s must use two-step sign-in: it cannot be turned off")
    await _confirmed(db, user, code, ip_address)
    _clear(user)
    await db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    await _audit(db, user, "two_step_turned_off", ip_address, actor=user)


async def reset(db: AsyncSession, *, user: User, actor: User, ip_address: str | None) -> None:
    """A coordinator turns off someone's two-step sign-in when they have lost their app and their
    recovery codes: they are signed out everywhere, told by email, and set it up again at their
    next sign-in if their role requires it."""
    if actor.role is not Role.COORDINATOR:
        raise PermissionDeniedException("Only coordinators can reset two-step sign-in")
    if actor.id == user.id:
        raise Refusal("You cannot reset your own two-step sign-in: ask another coordinator")
    if not user.uses_two_step:
        raise Refusal(f"{user.name} does not use two-step sign-in")
    _clear(user)
    user.end_sessions()
    await db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    await _audit(db, user, "two_step_reset", ip_address, actor=actor)
    await queue_email(
        db,
        to=user.email,
        subject="Your Placements two-step sign-in was reset",
        body=(
            f"Hello {user.name},\n\nA programme coordinator, {actor.name}, has reset the two-step sign-in "
            "of your Placements account, and you have been signed out.\n\n"
            f"Sign in with your password at {public_url('/sign-in')} and set up your authenticator "
            "app again.\n\nIf you did not ask for this, tell the programme team at once.\n"
        ),
    )
