"""employers: compliance records, pathways and decision reasons, copied placements

Revision ID: 0002_employers
Revises: 0001
Create Date: 2026-11-25 02:28:46.763176
"""

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from alembic import op

sa.GUID = GUID
sa.DateTimeUTC = DateTimeUTC
sa.JsonB = JsonB

revision = "0002_employers"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "employer_compliance",
        sa.Column("id", sa.GUID(length=16), nullable=False),
        sa.Column("employer_id", sa.GUID(length=16), nullable=False),
        sa.Column("insurer", sa.String(length=200), nullable=True),
        sa.Column("policy_number", sa.String(length=60), nullable=True),
        sa.Column("insurance_expires_on", sa.Date(), nullable=True),
        sa.Column("risk_assessment_on", sa.Date(), nullable=True),
        sa.Column("safeguarding_lead_name", sa.String(length=200), nullable=True),
        sa.Column("safeguarding_lead_email", sa.String(length=320), nullable=True),
        sa.Column("safeguarding_lead_phone", sa.String(length=30), nullable=True),
        sa.Column("supervisor_checks_done", sa.Boolean(), nullable=True),
        sa.Column("insurance_reminder_for", sa.Date(), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["employer_id"],
            ["employer.id"],
            name=op.f("fk_employer_compliance_employer_id_employer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employer_compliance")),
    )
    with op.batch_alter_table("employer_compliance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_employer_compliance_employer_id"), ["employer_id"], unique=True)
        batch_op.create_index(
            batch_op.f("ix_employer_compliance_insurance_expires_on"), ["insurance_expires_on"], unique=False
        )

    with op.batch_alter_table("employer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pathways", sa.JsonB, nullable=False, server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column("status_reason", sa.Text(), nullable=True))

    with op.batch_alter_table("placement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("copied_from_id", sa.GUID(length=16), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_placement_copied_from_id_placement"),
            "placement",
            ["copied_from_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("placement", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_placement_copied_from_id_placement"), type_="foreignkey")
        batch_op.drop_column("copied_from_id")

    with op.batch_alter_table("employer", schema=None) as batch_op:
        batch_op.drop_column("status_reason")
        batch_op.drop_column("pathways")

    with op.batch_alter_table("employer_compliance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_employer_compliance_insurance_expires_on"))
        batch_op.drop_index(batch_op.f("ix_employer_compliance_employer_id"))

    op.drop_table("employer_compliance")
