"""jobs that are never lost or stuck (a due time and a heartbeat), and pupil references unique in any case

Revision ID: 0006_reliable_jobs
Revises: 0005_follow_up
Create Date: 2026-12-02 14:10:00
"""

from uuid import UUID

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision = "0006_reliable_jobs"
down_revision = "0005_follow_up"
branch_labels = None
depends_on = None


class ReferenceClash(RuntimeError):
    """Pupils whose references differ only in case: a person must decide which record is right."""


def _school_id(value: object) -> UUID:
    """SQLite keeps ids as 16 bytes, PostgreSQL as uuid."""
    return UUID(bytes=value) if isinstance(value, bytes) else UUID(str(value))


def _refuse_reference_clashes() -> None:
    """Merging pupils silently could join two children's records, so the upgrade stops and says which."""
    clashes = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT school_id, upper(reference) AS reference, count(*) AS pupils FROM pupil "
                "GROUP BY school_id, upper(reference) HAVING count(*) > 1 ORDER BY school_id, reference"
            )
        )
        .all()
    )
    if clashes:
        listed = "; ".join(
            f"school {_school_id(school)}: {reference} ({pupils} pupils)"
            for school, reference, pupils in clashes
        )
        raise ReferenceClash(
            "Pupil references must differ by more than case. Give each of these pupils its own reference "
            f"(or erase the duplicate record), then upgrade again: {listed}"
        )


def upgrade() -> None:
    _refuse_reference_clashes()  # before any change: SQLite cannot undo half an upgrade
    with op.batch_alter_table("job_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_at", DateTimeUTC(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("heartbeat_at", DateTimeUTC(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_job_record_due_at"), ["due_at"], unique=False)

    with op.batch_alter_table("pupil", schema=None) as batch_op:
        batch_op.drop_constraint("uq_pupil_school_reference", type_="unique")
    op.create_index(
        "ux_pupil_school_reference", "pupil", ["school_id", sa.text("upper(reference)")], unique=True
    )


def downgrade() -> None:
    op.drop_index("ux_pupil_school_reference", table_name="pupil")
    with op.batch_alter_table("pupil", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_pupil_school_reference", ["school_id", "reference"])

    with op.batch_alter_table("job_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_record_due_at"))
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("due_at")
