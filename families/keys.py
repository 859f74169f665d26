"""Issuing, finding and checking a family's keys (a parent's link, a pupil's code).

A key's secret is shown once and only its hash is kept. Finding a key by an unknown secret and a
wrong date of birth are both counted against the client, so guessing is slowed like guessing
passwords; wrong dates of birth are counted against the key too, and lock it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, timedelta
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import select, update

from families.models import FamilyKey
from placements.accounts.limits import Limit, enforce
from placements.audit.models import AuditEntry
from placements.audit.services import record
from placements.clock import now
from placements.db import locked
from placements.refusals import Refusal
from schools.models import Pupil

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from placements.accounts.models import User

K = TypeVar("K", bound=FamilyKey)

WRONG_BIRTH_DATES = 5  # then the key locks and the school issues another
# Printed codes: no 0/O or 1/I to mistype; 10 characters are 50 bits, and guessing is rate-limited.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
UNKNOWN, WRONG_BIRTH_DATE = "family_key_unknown", "family_key_wrong_birth_date"
PER_CLIENT = Limit(
    (UNKNOWN, WRONG_BIRTH_DATE),
    most=20,
    window=timedelta(minutes=15),
    message="Too many wrong codes or dates of birth from your network. Wait 15 minutes, then try again.",
)


class FamiliesError(Refusal):
    pass


class KeyUnusable(FamiliesError):
    """The key can't be used: `reason` (unknown, replaced, locked, expired) says which page to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def hashed(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normalise_code(text: str) -> str:
    """A printed code as typed: any case, with or without the spaces and dashes it is printed with."""
    return "".join(text.split()).replace("-", "").upper()


def is_code(text: str) -> bool:
    return len(text) == CODE_LENGTH and not set(text) - set(CODE_ALPHABET)


def printed_code(code: str) -> str:
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def new_token() -> str:
    return secrets.token_urlsafe(24)


async def live_key(db: AsyncSession, model: type[K], pupil_id: object) -> K | None:
    return await db.scalar(select(model).where(model.pupil_id == pupil_id, model.revoked_at.is_(None)))


async def replace_key(
    db: AsyncSession,
    model: type[K],
    *,
    pupil: Pupil,
    secret: str,
    lifetime: timedelta,
    actor: User,
    **fields: object,
) -> K:
    """A new key for the pupil, revoking the live one; the caller has checked the pupil may have it."""
    await revoke_live(db, model, pupil.id)
    key = model(
        pupil_id=pupil.id,
        secret_hash=hashed(secret),
        created_by_id=actor.id if actor else None,
        created_at=now(),
        expires_at=now() + lifetime,
        **fields,
    )
    db.add(key)
    await db.flush()
    return key


async def revoke_live(db: AsyncSession, model: type[FamilyKey], pupil_id: object) -> bool:
    revoked = await db.execute(
        update(model).where(model.pupil_id == pupil_id, model.revoked_at.is_(None)).values(revoked_at=now())
    )
    return bool(revoked.rowcount)


async def find_key(
    db: AsyncSession,
    model: type[K],
    secret: str,
    *,
    ip_address: str | None,
    label: str,
    usable_after: bool = False,
) -> K:
    """The key with this secret (or printed code), or KeyUnusable saying why not. `usable_after`:
    the key still opens once expired (a parent withdrawing the consent they gave)."""
    await enforce(db, PER_CLIENT, AuditEntry.ip_address == ip_address)
    key = await db.scalar(select(model).where(model.secret_hash == hashed(secret)))
    if key is None and len(secret) <= CODE_LENGTH + 4:
        key = await db.scalar(select(model).where(model.secret_hash == hashed(normalise_code(secret))))
    if key is None:
        await record(db, actor=None, action=UNKNOWN, ip_address=ip_address, actor_label=label)
        raise KeyUnusable("unknown")
    if key.revoked_at is not None:
        raise KeyUnusable("replaced")
    if key.locked_at is not None:
        raise KeyUnusable("locked")
    if key.expires_at <= now() and not usable_after:
        raise KeyUnusable("expired")
    return key


async def birth_date_matches(
    db: AsyncSession, key: FamilyKey, born: date, *, ip_address: str | None, label: str
) -> bool:
    """Whether `born` is the pupil's date of birth; a wrong one is counted, and locks the key at the limit."""
    await locked(db, type(key), key.id)
    pupil = await db.get_one(Pupil, key.pupil_id)
    if born == pupil.date_of_birth:
        return True
    key.failed_attempts += 1
    if key.failed_attempts >= WRONG_BIRTH_DATES:
        key.locked_at = now()
    await record(
        db,
        actor=None,
        actor_label=label,
        action=WRONG_BIRTH_DATE,
        record_type="pupil",
        record_id=key.pupil_id,
        ip_address=ip_address,
        key_id=str(key.id),
    )
    return False


def tries_left(key: FamilyKey) -> int:
    return WRONG_BIRTH_DATES - key.failed_attempts
