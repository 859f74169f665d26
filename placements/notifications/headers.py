"""What may go into an email's headers. Every email passes through here (`queue_email`), so text
that people typed (an organisation's name in a subject, say) can never add a header of its own."""

from __future__ import annotations

import re

SUBJECT_LENGTH = 200
# Line breaks (including Unicode's own), tabs and every other control character.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# What no part of an address may hold: whitespace, control characters, line and paragraph
# separators, and what would make it a list or give it a display name (, ; < > "). Every address a
# form or the API accepts (placements.web.forms.EMAIL) is built from the same characters, so what
# they accept is sent. Spelled out (no \s) because the class is in the OpenAPI document too, where
# it must mean the same to JSON Schema as to Python.
NOT_IN_ADDRESS = r"@ \t\n\r\f\v\x00-\x1f\x7f-\x9f\u2028\u2029,;<>" + '"'
_ADDRESS = re.compile(rf"^[^{NOT_IN_ADDRESS}]+@[^{NOT_IN_ADDRESS}]+$")


def one_line(text: str) -> str:
    """The text on one line: each run of line breaks and control characters becomes one space."""
    return " ".join(_CONTROL.sub(" ", text).split())


def subject_line(text: str) -> str:
    """A subject: one line, shortened with an ellipsis to what the outbox keeps."""
    line = one_line(text)
    return line if len(line) <= SUBJECT_LENGTH else line[: SUBJECT_LENGTH - 1].rstrip() + "…"


def recipient(address: str) -> str:
    """A single bare address, or ValueError: an address is never rewritten into another one."""
    if len(address) > 320 or not _ADDRESS.match(address):
        raise ValueError(f"not a single email address: {address!r}")
    return address
