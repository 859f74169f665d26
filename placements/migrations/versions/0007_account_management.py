"""account management: organisation admins who manage colleagues, and an epoch that ends sessions

Revision ID: 0007_account_management
Revises: 0006_reliable_jobs
Create Date: 2026-12-02 13:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_account_management"
down_revision = "0006_reliable_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_admin", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("session_epoch", sa.Integer(), server_default="0", nullable=False))
    # Each organisation's first account manages it: whoever signed it up or was invited first.
    op.execute(
        "UPDATE user_account SET is_admin = true WHERE role <> 'coordinator' AND NOT EXISTS ("
        " SELECT 1 FROM user_account earlier"
        " WHERE (earlier.school_id = user_account.school_id OR earlier.employer_id = user_account.employer_id)"
        " AND (earlier.created_at < user_account.created_at"
        " OR (earlier.created_at = user_account.created_at AND earlier.id < user_account.id)))"
    )


def downgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("session_epoch")
        batch_op.drop_column("is_admin")
