"""How a family, who has no account, reaches its own child's records: the parent's link, and the
pupil's sign-in code. Both stand for one pupil, keep only a hash of their secret, expire, can be
revoked, and lock after too many wrong dates of birth."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from advanced_alchemy.base import UUIDBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

EMAILED, PRINTED = "email", "letter"
GIVEN, REFUSED = "given", "refused"


class FamilyKey:
    """What a parent's link and a pupil's code share. A pupil has at most one live key of each kind:
    issuing a new one revokes the last."""

    pupil_id: Mapped[UUID] = mapped_column(ForeignKey("pupil.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    failed_attempts: Mapped[int] = mapped_column(default=0)
    locked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class ParentLink(FamilyKey, UUIDBase):
    """A parent's link, emailed (a long token in the address) or printed on a letter (a short code).

    The link answers once (given or refused); a parent who gave consent can withdraw it through
    the same link.
    """

    __tablename__ = "parent_link"

    kind: Mapped[str] = mapped_column(String(10))
    sent_to: Mapped[str | None] = mapped_column(String(320), default=None)
    opened_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    answer: Mapped[str | None] = mapped_column(String(10), default=None)
    answered_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class PupilCode(FamilyKey, UUIDBase):
    """A pupil's sign-in code, used with their date of birth at /pupil/sign-in while preferences
    are open; issued by the school, printed on a class list."""

    __tablename__ = "pupil_code"

    last_signed_in_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class ChoiceLock(UUIDBase):
    """The school's advisor has reviewed a pupil's choices for a round: the pupil can no longer change
    them (the school still can)."""

    __tablename__ = "choice_lock"
    __table_args__ = (UniqueConstraint("round_id", "pupil_id", name="uq_choice_lock_pupil"),)

    round_id: Mapped[UUID] = mapped_column(ForeignKey("matching_round.id", ondelete="CASCADE"))
    pupil_id: Mapped[UUID] = mapped_column(ForeignKey("pupil.id", ondelete="CASCADE"), index=True)
    locked_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    locked_by_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )


class ReviewRequest(UUIDBase):
    """A family's (or the school's on its behalf) request that a person review a pupil's outcome,
    and the coordinator's decision with its reason."""

    __tablename__ = "review_request"

    round_id: Mapped[UUID] = mapped_column(ForeignKey("matching_round.id", ondelete="CASCADE"), index=True)
    pupil_id: Mapped[UUID] = mapped_column(ForeignKey("pupil.id", ondelete="CASCADE"), index=True)
    outcome_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("outcome.id", ondelete="SET NULL"), default=None
    )
    requested_by: Mapped[str] = mapped_column(String(10))  # "parent", "pupil" or "school"
    reason: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)
    decision: Mapped[str | None] = mapped_column(String(10), default=None)  # "upheld" or "changed"
    decision_reason: Mapped[str | None] = mapped_column(Text, default=None)
    decided_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    decided_by_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )


# One open review request per pupil and round: a second would only repeat the first.
Index(
    "ux_review_request_open",
    ReviewRequest.round_id,
    ReviewRequest.pupil_id,
    unique=True,
    sqlite_where=ReviewRequest.decision.is_(None),
    postgresql_where=ReviewRequest.decision.is_(None),
)

# One live key of each kind per pupil, whatever two requests do at once.
for _model in (ParentLink, PupilCode):
    Index(
        f"ux_{_model.__tablename__}_live",
        _model.pupil_id,
        unique=True,
        sqlite_where=_model.revoked_at.is_(None),
        postgresql_where=_model.revoked_at.is_(None),
    )
