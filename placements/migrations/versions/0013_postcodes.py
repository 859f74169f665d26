"""postcodes: the loaded ONS Postcode Directory, and the middle of each postcode sector and district

Revision ID: 0013_postcodes
Revises: 0012_delivery_status
Create Date: 2026-12-08 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_postcodes"
down_revision = "0012_delivery_status"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "postcode",
        sa.Column("postcode", sa.String(length=8), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("postcode", name=op.f("pk_postcode")),
    )
    op.create_table(
        "postcode_area",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("postcodes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_postcode_area")),
    )


def downgrade() -> None:
    op.drop_table("postcode_area")
    op.drop_table("postcode")
