"""job request id: the request that queued a job, carried into its log lines

Revision ID: 0009_job_request_id
Revises: 0008_families_take_part
Create Date: 2026-12-07 05:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_job_request_id"
down_revision = "0008_families_take_part"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("job_record", schema=None) as batch_op:
        batch_op.drop_column("request_id")
