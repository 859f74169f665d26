"""Column types shared by the domains."""

from __future__ import annotations

import enum

from sqlalchemy import Enum


def enum_column(enum_class: type[enum.StrEnum], length: int = 24) -> Enum:
    """Kept as its value in a plain string column (no database enum type to migrate), read as the enum."""
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
