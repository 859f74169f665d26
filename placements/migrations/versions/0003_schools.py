"""schools: consent, pending pupil imports, erased-pupil tombstones

Revision ID: 0003_schools
Revises: 0002_employers
Create Date: 2026-11-25 02:40:00
"""

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from alembic import op

sa.GUID = GUID
sa.DateTimeUTC = DateTimeUTC
sa.JsonB = JsonB

revision = "0003_schools"
down_revision = "0002_employers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consent",
        sa.Column("id", sa.GUID(length=16), nullable=False),
        sa.Column("pupil_id", sa.GUID(length=16), nullable=False),
        sa.Column("given_by", sa.String(length=200), nullable=False),
        sa.Column("relationship", sa.String(length=60), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("text_version", sa.String(length=20), nullable=False),
        sa.Column("recorded_by_id", sa.GUID(length=16), nullable=True),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("withdrawn_by_id", sa.GUID(length=16), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pupil_id"], ["pupil.id"], name=op.f("fk_consent_pupil_id_pupil"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_consent_recorded_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by_id"],
            ["user_account.id"],
            name=op.f("fk_consent_withdrawn_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent")),
    )
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_pupil_id"), ["pupil_id"], unique=False)

    op.create_table(
        "pupil_import",
        sa.Column("id", sa.GUID(length=16), nullable=False),
        sa.Column("school_id", sa.GUID(length=16), nullable=False),
        sa.Column("created_by_id", sa.GUID(length=16), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("rows", sa.JsonB, nullable=False),
        sa.Column("problems", sa.JsonB, nullable=False),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_pupil_import_school_id_school"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_pupil_import_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pupil_import")),
    )
    with op.batch_alter_table("pupil_import", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pupil_import_school_id"), ["school_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pupil_import_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "erased_pupil",
        sa.Column("id", sa.GUID(length=16), nullable=False),
        sa.Column("school_id", sa.GUID(length=16), nullable=True),
        sa.Column("year_group", sa.Integer(), nullable=False),
        sa.Column("priority", sa.Boolean(), nullable=False),
        sa.Column("erased_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_erased_pupil_school_id_school"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erased_pupil")),
    )
    with op.batch_alter_table("erased_pupil", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_erased_pupil_school_id"), ["school_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("erased_pupil", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_erased_pupil_school_id"))
    op.drop_table("erased_pupil")
    with op.batch_alter_table("pupil_import", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pupil_import_expires_at"))
        batch_op.drop_index(batch_op.f("ix_pupil_import_school_id"))
    op.drop_table("pupil_import")
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_pupil_id"))
    op.drop_table("consent")
