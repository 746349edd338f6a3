"""bank_connection: accounts read through a PSD2 aggregator (consent, status, last sync)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 21:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bank_connection',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=30), nullable=False),
    sa.Column('requisition_id', sa.String(length=100), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('institution_id', sa.String(length=100), server_default='', nullable=False),
    sa.Column('account_ref', sa.String(length=100), server_default='', nullable=False),
    sa.Column('iban', sa.String(length=40), server_default='', nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_sync_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_new', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_error_code', sa.String(length=40), server_default='', nullable=False),
    sa.Column('last_error', sa.String(length=300), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_bank_connection_company_id_company')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_connection')),
    sa.UniqueConstraint('company_id', 'provider', 'requisition_id', 'account_ref', name='uq_bank_connection_account')
    )
    with op.batch_alter_table('bank_connection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_connection_company_id'), ['company_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('bank_connection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bank_connection_company_id'))
    op.drop_table('bank_connection')
