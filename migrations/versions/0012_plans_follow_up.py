"""Plans followed up: action progress, budget shares, baseline dates, amendment circuit

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 17:06:21.509456

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = "0011"
branch_labels = None
depends_on = None

AMENDMENT_STATUSES = ('proposed', 'adopted_by_group', 'sent', 'accepted', 'rejected')
PROGRESS_STATUSES = ('not_started', 'in_progress', 'done', 'abandoned', 'unknown')


def upgrade():
    op.create_table('amendment_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('amendment_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.Enum(*AMENDMENT_STATUSES, name='amendment_step_from', native_enum=False, create_constraint=True, length=24), nullable=True),
    sa.Column('to_status', sa.Enum(*AMENDMENT_STATUSES, name='amendment_step_to', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=254), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['amendment_id'], ['amendment.id'], name=op.f('fk_amendment_step_amendment_id_amendment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_amendment_step'))
    )
    with op.batch_alter_table('amendment_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_amendment_step_amendment_id'), ['amendment_id'], unique=False)
        batch_op.create_index('ix_amendment_step_changed_at', ['changed_at'], unique=False)

    with op.batch_alter_table('amendment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('proposed_share', sa.Numeric(precision=5, scale=2), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_amendment_share_range'),
            'proposed_share IS NULL OR (proposed_share >= 0 AND proposed_share <= 100)',
        )

    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.add_column(sa.Column('baseline_on', sa.Date(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_indicator_target_after_baseline'),
            'target_on IS NULL OR baseline_on IS NULL OR target_on >= baseline_on',
        )

    # Existing actions start "inconnue": nobody has said how far they are.
    with op.batch_alter_table('plan_action', schema=None) as batch_op:
        batch_op.add_column(sa.Column('progress_status', sa.String(length=19), server_default='unknown', nullable=False))
        batch_op.add_column(sa.Column('progress_percent', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('progress_on', sa.Date(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_plan_action_progress_status'),
            'progress_status IN (' + ', '.join(f"'{s}'" for s in PROGRESS_STATUSES) + ')',
        )
        batch_op.create_check_constraint(
            op.f('ck_plan_action_progress_percent_range'),
            'progress_percent IS NULL OR (progress_percent >= 0 AND progress_percent <= 100)',
        )
        batch_op.create_index('ix_plan_action_progress_status', ['progress_status'], unique=False)


def downgrade():
    with op.batch_alter_table('plan_action', schema=None) as batch_op:
        batch_op.drop_index('ix_plan_action_progress_status')
        batch_op.drop_constraint(op.f('ck_plan_action_progress_percent_range'), type_='check')
        batch_op.drop_constraint(op.f('ck_plan_action_progress_status'), type_='check')
        batch_op.drop_column('progress_on')
        batch_op.drop_column('progress_percent')
        batch_op.drop_column('progress_status')

    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_indicator_target_after_baseline'), type_='check')
        batch_op.drop_column('baseline_on')

    with op.batch_alter_table('amendment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_amendment_share_range'), type_='check')
        batch_op.drop_column('proposed_share')

    with op.batch_alter_table('amendment_step', schema=None) as batch_op:
        batch_op.drop_index('ix_amendment_step_changed_at')
        batch_op.drop_index(batch_op.f('ix_amendment_step_amendment_id'))

    op.drop_table('amendment_step')
