"""The loaded postcodes, and the middle of each postcode sector and district.

Sectors and districts are computed once per load (the mean of their live postcodes), so a
postcode the directory does not know yet, or one mistyped in its last letters, is still placed
near where it is.
"""

from __future__ import annotations

from advanced_alchemy.base import DefaultBase
from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column


class Postcode(DefaultBase):
    __tablename__ = "postcode"

    postcode: Mapped[str] = mapped_column(String(8), primary_key=True)  # normalised: "PR1 2HE"
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)


class PostcodeArea(DefaultBase):
    """A sector ("PR1 2") or a district ("PR1"): only a sector's code has a space, so one key serves both."""

    __tablename__ = "postcode_area"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    postcodes: Mapped[int] = mapped_column(Integer)
