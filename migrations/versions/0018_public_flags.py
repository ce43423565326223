"""Public flags on meetings, plans, plan actions, amendments and indicators

Nothing is public until someone says so: every flag defaults to false.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

TABLES = ("meeting", "plan", "plan_action", "amendment", "indicator")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(
                    "public", sa.Boolean(), server_default=sa.false(), nullable=False
                )
            )
            batch_op.create_index(f"ix_{table}_public", ["public"], unique=False)


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_public")
            batch_op.drop_column("public")
