"""matching: preferences, runs, adjustments, outcomes

Revision ID: 0004_matching
Revises: 0003_schools
Create Date: 2026-11-25 04:59:02.248718
"""

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from alembic import op

sa.GUID = GUID
sa.DateTimeUTC = DateTimeUTC
sa.JsonB = JsonB

revision = "0004_matching"
down_revision = "0003_schools"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "adjustment",
        sa.Column("id", sa.GUID(length=16), nullable=False),
        sa.Column("round_id", sa.GUID(length=16), nullable=False),
        sa.Column("pupil_id", sa.GUID(length=16), nullable=False),
        sa.Column("placement_id", sa.GUID(length=16), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("pin", "forbid", name="adjustmentkind", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.GUID(length=16), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_adjustment_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["placement_id"],
            ["placement.id"],
            name=op.f("fk_adjustment_placement_id_placement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pupil_id"], ["pupil.id"], name=op.f("fk_adjustment_pupil_id_pupil"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["matching_round.id"],
            name=op.f("fk_adjustment_round_id_matching_round"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adjustment")),
        sa.UniqueConstraint("round_id", "pupil_id", "placement_id", name="uq_adjustment_pair"),
    )
    with op.batch_alter_table("adjustment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_adjustment_placement_id"), ["placement_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_adjustment_pupil_id"), ["pupil_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_adjustment_round_id"), ["round_id"], unique=False)

    op.create_table(
        "choice_entry",
        sa.Column("id", sa.GUID(length=16), nullable=False),
        sa.Column("round_id", sa.GUID(length=16), nullable=False),
        sa.Column("pupil_id", sa.GUID(length=16), nullable=False),
        sa.Column("open_to_other", sa.Boolean(), nullable=False),
        sa.Column("entered_by_id", sa.GUID(length=16), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entered_by_id"],
            ["user_account.id"],
            name=op.f("fk_choice_entry_entered_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["pupil_id"], ["pupil.id"], name=op.f("fk_choice_entry_pupil_id_pupil"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["matching_round.id"],
            name=op.f("fk_choice_entry_round_id_matching_round"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_choice_entry")),
        sa.UniqueConstraint("round_id", "pupil_id", name="uq_choice_entry_pupil"),
    )
    with op.batch_alter_table("choice_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_choice_entry_pupil_id"), ["pupil_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_choice_entry_round_id"), ["round_id"], unique=False)

    op.create_table(
        "match_run",
        sa.Column("id", sa.GUID(length=16), nullable=False),
        sa.Column("round_id", sa.GUID(length=16), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("main", "reallocation", name="runkind", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("queued", "running", "done", "failed", name="runstatus", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("in_progress_key", sa.String(length=60), nullable=True),
        sa.Column("policy", sa.JsonB, nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.GUID(length=16), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("instance", sa.LargeBinary(), nullable=True),
        sa.Column("result", sa.LargeBinary(), nullable=True),
        sa.Column("instance_sha256", sa.String(length=64), nullable=True),
        sa.Column("result_sha256", sa.String(length=64), nullable=True),
        sa.Column("solver", sa.String(length=120), nullable=True),
        sa.Column("summary", sa.JsonB, nullable=False),
        sa.Column("started_by_id", sa.GUID(length=16), nullable=True),
        sa.Column("started_at", sa.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["job_record.id"], name=op.f("fk_match_run_job_id_job_record"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["matching_round.id"],
            name=op.f("fk_match_run_round_id_matching_round"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["started_by_id"],
            ["user_account.id"],
            name=op.f("fk_match_run_started_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_run")),
        sa.UniqueConstraint("in_progress_key", name=op.f("uq_match_run_in_progress_key")),
        sa.UniqueConstraint("round_id", "number", name="uq_match_run_number"),
    )
    with op.batch_alter_table("match_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_run_round_id"), ["round_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_match_run_status"), ["status"], unique=False)

    op.create_table(
        "preference",
        sa.Column("id", sa.GUID(length=16), nullable=False),
        sa.Column("round_id", sa.GUID(length=16), nullable=False),
        sa.Column("pupil_id", sa.GUID(length=16), nullable=False),
        sa.Column("placement_id", sa.GUID(length=16), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["placement_id"],
            ["placement.id"],
            name=op.f("fk_preference_placement_id_placement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pupil_id"], ["pupil.id"], name=op.f("fk_preference_pupil_id_pupil"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["matching_round.id"],
            name=op.f("fk_preference_round_id_matching_round"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_preference")),
        sa.UniqueConstraint("round_id", "pupil_id", "placement_id", name="uq_preference_placement"),
        sa.UniqueConstraint("round_id", "pupil_id", "rank", name="uq_preference_rank"),
    )
    with op.batch_alter_table("preference", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_preference_placement_id"), ["placement_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_preference_pupil_id"), ["pupil_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_preference_round_id"), ["round_id"], unique=False)

    op.create_table(
        "outcome",
        sa.Column("id", sa.GUID(length=16), nullable=False),
        sa.Column("round_id", sa.GUID(length=16), nullable=False),
        sa.Column("run_id", sa.GUID(length=16), nullable=False),
        sa.Column("pupil_id", sa.GUID(length=16), nullable=False),
        sa.Column("placement_id", sa.GUID(length=16), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column(
            "employer_reply",
            sa.Enum("pending", "yes", "no", name="reply", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column(
            "school_reply",
            sa.Enum("pending", "yes", "no", name="reply", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("respond_by", sa.Date(), nullable=True),
        sa.Column("reminded_on", sa.Date(), nullable=True),
        sa.Column("withdrawn_by", sa.String(length=20), nullable=True),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["placement_id"],
            ["placement.id"],
            name=op.f("fk_outcome_placement_id_placement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pupil_id"], ["pupil.id"], name=op.f("fk_outcome_pupil_id_pupil"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["matching_round.id"],
            name=op.f("fk_outcome_round_id_matching_round"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["match_run.id"], name=op.f("fk_outcome_run_id_match_run"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome")),
    )
    with op.batch_alter_table("outcome", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outcome_current"), ["current"], unique=False)
        batch_op.create_index(batch_op.f("ix_outcome_placement_id"), ["placement_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outcome_pupil_id"), ["pupil_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outcome_round_id"), ["round_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outcome_run_id"), ["run_id"], unique=False)

    with op.batch_alter_table("matching_round", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("respond_within_days", sa.Integer(), nullable=False, server_default="14")
        )
        batch_op.add_column(
            sa.Column("stage_dates", sa.JsonB, nullable=False, server_default=sa.text("'{}'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("matching_round", schema=None) as batch_op:
        batch_op.drop_column("stage_dates")
        batch_op.drop_column("respond_within_days")

    with op.batch_alter_table("outcome", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outcome_run_id"))
        batch_op.drop_index(batch_op.f("ix_outcome_round_id"))
        batch_op.drop_index(batch_op.f("ix_outcome_pupil_id"))
        batch_op.drop_index(batch_op.f("ix_outcome_placement_id"))
        batch_op.drop_index(batch_op.f("ix_outcome_current"))

    op.drop_table("outcome")
    with op.batch_alter_table("preference", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_preference_round_id"))
        batch_op.drop_index(batch_op.f("ix_preference_pupil_id"))
        batch_op.drop_index(batch_op.f("ix_preference_placement_id"))

    op.drop_table("preference")
    with op.batch_alter_table("match_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_run_status"))
        batch_op.drop_index(batch_op.f("ix_match_run_round_id"))

    op.drop_table("match_run")
    with op.batch_alter_table("choice_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_choice_entry_round_id"))
        batch_op.drop_index(batch_op.f("ix_choice_entry_pupil_id"))

    op.drop_table("choice_entry")
    with op.batch_alter_table("adjustment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_adjustment_round_id"))
        batch_op.drop_index(batch_op.f("ix_adjustment_pupil_id"))
        batch_op.drop_index(batch_op.f("ix_adjustment_placement_id"))

    op.drop_table("adjustment")
