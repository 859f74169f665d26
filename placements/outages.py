"""Telling an outage from a bug: a database or Redis that cannot be reached, or does not answer in time.

An outage is worth waiting out (a job tries again later, a person is told to come back); a bug
is not. Drivers wrap their errors in each other's, so the whole chain of causes is looked at.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator

from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# PostgreSQL's error classes for "could not talk to the server": connection exceptions, operator
# intervention (a statement cancelled by its timeout, a server shutting down), insufficient resources.
_OUTAGE_SQLSTATE_CLASSES = ("08", "57", "53")
_NETWORK_ERRNOS = {
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.ETIMEDOUT,
    errno.EPIPE,
}
# SQLite's words for a file it cannot use right now (another writer holds the lock too long).
_SQLITE_OUTAGES = ("database is locked", "unable to open database", "disk i/o error")


class ServiceUnavailable(RuntimeError):
    """A dependency cannot take work now; the message says which and is fit for the person."""


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    pending = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend(
            cause
            for cause in (current.__cause__, current.__context__, getattr(current, "orig", None))
            if isinstance(cause, BaseException)
        )


def _one_is_outage(exc: BaseException) -> bool:
    if isinstance(
        exc, ServiceUnavailable | TimeoutError | ConnectionError | PoolTimeout | DisconnectionError
    ):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    sqlstate = getattr(exc, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate.startswith(_OUTAGE_SQLSTATE_CLASSES):
        return True
    module = type(exc).__module__
    if module.startswith("redis") and type(exc).__name__ in {
        "ConnectionError",
        "TimeoutError",
        "BusyLoadingError",
    }:
        return True
    if module.startswith("asyncpg") and type(exc).__name__ in {
        "InterfaceError",
        "ConnectionDoesNotExistError",
    }:
        return True
    if module == "sqlite3" and any(words in str(exc).lower() for words in _SQLITE_OUTAGES):
        return True
    return isinstance(exc, OSError) and exc.errno in _NETWORK_ERRNOS


def is_outage(exc: BaseException) -> bool:
    """Whether `exc`, or anything that caused it, says a dependency is unreachable or too slow."""
    return any(_one_is_outage(cause) for cause in _causes(exc))
