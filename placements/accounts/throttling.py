"""Sign-in throttling that slows whoever guesses passwords without locking the person out.

Three counts of failed sign-ins, all from the audit log:
- from one client, whatever the accounts: a fixed ceiling, so one address can't try password
  after password across many accounts;
- for one account from one client: after a few free tries each further one waits twice as long
  as the last (up to 15 minutes), so guessing from one place gets slow fast while the person,
  signing in from anywhere else, is not held up;
- for one account from everywhere: the same doubling after many more failures, but never more
  than a minute, so guessing from many places is slowed and the person still gets in.

Unknown addresses are counted exactly like known ones: the answer never says which is which.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, func, select

from placements.accounts.limits import Limit, TooMany, enforce, recent, seconds_until
from placements.audit.models import AuditEntry
from placements.clock import now

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

WINDOW = timedelta(minutes=15)
FAILED = ("sign_in_failed",)
PER_CLIENT = Limit(
    FAILED,
    most=30,
    window=WINDOW,
    message="Too many failed sign-in attempts from your network. Wait a few minutes, then try again.",
)


async def _last_success(db: AsyncSession, email: str) -> datetime | None:
    return await db.scalar(
        select(func.max(AuditEntry.at)).where(
            AuditEntry.action == "signed_in", AuditEntry.actor_label == email
        )
    )


async def _back_off(
    db: AsyncSession, *where: ColumnElement[bool], since: datetime, free: int, longest: int
) -> None:
    """After `free` failures, the next attempt waits 1 s, then 2, 4, … up to `longest` seconds,
    counted from the latest failure."""
    times = await recent(db, FAILED, *where, since=since, most=free + longest.bit_length())
    if len(times) < free:
        return
    wait = min(longest, 2 ** (len(times) - free))
    allowed_at = times[0] + timedelta(seconds=wait)
    if allowed_at > now():
        raise TooMany(
            "Too many failed sign-in attempts for this account. "
            f"Wait {seconds_until(allowed_at)} seconds, then try again.",
            seconds_until(allowed_at),
        )


async def check_sign_in_allowed(db: AsyncSession, *, email: str, ip_address: str | None) -> None:
    """Raise TooMany when this attempt must wait; a successful sign-in starts the account's count again."""
    await enforce(db, PER_CLIENT, AuditEntry.ip_address == ip_address)
    since = now() - WINDOW
    last_success = await _last_success(db, email)
    if last_success is not None and last_success > since:
        since = last_success
    account = AuditEntry.actor_label == email
    await _back_off(db, account, AuditEntry.ip_address == ip_address, since=since, free=5, longest=15 * 60)
    await _back_off(db, account, since=since, free=20, longest=60)
