"""Open data: the freshness stamp that keys the cached package

Revision ID: 0021
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "opendata_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stamp", sa.String(length=32), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_opendata_state_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_state")),
    )


def downgrade():
    op.drop_table("opendata_state")
