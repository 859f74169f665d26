"""A parent's link: how a parent or carer, who has no account, reaches their own child's consent."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from advanced_alchemy.base import UUIDBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

EMAILED, PRINTED = "email", "letter"
GIVEN, REFUSED = "given", "refused"


class ParentLink(UUIDBase):
    """One pupil's link, emailed (a long token in the address) or printed on a letter (a short code).

    Only a hash of the secret is kept. A pupil has one live link: issuing a new one revokes the
    last. The link answers once (given or refused); a parent who gave consent can withdraw it
    through the same link. Too many wrong dates of birth lock it until the school issues another.
    """

    __tablename__ = "parent_link"

    pupil_id: Mapped[UUID] = mapped_column(ForeignKey("pupil.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    sent_to: Mapped[str | None] = mapped_column(String(320), default=None)
    created_by_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    opened_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    answer: Mapped[str | None] = mapped_column(String(10), default=None)
    answered_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    failed_attempts: Mapped[int] = mapped_column(default=0)
    locked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


# One live link per pupil, whatever two requests do at once.
Index(
    "ux_parent_link_live",
    ParentLink.pupil_id,
    unique=True,
    sqlite_where=ParentLink.revoked_at.is_(None),
    postgresql_where=ParentLink.revoked_at.is_(None),
)
