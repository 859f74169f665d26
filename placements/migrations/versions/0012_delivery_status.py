"""delivery status: text messages in the outbox, and what GOV.UK Notify says became of each message

Revision ID: 0012_delivery_status
Revises: 0011_two_step_sign_in
Create Date: 2026-12-08 09:00:00
"""

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision = "0012_delivery_status"
down_revision = "0011_two_step_sign_in"
branch_labels = None
depends_on = None

STATUSES = (
    "created",
    "sending",
    "pending",
    "sent",
    "delivered",
    "permanent-failure",
    "temporary-failure",
    "technical-failure",
    "refused",
)


def upgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "channel",
                sa.Enum("email", "sms", name="channel", native_enum=False, length=24),
                server_default="email",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("provider_id", sa.String(length=36), nullable=True))
        batch_op.add_column(
            sa.Column(
                "status",
                sa.Enum(*STATUSES, name="deliverystatus", native_enum=False, length=24),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("status_at", DateTimeUTC(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_message_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_message_status"))
        batch_op.drop_column("status_at")
        batch_op.drop_column("status")
        batch_op.drop_column("provider_id")
        batch_op.drop_column("channel")
