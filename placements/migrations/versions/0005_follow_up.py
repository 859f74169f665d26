"""after the match (attendance, follow-up, reply dates) and the retention of pupil data

Revision ID: 0005_follow_up
Revises: 0004_matching
Create Date: 2026-11-25 07:42:20.743258
"""

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from alembic import op

revision = "0005_follow_up"
down_revision = "0004_matching"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attendance",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("outcome_id", GUID(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("attended", sa.Boolean(), nullable=False),
        sa.Column("recorded_by_id", GUID(length=16), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["outcome_id"], ["outcome.id"], name=op.f("fk_attendance_outcome_id_outcome"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_attendance_recorded_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance")),
        sa.UniqueConstraint("outcome_id", "day", name="uq_attendance_day"),
    )
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attendance_outcome_id"), ["outcome_id"], unique=False)

    op.create_table(
        "follow_up",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("outcome_id", GUID(length=16), nullable=False),
        sa.Column("employer_feedback", sa.Text(), nullable=True),
        sa.Column("would_host_again", sa.Boolean(), nullable=True),
        sa.Column("feedback_on", sa.Date(), nullable=True),
        sa.Column("reflection", sa.Text(), nullable=True),
        sa.Column("completed", sa.Boolean(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["outcome_id"], ["outcome.id"], name=op.f("fk_follow_up_outcome_id_outcome"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up")),
    )
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_follow_up_outcome_id"), ["outcome_id"], unique=True)

    with op.batch_alter_table("matching_round", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("keep_pupil_data_months", sa.Integer(), nullable=False, server_default="12")
        )
        batch_op.add_column(sa.Column("pupil_data_erased_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("aggregates", JsonB, nullable=False, server_default=sa.text("'{}'")))

    with op.batch_alter_table("outcome", schema=None) as batch_op:
        batch_op.add_column(sa.Column("employer_replied_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("school_replied_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outcome", schema=None) as batch_op:
        batch_op.drop_column("school_replied_on")
        batch_op.drop_column("employer_replied_on")

    with op.batch_alter_table("matching_round", schema=None) as batch_op:
        batch_op.drop_column("aggregates")
        batch_op.drop_column("pupil_data_erased_on")
        batch_op.drop_column("keep_pupil_data_months")

    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_follow_up_outcome_id"))
    op.drop_table("follow_up")
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_outcome_id"))
    op.drop_table("attendance")
