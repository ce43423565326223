"""Dashboard served by indexes: meetings without minutes, open actions "asap"

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 17:30:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

#: The same text as app.models.meetings.WITHOUT_MINUTES_SQL (a migration keeps
#: its own copy: it must not change when the model does).
WITHOUT_MINUTES_SQL = (
    "(exchanges IS NULL OR trim(exchanges) = '') "
    "AND (context IS NULL OR trim(context) = '')"
)


def upgrade():
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.create_index(
            "ix_meeting_without_minutes",
            ["starts_at"],
            unique=False,
            sqlite_where=sa.text(WITHOUT_MINUTES_SQL),
            postgresql_where=sa.text(WITHOUT_MINUTES_SQL),
        )
    # (asap, status) replaces (asap): the open "asap" actions are counted
    # from the index alone.
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.drop_index("ix_action_asap")
        batch_op.create_index("ix_action_asap_status", ["asap", "status"], unique=False)


def downgrade():
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.drop_index("ix_action_asap_status")
        batch_op.create_index("ix_action_asap", ["asap"], unique=False)
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_without_minutes")
