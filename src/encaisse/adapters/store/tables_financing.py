"""Tables of supplier payment batches and receivables financing (migration 0002), on the shared ``metadata``.

``received_invoice.approved_at`` (also added by 0002) is reached through :data:`received_approval` (a
light ``TableClause`` over the same table, for updates) and :data:`received_approved_at` (in selects):
the ``received_invoice`` ``Table`` of ``tables.py`` does not declare the column yet (the integrator may
add it there, then use it instead).
"""

from __future__ import annotations

import sqlalchemy as sa

from encaisse.adapters.store.tables import metadata
from encaisse.adapters.store.types import Money


def _company() -> sa.Column[int]:
    return sa.Column("company_id", sa.Integer, sa.ForeignKey("company.id"), nullable=False, index=True)


payment_batch = sa.Table(
    "payment_batch",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _company(),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("execution_date", sa.Date, nullable=False),
    sa.Column("total", Money(), nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("message_id", sa.String(35), nullable=False),
    sa.Column("version", sa.String(2), nullable=False, server_default="03"),
    sa.Column("xml", sa.LargeBinary, nullable=False),
    sa.UniqueConstraint("company_id", "message_id", name="uq_payment_batch_company_message"),
)

payment_batch_item = sa.Table(
    "payment_batch_item",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _company(),
    sa.Column(
        "batch_id",
        sa.Integer,
        sa.ForeignKey("payment_batch.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    # one batch item per supplier invoice: the database itself refuses to pay an invoice twice
    sa.Column("received_invoice_id", sa.Integer, sa.ForeignKey("received_invoice.id"), nullable=False),
    sa.Column("amount", Money(), nullable=False),
    sa.UniqueConstraint("received_invoice_id", name="uq_payment_batch_item_received_invoice"),
)

financing_assignment = sa.Table(
    "financing_assignment",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _company(),
    sa.Column("kind", sa.String(10), nullable=False),  # dailly | factoring
    sa.Column("bank_name", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("total", Money(), nullable=False),
    sa.Column("bordereau_pdf", sa.LargeBinary, nullable=True),
)

financing_item = sa.Table(
    "financing_item",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _company(),
    sa.Column(
        "assignment_id",
        sa.Integer,
        sa.ForeignKey("financing_assignment.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    # an invoice is assigned (Dailly) or factored once
    sa.Column("invoice_id", sa.Integer, sa.ForeignKey("invoice.id"), nullable=False),
    sa.Column("amount", Money(), nullable=False),
    sa.UniqueConstraint("invoice_id", name="uq_financing_item_invoice"),
)

#: ``received_invoice`` columns used by payables, including ``approved_at`` (migration 0002).
received_approval = sa.table(
    "received_invoice",
    sa.column("id", sa.Integer),
    sa.column("company_id", sa.Integer),
    sa.column("approved_at", sa.DateTime(timezone=True)),
)

#: ``received_invoice.approved_at`` inside a query that selects from ``tables.received_invoice``.
received_approved_at = sa.literal_column("received_invoice.approved_at", sa.DateTime(timezone=True))
