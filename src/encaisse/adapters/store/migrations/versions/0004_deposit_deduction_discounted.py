"""invoice.deposit_deduction_discounted: issued invoices keep the totals they were issued with

Until 2026-12-04 a final invoice's document discount was also taken on its deposit deduction
lines (DEP-FINAL). The rule is fixed for new invoices; the issued ones keep their amounts
(INV-IMMUTABLE): they are flagged here, and a credit note corrects them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 22:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not batch mode: on SQLite it copies and drops the invoice table, and the drop cascades to
    # invoice_line (ON DELETE CASCADE): every invoice would lose its lines. ADD COLUMN is in place.
    op.add_column(
        'invoice', sa.Column('deposit_deduction_discounted', sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.execute(
        "UPDATE invoice SET deposit_deduction_discounted = TRUE"
        " WHERE status <> 'draft' AND document_discount_percent <> 0"
        " AND EXISTS (SELECT 1 FROM invoice_line l"
        " WHERE l.invoice_id = invoice.id AND l.deposit_invoice_number <> '')"
    )


def downgrade() -> None:
    # Not batch mode either (see upgrade); SQLite 3.35+ and PostgreSQL drop a column in place.
    op.execute("ALTER TABLE invoice DROP COLUMN deposit_deduction_discounted")
