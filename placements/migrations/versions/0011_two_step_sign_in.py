"""two-step sign-in: an authenticator app's secret per person, and single-use recovery codes

Revision ID: 0011_two_step_sign_in
Revises: 0010_api_tokens
Create Date: 2026-12-07 08:00:00
"""

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision = "0011_two_step_sign_in"
down_revision = "0010_api_tokens"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("two_step_secret", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("two_step_since", DateTimeUTC(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("two_step_last_step", sa.Integer(), server_default="0", nullable=False))
    op.create_table(
        "recovery_code",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("user_id", GUID(length=16), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_recovery_code_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_code")),
    )
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_code_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_code_user_id"))
    op.drop_table("recovery_code")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("two_step_last_step")
        batch_op.drop_column("two_step_since")
        batch_op.drop_column("two_step_secret")
