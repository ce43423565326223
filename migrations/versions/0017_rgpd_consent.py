"""RGPD: consent records and the anonymisation mark on members

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-01 18:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('consent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.Enum('phone', 'photo', 'named_in_minutes', 'newsletter', name='consent_purpose', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('given_on', sa.Date(), nullable=False),
    sa.Column('method', sa.Enum('paper', 'email', 'online', name='consent_method', native_enum=False, create_constraint=True, length=14), nullable=False),
    sa.Column('withdrawn_on', sa.Date(), nullable=True),
    sa.Column('proof', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('withdrawn_on IS NULL OR withdrawn_on >= given_on', name=op.f('ck_consent_withdrawn_after_given')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_consent_member_id_member'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent'))
    )
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_member_id'), ['member_id'], unique=False)
        batch_op.create_index('ix_consent_purpose', ['purpose'], unique=False)
        batch_op.create_index('ix_consent_withdrawn_on', ['withdrawn_on'], unique=False)

    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_column('anonymised_at')

    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.drop_index('ix_consent_withdrawn_on')
        batch_op.drop_index('ix_consent_purpose')
        batch_op.drop_index(batch_op.f('ix_consent_member_id'))

    op.drop_table('consent')
