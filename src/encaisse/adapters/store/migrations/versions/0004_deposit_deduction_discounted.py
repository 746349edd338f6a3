"""invoice.deposit_deduction_discounted: issued invoices keep the totals they were issued with

Until 2026-12-04 a final invoice's document discount was also taken on its deposit deduction
lines (DEP-FINAL). The rule is fixed for new invoices; the issued ones keep their amounts
(INV-IMMUTABLE): those whose stored total is the one the old rule gives are flagged here, and a
credit note corrects them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 22:00:00
"""

from decimal import Decimal
from typing import Any

from alembic import op
import sqlalchemy as sa

from encaisse.adapters.store.types import ScaledDecimal


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
    bind = op.get_bind()
    candidates = bind.execute(
        sa.select(_invoice.c.id, _invoice.c.document_discount_percent, _invoice.c.total_excl_tax).where(
            _invoice.c.status != 'draft',
            _invoice.c.document_discount_percent != 0,
            sa.exists().where(_line.c.invoice_id == _invoice.c.id, _line.c.deposit_invoice_number != ''),
        )
    ).all()
    for invoice_id, percent, stored_total in candidates:
        lines = bind.execute(sa.select(_line).where(_line.c.invoice_id == invoice_id)).all()
        if _total(lines, percent, legacy=True) == stored_total != _total(lines, percent, legacy=False):
            # issued with the old rule: it keeps its amounts
            bind.execute(
                _invoice.update().where(_invoice.c.id == invoice_id).values(deposit_deduction_discounted=True)
            )


# The columns read here, as they are at this revision (not the application's current tables).
_meta = sa.MetaData()
_invoice = sa.Table(
    'invoice', _meta,
    sa.Column('id', sa.Integer, primary_key=True),
    sa.Column('status', sa.String(20)),
    sa.Column('document_discount_percent', ScaledDecimal(4)),
    sa.Column('total_excl_tax', ScaledDecimal(2)),
    sa.Column('deposit_deduction_discounted', sa.Boolean),
)
_line = sa.Table(
    'invoice_line', _meta,
    sa.Column('id', sa.Integer, primary_key=True),
    sa.Column('invoice_id', sa.Integer),
    sa.Column('quantity', ScaledDecimal(4)),
    sa.Column('unit_price', ScaledDecimal(4)),
    sa.Column('vat_rate', ScaledDecimal(4)),
    sa.Column('exemption', sa.String(20)),
    sa.Column('discount_percent', ScaledDecimal(4)),
    sa.Column('nature', sa.String(10)),
    sa.Column('deposit_invoice_number', sa.String(40)),
)


def _total(rows: Any, percent: Decimal, *, legacy: bool) -> Decimal:
    """The invoice's total excluding VAT by the domain's EN 16931 computation, old or new rule."""
    from datetime import date

    from encaisse.domain.documents import Exemption, Invoice, Line, LineNature, compute_totals
    from encaisse.domain.parties import Party

    lines = tuple(
        Line(
            '',
            r.quantity,
            r.unit_price,
            vat_rate=r.vat_rate,
            exemption=Exemption(r.exemption) if r.exemption else None,
            discount_percent=r.discount_percent,
            nature=LineNature(r.nature),
            deposit_invoice_number=r.deposit_invoice_number,
        )
        for r in rows
    )
    invoice = Invoice(
        company_id=0,
        customer=Party(name=''),
        issue_date=date(2026, 1, 1),
        lines=lines,
        document_discount_percent=percent,
        deposit_deduction_discounted=legacy,
    )
    return compute_totals(invoice).total_excl_tax


def downgrade() -> None:
    # Not batch mode either (see upgrade); SQLite 3.35+ and PostgreSQL drop a column in place.
    op.execute("ALTER TABLE invoice DROP COLUMN deposit_deduction_discounted")
