"""Password hashing with argon2, and the rules a new password must meet.

`common-passwords.txt.gz` holds the 10,000 most common passwords, lowercased: the first entries
of the "passwords" frequency list shipped by the zxcvbn package, version 4.5.0 (MIT licence),
which ranks the passwords of a public set of ten million leaked ones by how often they occur.
"""

from __future__ import annotations

import gzip
import re
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Checked against when the email is unknown, so a wrong address takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("placements-dummy-password")

MIN_LENGTH = 12
MAX_LENGTH = 200
COMMON_PASSWORDS = Path(__file__).with_name("common-passwords.txt.gz")
# Words anyone guessing a password here would try first.
SERVICE_WORDS = ("placements",)
_NOT_LETTERS = re.compile(r"[\W\d_]+")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches; with no hash (no such account) it does the same work and says no."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def _is_common(password: str) -> bool:
    """In the list as typed, or once the digits, spaces and symbols around a common word are taken
    away ("Password2024!"), or as a common word repeated ("qwertyqwerty")."""
    common = common_passwords()
    lowered = password.lower()
    letters = _NOT_LETTERS.sub("", lowered)
    if lowered in common or letters in common:
        return True
    for size in range(1, len(letters) // 2 + 1):
        if len(letters) % size == 0 and letters[:size] * (len(letters) // size) == letters:
            return letters[:size] in common or size < 4
    return False


def _personal_words(email: str, name: str) -> set[str]:
    """The parts of the person's email address and name that a password must not contain."""
    local, _, domain = email.lower().partition("@")
    words = {local, *re.split(r"[._+-]", local), domain.split(".")[0], *name.lower().split()}
    return {word for word in words if len(word) >= 4}


def password_problem(password: str, *, email: str, name: str, confirmation: str | None = None) -> str | None:
    """What is wrong with a new password for this person, in words they can act on, or None."""
    if len(password) < MIN_LENGTH:
        return f"Password must be at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"Password must be {MAX_LENGTH} characters or fewer"
    if _is_common(password):
        return "This password is too common and easy to guess: choose another, such as three random words"
    lowered = password.lower()
    if any(word in lowered for word in _personal_words(email, name)):
        return "Your password must not contain your name or email address"
    if any(word in lowered for word in SERVICE_WORDS):
        return "Your password must not contain the name of this service"
    if confirmation is not None and confirmation != password:
        return "The passwords do not match"
    return None
