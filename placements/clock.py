"""One source of the current time, so tests can freeze it."""

from datetime import UTC, date, datetime

__all__ = ["UTC", "now", "today"]


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return now().date()
