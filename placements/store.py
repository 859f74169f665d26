"""The key/value store behind sign-in sessions and throttling, kept in the database.

Using the database (not process memory) means every worker sees the same sessions.
"""

from __future__ import annotations

from advanced_alchemy.extensions.litestar.store import SQLAlchemyStore, StoreModelMixin


class StoreEntry(StoreModelMixin):
    __tablename__ = "kv_store"


def database_store(config, namespace: str) -> SQLAlchemyStore:  # type: ignore[no-untyped-def]
    return SQLAlchemyStore(config, model=StoreEntry, namespace=namespace)
