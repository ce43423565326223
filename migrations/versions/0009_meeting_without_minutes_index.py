"""Dashboard: a partial index on the meetings without minutes

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 17:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

#: The same text as app.models.meetings.WITHOUT_MINUTES_SQL (a migration keeps
#: its own copy: it must not change when the model does).
WITHOUT_MINUTES_SQL = (
    "(exchanges IS NULL OR trim(exchanges) = '') "
    "AND (context IS NULL OR trim(context) = '')"
)


def upgrade():
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.create_index(
            'ix_meeting_without_minutes',
            ['starts_at'],
            unique=False,
            sqlite_where=sa.text(WITHOUT_MINUTES_SQL),
            postgresql_where=sa.text(WITHOUT_MINUTES_SQL),
        )


def downgrade():
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_index('ix_meeting_without_minutes')
