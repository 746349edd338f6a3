"""financing: supplier payment batches (pain.001), Dailly / factoring assignments, invoice approval

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05 09:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('received_invoice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True))

    op.create_table('payment_batch',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('execution_date', sa.Date(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=35), nullable=False),
    sa.Column('version', sa.String(length=2), server_default='03', nullable=False),
    sa.Column('xml', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_payment_batch_company_id_company')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_batch')),
    sa.UniqueConstraint('company_id', 'message_id', name='uq_payment_batch_company_message')
    )
    with op.batch_alter_table('payment_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_batch_company_id'), ['company_id'], unique=False)

    op.create_table('payment_batch_item',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('received_invoice_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_payment_batch_item_company_id_company')),
    sa.ForeignKeyConstraint(['batch_id'], ['payment_batch.id'], name=op.f('fk_payment_batch_item_batch_id_payment_batch'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['received_invoice_id'], ['received_invoice.id'], name=op.f('fk_payment_batch_item_received_invoice_id_received_invoice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_batch_item')),
    sa.UniqueConstraint('received_invoice_id', name='uq_payment_batch_item_received_invoice')
    )
    with op.batch_alter_table('payment_batch_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_batch_item_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_batch_item_batch_id'), ['batch_id'], unique=False)

    op.create_table('financing_assignment',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('bank_name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('bordereau_pdf', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_financing_assignment_company_id_company')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_financing_assignment'))
    )
    with op.batch_alter_table('financing_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_financing_assignment_company_id'), ['company_id'], unique=False)

    op.create_table('financing_item',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_financing_item_company_id_company')),
    sa.ForeignKeyConstraint(['assignment_id'], ['financing_assignment.id'], name=op.f('fk_financing_item_assignment_id_financing_assignment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_financing_item_invoice_id_invoice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_financing_item')),
    sa.UniqueConstraint('invoice_id', name='uq_financing_item_invoice')
    )
    with op.batch_alter_table('financing_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_financing_item_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_financing_item_assignment_id'), ['assignment_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('financing_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_financing_item_assignment_id'))
        batch_op.drop_index(batch_op.f('ix_financing_item_company_id'))
    op.drop_table('financing_item')
    with op.batch_alter_table('financing_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_financing_assignment_company_id'))
    op.drop_table('financing_assignment')
    with op.batch_alter_table('payment_batch_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_batch_item_batch_id'))
        batch_op.drop_index(batch_op.f('ix_payment_batch_item_company_id'))
    op.drop_table('payment_batch_item')
    with op.batch_alter_table('payment_batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_batch_company_id'))
    op.drop_table('payment_batch')
    with op.batch_alter_table('received_invoice', schema=None) as batch_op:
        batch_op.drop_column('approved_at')
