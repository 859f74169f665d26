"""families take part: parents' links and pupils' sign-in codes, choices the school has locked, a
parent's email address, what a consent shares with the host, requests for a review, and
placements' joining instructions

Revision ID: 0008_families_take_part
Revises: 0007_account_management
Create Date: 2026-12-06 22:00:00
"""

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from alembic import op

revision = "0008_families_take_part"
down_revision = "0007_account_management"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pupil", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_email", sa.String(length=320), nullable=True))
    with op.batch_alter_table("placement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("joining", JsonB, server_default=sa.text("'{}'"), nullable=False))
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source", sa.String(length=10), server_default="school", nullable=False)
        )
        batch_op.add_column(sa.Column("shared_medical", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("shared_access", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("shared_dietary", sa.Text(), nullable=True))
    _key_table(
        "parent_link",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("sent_to", sa.String(length=320), nullable=True),
        sa.Column("opened_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("answer", sa.String(length=10), nullable=True),
        sa.Column("answered_at", DateTimeUTC(timezone=True), nullable=True),
    )
    _key_table("pupil_code", sa.Column("last_signed_in_at", DateTimeUTC(timezone=True), nullable=True))
    op.create_table(
        "choice_lock",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("round_id", GUID(length=16), nullable=False),
        sa.Column("pupil_id", GUID(length=16), nullable=False),
        sa.Column("locked_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("locked_by_id", GUID(length=16), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["matching_round.id"],
            name=op.f("fk_choice_lock_round_id_matching_round"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pupil_id"], ["pupil.id"], name=op.f("fk_choice_lock_pupil_id_pupil"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["locked_by_id"],
            ["user_account.id"],
            name=op.f("fk_choice_lock_locked_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_choice_lock")),
        sa.UniqueConstraint("round_id", "pupil_id", name="uq_choice_lock_pupil"),
    )
    with op.batch_alter_table("choice_lock", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_choice_lock_pupil_id"), ["pupil_id"], unique=False)
    op.create_table(
        "review_request",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("round_id", GUID(length=16), nullable=False),
        sa.Column("pupil_id", GUID(length=16), nullable=False),
        sa.Column("outcome_id", GUID(length=16), nullable=True),
        sa.Column("requested_by", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("decided_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("decided_by_id", GUID(length=16), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["matching_round.id"],
            name=op.f("fk_review_request_round_id_matching_round"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pupil_id"], ["pupil.id"], name=op.f("fk_review_request_pupil_id_pupil"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["outcome_id"],
            ["outcome.id"],
            name=op.f("fk_review_request_outcome_id_outcome"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_review_request_decided_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_request")),
    )
    with op.batch_alter_table("review_request", schema=None) as batch_op:
        for column in ("round_id", "pupil_id", "requested_at"):
            batch_op.create_index(batch_op.f(f"ix_review_request_{column}"), [column], unique=False)
    op.create_index(
        "ux_review_request_open",
        "review_request",
        ["round_id", "pupil_id"],
        unique=True,
        sqlite_where=sa.text("decision IS NULL"),
        postgresql_where=sa.text("decision IS NULL"),
    )


def _key_table(name: str, *columns: sa.Column) -> None:
    """A family key's table (families.models.FamilyKey): its own columns, then the shared ones."""
    op.create_table(
        name,
        sa.Column("id", GUID(length=16), nullable=False),
        *columns,
        sa.Column("pupil_id", GUID(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", GUID(length=16), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("expires_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("revoked_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["pupil_id"], ["pupil.id"], name=op.f(f"fk_{name}_pupil_id_pupil"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f(f"fk_{name}_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint("secret_hash", name=op.f(f"uq_{name}_secret_hash")),
    )
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{name}_pupil_id"), ["pupil_id"], unique=False)
    op.create_index(
        f"ux_{name}_live",
        name,
        ["pupil_id"],
        unique=True,
        sqlite_where=sa.text("revoked_at IS NULL"),
        postgresql_where=sa.text("revoked_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ux_review_request_open", table_name="review_request")
    with op.batch_alter_table("review_request", schema=None) as batch_op:
        for column in ("requested_at", "pupil_id", "round_id"):
            batch_op.drop_index(batch_op.f(f"ix_review_request_{column}"))
    op.drop_table("review_request")
    with op.batch_alter_table("choice_lock", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_choice_lock_pupil_id"))
    op.drop_table("choice_lock")
    for name in ("pupil_code", "parent_link"):
        op.drop_index(f"ux_{name}_live", table_name=name)
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{name}_pupil_id"))
        op.drop_table(name)
    with op.batch_alter_table("placement", schema=None) as batch_op:
        batch_op.drop_column("joining")
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.drop_column("shared_dietary")
        batch_op.drop_column("shared_access")
        batch_op.drop_column("shared_medical")
        batch_op.drop_column("source")
    # Not in batch mode: rebuilding the table would lose its expression index (ux_pupil_school_reference).
    op.drop_column("pupil", "parent_email")
