"""UK mobile numbers, the only numbers a text message is sent to.

People type numbers every way (07700 900123, +44 (0)7700-900123, 0044 7700 900123); each is kept
in one form, +447700900123, so the outbox and Notify see the same number however it was written.
A landline, like most schools' numbers, is not a mobile and is refused.
"""

from __future__ import annotations

import re

# What people put between digits: spaces, dashes, dots, brackets.
_SEPARATORS = re.compile(r"[\s\-.()]")
# A mobile's national number: 7 then nine digits.
_MOBILE = re.compile(r"^7\d{9}$")


def uk_mobile(number: str) -> str:
    """The number as +447…, or ValueError when it is not a UK mobile number."""
    digits = _SEPARATORS.sub("", number)
    for prefix in ("+44", "0044", "44"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
            break
    # The trunk 0: 07…, and the +44 (0)7… people write.
    national = digits[1:] if digits.startswith("0") else digits
    if not _MOBILE.match(national):
        raise ValueError(f"not a UK mobile number: {number!r}")
    return f"+44{national}"


def is_uk_mobile(number: str) -> bool:
    try:
        uk_mobile(number)
    except ValueError:
        return False
    return True
