"""Password hashing with argon2."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Checked against when the email is unknown, so a wrong address takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("placements-dummy-password")

MIN_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str, confirmation: str | None = None) -> str | None:
    """What is wrong with a new password, in words a person can act on, or None."""
    if len(password) < MIN_LENGTH:
        return f"Password must be at least {MIN_LENGTH} characters"
    if len(password) > 200:
        return "Password must be 200 characters or fewer"
    if confirmation is not None and confirmation != password:
        return "The passwords do not match"
    return None
